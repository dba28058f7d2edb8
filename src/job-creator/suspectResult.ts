import { keccak256 } from "viem";
import type { Result } from "../core/dealTypes.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";

export interface SuspectResultParameters {
  /** The result the market holds. */
  result: Result;
  manifest: ModuleManifest;
  /** The stdout file of the downloaded (and CID-verified) result. */
  stdout: Uint8Array;
}

/**
 * The cheap checks a creator makes before accepting a downloaded result: an instruction count over the module's own
 * limit cannot come from an honest run (a run that reaches the limit posts exactly the limit), and the output hash
 * on chain must be that of the stdout delivered. Says why the result is suspect, or undefined when it passes.
 */
export function suspectResult({ result, manifest, stdout }: SuspectResultParameters): string | undefined {
  const limit = BigInt(manifest.limits.instructions);
  if (result.instructions > limit) return `the provider claims ${result.instructions} instructions, over the module's limit of ${limit}`;
  if (keccak256(stdout) !== result.outputHash) return "the output hash on chain is not the hash of the stdout delivered";
  return undefined;
}
