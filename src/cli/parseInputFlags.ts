import { InvalidArgumentError } from "../core/errors.ts";

/** Collects repeated `-i Key=Value` flags (commander calls this once per flag). */
export function collectInput(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `Key=Value` strings to an object; the value may contain '='. */
export function parseInputFlags(flags: readonly string[]): Record<string, string> {
  // No prototype: `-i __proto__=x` must be an input named "__proto__" (refused as unknown), not a prototype write.
  const inputs: Record<string, string> = Object.create(null);
  for (const flag of flags) {
    const at = flag.indexOf("=");
    if (at <= 0) throw new InvalidArgumentError({ argument: "-i", message: `input "${flag}" is not Key=Value`, hint: "e.g. -i Message=hello" });
    const key = flag.slice(0, at);
    if (Object.hasOwn(inputs, key)) throw new InvalidArgumentError({ argument: "-i", message: `input "${key}" is given twice` });
    inputs[key] = flag.slice(at + 1);
  }
  return inputs;
}
