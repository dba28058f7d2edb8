// Runs the job a deal names, the way every party must: the resource provider to produce the result, the mediator
// to check it, a job creator to spot-check it. The job is a pure function of (module, inputs): the random seed is
// the inputs' hash, so any honest re-run gives the same result CID and the same instruction count.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { hexToBytes, keccak256, type Hex } from "viem";
import { InvalidInputError, LilypadError } from "../core/errors.ts";
import { inputsHashOf, resolveInputs, type ResolvedInputs } from "../core/moduleInputs.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { Result } from "../core/dealTypes.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { removeJobDir } from "../sandbox/placeJobInputs.ts";
import { runJob } from "../sandbox/runJob.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import { addDirectory } from "../storage/addDirectory.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";
import { loadModule, type LoadModuleResult } from "./loadModule.ts";

export interface RunDealJobParameters {
  /** The deal's module id (the digest of the module's CID). */
  moduleId: Hex;
  /** The module's manifest and artifact, and each file input's content (by its CID), must be in the blockstore. */
  inputs: ResolvedInputs;
  /** The deal's inputsHash: the inputs must hash to it. */
  inputsHash: Hex;
  blockstore: Blockstore;
  pool: SandboxPool;
  workRoot: string;
  /** Loaded modules by CID, kept between jobs. */
  moduleCache?: Map<string, Promise<LoadModuleResult>>;
}

export interface RunDealJobResult {
  resultCid: CID;
  /** What goes on chain. */
  result: Result;
  exitCode: number;
  durationMs: number;
}

export async function runDealJob(params: RunDealJobParameters): Promise<RunDealJobResult> {
  if (inputsHashOf(params.inputs) !== params.inputsHash) {
    throw new InvalidInputError({ key: "(all)", reason: "the inputs do not hash to the deal's inputsHash" });
  }
  const loaded = await loadDealModule(params);
  // The inputs arrive resolved; resolving again checks them against the manifest (types, limits, no extras).
  const inputs = resolveInputs({ manifest: loaded.manifest, given: params.inputs });
  // The pool makes the job's scratch folder (in memory where it can); it is removed synchronously below, as the
  // sandbox makes its files (see runWasmJob): microseconds per call, on every job.
  const jobDir = params.pool.newJobDir();
  try {
    const inputFiles = await writeInputFiles(params.blockstore, loaded.manifest, inputs, join(jobDir, "files"));
    return await runAndStore(params, loaded, inputs, inputFiles, jobDir);
  } finally {
    // The result is in the block store now.
    removeJobDir(jobDir);
  }
}

export type LoadDealModuleParameters = Pick<RunDealJobParameters, "moduleId" | "blockstore" | "workRoot" | "moduleCache">;

/** The deal's module from the blockstore (shipped modules are packaged into it first), through the cache. */
export async function loadDealModule({ moduleId, blockstore, workRoot, moduleCache: cache }: LoadDealModuleParameters): Promise<LoadModuleResult> {
  const cid = moduleCidOfDigest(moduleId);
  let loading = cache?.get(cid);
  if (!loading) {
    await mkdir(workRoot, { recursive: true });
    loading = loadModule({ cid, blockstore, artifactsDir: join(workRoot, "artifacts") });
    cache?.set(cid, loading);
    loading.catch(() => cache?.delete(cid));
  }
  return loading;
}

/** Each file input's content, from the blockstore (verified, at most the manifest's maxBytes), as a file in `dir`. */
async function writeInputFiles(blockstore: Blockstore, manifest: ModuleManifest, inputs: ResolvedInputs, dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const spec of manifest.inputs) {
    if (spec.type !== "file" || !Object.hasOwn(inputs, spec.name)) continue;
    const cid = String(inputs[spec.name]);
    if (files[cid] !== undefined) continue;
    const bytes = await readFileBytes({ blockstore, cid: CID.parse(cid), maxBytes: spec.maxBytes }).catch((error: unknown) => {
      throw new InvalidInputError({ key: spec.name, reason: `its file ${cid} cannot be read (${error instanceof Error ? error.message : String(error)})` });
    });
    await mkdir(dir, { recursive: true });
    files[cid] = join(dir, cid);
    await writeFile(files[cid], bytes);
  }
  return files;
}

async function runAndStore(
  params: RunDealJobParameters,
  loaded: LoadModuleResult,
  inputs: ResolvedInputs,
  inputFiles: Record<string, string>,
  jobDir: string,
): Promise<RunDealJobResult> {
  const { blockstore, pool, workRoot } = params;
  const started = performance.now();
  let run: { resultDir: string; exitCode: number; instructions: bigint; durationMs: number };
  try {
    run = await runJob({
    pool,
    moduleCid: loaded.cid,
    manifest: loaded.manifest,
    artifact: loaded.artifact,
    inputs,
    inputFiles,
    jobDir,
    seed: hexToBytes(params.inputsHash),
    workRoot,
  });
  } catch (error) {
    if (!(error instanceof LilypadError) || !LIMIT_CODES.has(error.code)) throw error;
    run = await limitResult(jobDir, error.code, error.code === "INSTRUCTION_BUDGET_EXCEEDED" ? BigInt(loaded.manifest.limits.instructions) : 0n, started);
  }
  const { cid: resultCid } = await addDirectory({ blockstore, path: run.resultDir });
  const stdout = await readFile(join(run.resultDir, "stdout"));
  return {
    resultCid,
    result: { cidDigest: resultDigestOf(resultCid), outputHash: keccak256(stdout), instructions: run.instructions },
    exitCode: run.exitCode,
    durationMs: run.durationMs,
  };
}

/**
 * Limits a job hits are results too: the job ran, and an honest re-run hits the same limit. Recording them (instead
 * of posting nothing) keeps a creator from draining providers' timeout collateral with jobs built to exceed their
 * limits. The record holds only the limit's code, so that every honest run writes the same bytes; a job stopped at
 * its instruction budget is paid for the whole budget.
 */
const LIMIT_CODES = new Set(["INSTRUCTION_BUDGET_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "OUTPUT_LIMIT_EXCEEDED", "TIMEOUT"]);
export const LIMIT_EXIT_CODE = 137;

async function limitResult(jobDir: string, code: string, instructions: bigint, started: number) {
  const resultDir = join(jobDir, "limit-result");
  await mkdir(resultDir, { recursive: true });
  await writeFile(join(resultDir, "stdout"), "");
  await writeFile(join(resultDir, "stderr"), `the job was stopped: ${code}\n`);
  await writeFile(join(resultDir, "exitCode"), `${LIMIT_EXIT_CODE}\n`);
  await writeFile(join(resultDir, "limit"), `${code}\n`);
  return { resultDir, exitCode: LIMIT_EXIT_CODE, instructions, durationMs: performance.now() - started };
}

/** The 32-byte sha2-256 digest the market stores for a result directory's CID. */
export function resultDigestOf(cid: CID): Hex {
  return `0x${Buffer.from(cid.multihash.digest).toString("hex")}` as Hex;
}
