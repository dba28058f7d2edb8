// The engine room, usable before any network exists: resolve a module, check the inputs against its manifest,
// run the job in the sandbox, and store the result directory under its CID. The resource provider and the
// mediator run jobs the same way.
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { CID } from "multiformats/cid";
import { InvalidInputError } from "../core/errors.ts";
import { resolveInputs, type InputValue, type ResolvedInputs } from "../core/moduleInputs.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { removeJobDir } from "../sandbox/placeJobInputs.ts";
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
  /** The pool's work root: unpacked artifacts and instrumented binaries are cached below it. */
  workRoot: string;
  /** Seeds the job's random source; the same seed gives the same bytes. */
  seed: Uint8Array;
  /** Called as the job moves on, for progress output. */
  onStep?: (step: "loaded" | "running" | "storing") => void;
}

export interface RunModuleResult {
  manifest: ModuleManifest;
  inputs: ResolvedInputs;
  /** The result directory (stdout, stderr, exitCode, outputs/), in the block store; the job's folder is gone. */
  resultCid: CID;
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
    // The module's maxBytes holds here as on the network (storeFileInputs), so a local run never takes a file the
    // network would refuse.
    const { size } = statSync(value);
    const limit = `${loaded.manifest.name}:${loaded.manifest.version} takes at most ${spec.maxBytes} bytes`;
    if (size > spec.maxBytes) throw new InvalidInputError({ key: spec.name, reason: `${value} is ${size} bytes`, hint: limit });
    const { cid, fileBytes } = await addFile({ blockstore, path: value });
    if (fileBytes > BigInt(spec.maxBytes)) throw new InvalidInputError({ key: spec.name, reason: `${value} grew to ${fileBytes} bytes while being read`, hint: limit });
    given[spec.name] = cid.toString();
    inputFiles[cid.toString()] = value;
  }
  const inputs = resolveInputs({ manifest: loaded.manifest, given });
  params.onStep?.("running");
  // The job's folder is scratch, made by the pool (in memory where it can, and removed with the pool's jobs
  // folder if this process dies first): the result lives on in the block store, so the folder is removed here,
  // whether the job succeeded or not.
  const jobDir = params.pool.newJobDir();
  try {
    const { resultDir, ...run } = await runJob({
      pool: params.pool,
      moduleCid: loaded.cid,
      manifest: loaded.manifest,
      artifact: loaded.artifact,
      inputs,
      inputFiles,
      jobDir,
      seed: params.seed,
      workRoot,
    });
    params.onStep?.("storing");
    const { cid } = await addDirectory({ blockstore, path: resultDir });
    return { manifest: loaded.manifest, inputs, resultCid: cid, ...run };
  } finally {
    removeJobDir(jobDir);
  }
}

