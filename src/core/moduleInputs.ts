// Job inputs, checked against the module's manifest before anything is posted or run.
import type { Hex } from "viem";
import { keccak256 } from "viem/utils";
import { canonicalJsonBytes } from "./canonicalJson.ts";
import { InvalidInputError } from "./errors.ts";
import { cidStringSchema, type ModuleInput, type ModuleManifest } from "./moduleManifest.ts";

export type InputValue = string | number | boolean;
/** Validated inputs: every input of the manifest that has a value, typed. File inputs hold the file's CID. */
export type ResolvedInputs = Record<string, InputValue>;

export interface ResolveInputsParameters {
  manifest: ModuleManifest;
  /** As given: strings from the command line (-i Key=Value) or typed values from the SDK. */
  given: Record<string, InputValue>;
}

/** Validates `given` against the manifest, converts command-line strings, and applies defaults. */
export function resolveInputs({ manifest, given }: ResolveInputsParameters): ResolvedInputs {
  const specs = new Map(manifest.inputs.map((i) => [i.name, i]));
  for (const key of Object.keys(given)) {
    if (!specs.has(key)) {
      const known = [...specs.keys()];
      throw new InvalidInputError({
        key,
        reason: `${manifest.name}:${manifest.version} has no such input`,
        hint: known.length ? `its inputs are: ${known.join(", ")}` : "this module takes no inputs",
      });
    }
  }
  const resolved: ResolvedInputs = {};
  for (const spec of manifest.inputs) {
    const value = Object.hasOwn(given, spec.name) ? given[spec.name]! : spec.type === "file" ? undefined : spec.default;
    if (value === undefined) {
      if (spec.required) throw new InvalidInputError({ key: spec.name, reason: "is required", hint: spec.description || undefined });
      continue;
    }
    resolved[spec.name] = checkValue(spec, value);
  }
  return resolved;
}

function checkValue(spec: ModuleInput, value: InputValue): InputValue {
  const fail = (reason: string): never => {
    throw new InvalidInputError({ key: spec.name, reason });
  };
  switch (spec.type) {
    case "string": {
      if (typeof value !== "string") return fail(`must be a string, got ${typeof value}`);
      if ([...value].length > spec.maxLength) return fail(`is ${[...value].length} characters long, the most is ${spec.maxLength}`);
      if (value.includes("\0")) return fail("must not contain NUL characters");
      if (spec.enum && !spec.enum.includes(value)) return fail(`must be one of ${spec.enum.join(", ")}`);
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`, "u").test(value)) return fail(`must match ${spec.pattern}`);
      return value;
    }
    case "integer":
    case "number": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n)) return fail(`must be ${spec.type === "integer" ? "an integer" : "a number"}, got ${JSON.stringify(value)}`);
      if (spec.type === "integer" && !Number.isSafeInteger(n)) return fail(`must be an integer, got ${JSON.stringify(value)}`);
      if (n < spec.min || n > spec.max) return fail(`must be between ${spec.min} and ${spec.max}, got ${n}`);
      return n;
    }
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      return fail(`must be true or false, got ${JSON.stringify(value)}`);
    }
    case "file": {
      if (typeof value !== "string" || !cidStringSchema.safeParse(value).success) return fail("must be the CID of a file");
      return value;
    }
  }
}

/** The inputs hash a job offer commits to: keccak256 of the canonical JSON of the resolved inputs. */
export function inputsHashOf(inputs: ResolvedInputs): Hex {
  return keccak256(canonicalJsonBytes(inputs));
}

/** Replaces each {{Name}} in a template with the input's value (empty when the input has none). */
export function fillTemplate(template: string, inputs: ResolvedInputs): string {
  return template.replace(/\{\{([^}]*)\}\}/g, (_, name: string) => (Object.hasOwn(inputs, name) ? String(inputs[name]) : ""));
}
