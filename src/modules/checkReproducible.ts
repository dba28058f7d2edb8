// A container module cannot be metered, so a challenge against one of its results is judged by re-running it and
// comparing the result CIDs (docs/containers.md). `module build` therefore runs such a module twice, from fresh job
// folders, with the same inputs and seed, before anyone can offer it: a module whose runs differ is refused unless
// its manifest admits it, and one that admits it is refused on the network (NotMediableModuleError).
import type { CID } from "multiformats/cid";
import type { InputValue } from "../core/moduleInputs.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { ModuleNotReproducibleError } from "./errors.ts";
import { runModule } from "./runModule.ts";

/** The engines whose results are judged only by comparing re-runs, and so are checked at build time. */
export function needsReproducibilityCheck(manifest: ModuleManifest): boolean {
  return manifest.engine === "container";
}

export interface CheckReproducibleParameters {
  moduleCid: string;
  /** The inputs the two runs take (the manifest's defaults fill the rest). */
  given: Record<string, InputValue>;
  blockstore: Blockstore;
  pool: SandboxPool;
  workRoot: string;
  /** Told before each run: 1, then 2. */
  onRun?: (run: 1 | 2) => void;
}

export interface ReproducibilityReport {
  manifest: ModuleManifest;
  resultCids: [CID, CID];
  reproducible: boolean;
}

/** Runs the module twice with the same inputs and seed and compares the result CIDs. */
export async function checkReproducible(params: CheckReproducibleParameters): Promise<ReproducibilityReport> {
  const seed = new TextEncoder().encode("lilypad module build");
  const runOnce = async (n: 1 | 2) => {
    params.onRun?.(n);
    return await runModule({ moduleCid: params.moduleCid, given: params.given, blockstore: params.blockstore, pool: params.pool, workRoot: params.workRoot, seed });
  };
  const first = await runOnce(1);
  const second = await runOnce(2);
  return { manifest: first.manifest, resultCids: [first.resultCid, second.resultCid], reproducible: first.resultCid.equals(second.resultCid) };
}

/** Throws when a module that says it is deterministic gave two results. */
export function assertReproducible(report: ReproducibilityReport, dir: string): void {
  if (report.reproducible || !report.manifest.deterministic) return;
  const [a, b] = report.resultCids.map(String) as [string, string];
  throw new ModuleNotReproducibleError({ dir, first: a, second: b });
}
