// Everything about a job that can be checked on this machine is checked before any network is started or any
// offer signed: the module name resolves, the inputs fit its manifest, and every file input exists and fits its
// `maxBytes`. A typo then costs milliseconds, not the seconds an embedded network takes to start.
import { InvalidArgumentError } from "../core/errors.ts";
import { resolveInputs, type InputValue } from "../core/moduleInputs.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { storeFileInputs } from "../job-creator/fileInputs.ts";
import type { ModuleResolver, ResolvedModule } from "../modules/moduleResolver.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { parseInputFlags } from "./parseInputFlags.ts";

export interface PrepareJobParameters {
  ref: string;
  /** `-i Key=Value` flags as given. */
  inputFlags: readonly string[];
  /** Values given without a key (`lilypad run sdxl:v1 "a prompt"`): see positionalInputs. */
  positional: readonly string[];
  resolve: ModuleResolver;
  blockstore: Blockstore;
  cwd: string;
}

export interface PreparedJob {
  module: ResolvedModule;
  /** The inputs as the client takes them: file inputs already added to `blockstore` and named by CID. */
  given: Record<string, InputValue>;
}

export async function prepareJob(params: PrepareJobParameters): Promise<PreparedJob> {
  const flagged = parseInputFlags(params.inputFlags);
  const module = await params.resolve(params.ref);
  const given = { ...flagged, ...positionalInputs(module.manifest, params.positional, flagged) };
  const stored = await storeFileInputs({ manifest: module.manifest, given, blockstore: params.blockstore, readLocalFiles: true, cwd: params.cwd });
  // Only to refuse bad values now: the client resolves them again, from `stored`, when it builds the offer.
  resolveInputs({ manifest: module.manifest, given: stored });
  return { module, given: stored };
}

/**
 * Lilypad's `lilypad run sdxl:v0.9-lilypad1 "a prompt"`: a value with no key goes to the module's default input,
 * the first input its manifest declares (authors put the one users reach for first at the top).
 */
export function positionalInputs(manifest: ModuleManifest, values: readonly string[], flagged: Record<string, string>): Record<string, string> {
  if (values.length === 0) return {};
  const first = manifest.inputs[0];
  const module = `${manifest.name}:${manifest.version}`;
  if (!first) throw new InvalidArgumentError({ argument: "[input]", message: `${module} takes no inputs, so "${values[0]}" has nowhere to go` });
  if (values.length > 1) {
    throw new InvalidArgumentError({
      argument: "[input]",
      message: `only one input may be given without a key (${module}'s ${first.name}), and ${values.length} were`,
      hint: "name the others with -i Key=Value, and quote a value that holds spaces",
    });
  }
  if (Object.hasOwn(flagged, first.name)) {
    throw new InvalidArgumentError({ argument: "[input]", message: `input "${first.name}" is given twice: as -i ${first.name}=… and without a key` });
  }
  return { [first.name]: values[0]! };
}
