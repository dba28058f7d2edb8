// Runs the job a deal names, the way every party must: the resource provider to produce the result, the mediator
// to check it, a job creator to spot-check it. The job is a pure function of (module, inputs): the random seed is
// the inputs' hash, so any honest re-run gives the same result CID and the same instruction count.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CID } from "multiformats/cid";
import { hexToBytes, keccak256, type Hex } from "viem";
import { InvalidInputError, LilypadError } from "../core/errors.ts";
import { inputsHashOf, resolveInputs, type ResolvedInputs } from "../core/moduleInputs.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { Result } from "../core/dealTypes.ts";
import { removeJobDir } from "../sandbox/placeJobInputs.ts";
import { runJob } from "../sandbox/runJob.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import { addDirectory } from "../storage/addDirectory.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { loadModule, type LoadModuleResult } from "./loadModule.ts";

export interface RunDealJobParameters {
  /** The deal's module id (the digest of the module's CID). */
  moduleId: Hex;
  inputs: ResolvedInputs;
  /** The deal's inputsHash: the inputs must hash to it. */
  inputsHash: Hex;
  blockstore: Blockstore;
  pool: SandboxPool;
  workRoot: string;
  /** Loaded modules by CID, kept between jobs. */
  moduleCache?: Map<string, Promise<LoadModuleResult>>;
  /**
   * The deal's instruction ceiling (the job offer's maxInstructions): the budget is the lower of it and the module's
   * own limit, so a run stopped there posts what the market will price, and every party's run stops at the same count.
   */
  maxInstructions?: bigint;
}

export interface RunDealJobResult {
  resultCid: CID;
  /** What goes on chain. */
  result: Result;
  exitCode: number;
  durationMs: number;
}

export async function runDealJob(params: RunDealJobParameters): Promise<RunDealJobResult> {
  const { blockstore, workRoot } = params;
  if (inputsHashOf(params.inputs) !== params.inputsHash) {
    throw new InvalidInputError({ key: "(all)", reason: "the inputs do not hash to the deal's inputsHash" });
  }
  const cid = moduleCidOfDigest(params.moduleId);
  const cache = params.moduleCache;
  let loading = cache?.get(cid);
  if (!loading) {
    await mkdir(workRoot, { recursive: true });
    loading = loadModule({ cid, blockstore, artifactsDir: join(workRoot, "artifacts") });
    cache?.set(cid, loading);
    loading.catch(() => cache?.delete(cid));
  }
  const loaded = withInstructionCeiling(await loading, params.maxInstructions);
  // The inputs arrive resolved; resolving again checks them against the manifest (types, limits, no extras).
  const inputs = resolveInputs({ manifest: loaded.manifest, given: params.inputs });
  // The pool makes the job's scratch folder (in memory where it can); it is removed synchronously below, as the
  // sandbox makes its files (see runWasmJob): microseconds per call, on every job.
  const jobDir = params.pool.newJobDir();
  try {
    return await runAndStore(params, loaded, inputs, jobDir);
  } finally {
    // The result is in the block store now.
    removeJobDir(jobDir);
  }
}

function withInstructionCeiling(loaded: LoadModuleResult, ceiling: bigint | undefined): LoadModuleResult {
  const { limits } = loaded.manifest;
  if (ceiling === undefined || ceiling >= BigInt(limits.instructions)) return loaded;
  return { ...loaded, manifest: { ...loaded.manifest, limits: { ...limits, instructions: ceiling.toString() } } };
}

async function runAndStore(params: RunDealJobParameters, loaded: LoadModuleResult, inputs: ResolvedInputs, jobDir: string): Promise<RunDealJobResult> {
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
