// The engine room, usable before any network exists: resolve a module, check the inputs against its manifest,
// run the job in the sandbox, and store the result directory under its CID. The resource provider and the
// mediator run jobs the same way.
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import type { CID } from "multiformats/cid";
import { InvalidInputError } from "../core/errors.ts";
import { resolveInputs, type InputValue, type ResolvedInputs } from "../core/moduleInputs.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { runJob } from "../sandbox/runJob.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import { addDirectory } from "../storage/addDirectory.ts";
import { addFile } from "../storage/addFile.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { loadModule } from "./loadModule.ts";

export interface RunModuleParameters {
  moduleCid: string;
  /** Inputs as given (command-line strings or typed values). A file input's value is a local path or a CID. */
  given: Record<string, InputValue>;
  blockstore: Blockstore;
  pool: SandboxPool;
  /** The pool's work root; each job gets a fresh folder below it. */
  workRoot: string;
  /** Seeds the job's random source; the same seed gives the same bytes. */
  seed: Uint8Array;
  /** Called as the job moves on, for progress output. */
  onStep?: (step: "loaded" | "running" | "storing") => void;
}

export interface RunModuleResult {
  manifest: ModuleManifest;
  inputs: ResolvedInputs;
  resultCid: CID;
  resultDir: string;
  exitCode: number;
  instructions: bigint;
  durationMs: number;
}

export async function runModule(params: RunModuleParameters): Promise<RunModuleResult> {
  const { blockstore, workRoot } = params;
  await mkdir(workRoot, { recursive: true });
  const loaded = await loadModule({ cid: params.moduleCid, blockstore, artifactsDir: join(workRoot, "artifacts") });
  params.onStep?.("loaded");
  // File inputs given as local paths are stored first: a job refers to its input files by CID.
  const given = { ...params.given };
  const inputFiles: Record<string, string> = {};
  for (const spec of loaded.manifest.inputs) {
    const value = given[spec.name];
    if (spec.type !== "file" || typeof value !== "string" || value.startsWith("baf")) continue;
    if (!existsSync(value) || !statSync(value).isFile()) throw new InvalidInputError({ key: spec.name, reason: `no such file: ${value}` });
    const { cid } = await addFile({ blockstore, path: value });
    given[spec.name] = cid.toString();
    inputFiles[cid.toString()] = value;
  }
  const inputs = resolveInputs({ manifest: loaded.manifest, given });
  params.onStep?.("running");
  const run = await runJob({
    pool: params.pool,
    moduleCid: loaded.cid,
    manifest: loaded.manifest,
    artifact: loaded.artifact,
    inputs,
    inputFiles,
    jobDir: await mkdtemp(join(workRoot, "job-")),
    seed: params.seed,
    workRoot,
  });
  params.onStep?.("storing");
  const { cid } = await addDirectory({ blockstore, path: run.resultDir });
  return { manifest: loaded.manifest, inputs, resultCid: cid, ...run };
}
