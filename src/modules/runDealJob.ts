// Runs the job a deal names, the way every party must: the resource provider to produce the result, the mediator
// to check it, a job creator to spot-check it. The job is a pure function of (module, inputs): the random seed is
// the inputs' hash, so any honest re-run gives the same result CID and the same instruction count. A run the
// sandbox stopped where another honest run might not have (the wall clock, the host's stack or memory, a crash, any
// limit of an engine not metered exactly) is no result: it comes back as `failed`, for the caller to post nothing
// (the provider) or not to rule on it (the mediator).
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { hexToBytes, keccak256, type Hex } from "viem";
import { InvalidArgumentError, InvalidInputError } from "../core/errors.ts";
import { inputsHashOf, resolveInputs, type ResolvedInputs } from "../core/moduleInputs.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import { resultDigestOf } from "../core/resultCid.ts";
import type { Result } from "../core/dealTypes.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { LIMIT_EXIT_CODE, limitIsResult, type SandboxLimitCode } from "../core/sandboxLimits.ts";
import { SandboxLimitError } from "../sandbox/errors.ts";
import { removeJobDir } from "../sandbox/placeJobInputs.ts";
import { runJob, type RunJobParameters } from "../sandbox/runJob.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import { addDirectory } from "../storage/addDirectory.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";
import { NotMediableModuleError } from "./errors.ts";
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
  /**
   * The deal's instruction ceiling (the job offer's maxInstructions): the budget is the lower of it and the module's
   * own limit, so a run stopped there posts what the market will price, and every party's run stops at the same count.
   */
  maxInstructions?: bigint;
  /**
   * Runs under this multiple of the manifest's wall clock (`limits.timeoutMs`; default 1). The wall clock is no part
   * of the result (a run stopped by it is `failed`), so a mediator may give a re-run longer than the provider had.
   */
  wallClockFactor?: number;
  /** Hears the job's stdout and stderr while it runs (the provider forwards them; see tailJobOutput). */
  onOutput?: RunJobParameters["onOutput"];
  /** Told of the run once it ends, however it ends (a role's metrics). */
  onRun?: (run: DealJobRunReport) => void;
}

/** How one run went, for a role's metrics. */
export interface DealJobRunReport {
  /** The module's name:version, or "unknown" when the run failed before its manifest was read. */
  module: string;
  /** The manifest's engine, or "unknown" likewise. */
  engine: string;
  /** ok, nonzero-exit, the sandbox limit it stopped at (a result or not, e.g. TIMEOUT), or error: it did not run. */
  outcome: string;
  /** The sandbox's time for a run; for an error, the time until it. */
  seconds: number;
}

/** The job ran to a result: it ended on its own or at a limit every honest run reaches identically. */
export interface DealJobResult {
  kind: "result";
  resultCid: CID;
  /** What goes on chain. */
  result: Result;
  exitCode: number;
  /** The limit the result records (exit code 137 and a `limit` file), when the sandbox stopped the job at one. */
  limit?: SandboxLimitCode;
  durationMs: number;
}

/** The run says nothing about the job: another honest run could have ended otherwise. Nothing was stored. */
export interface DealJobFailed {
  kind: "failed";
  /** Where the sandbox stopped it. */
  reason: SandboxLimitCode;
  message: string;
  durationMs: number;
}

export type RunDealJobResult = DealJobResult | DealJobFailed;

export async function runDealJob(params: RunDealJobParameters): Promise<RunDealJobResult> {
  const { onRun } = params;
  if (!onRun) return runDealJobOnce(params, undefined);
  const started = performance.now();
  const ran: { manifest?: ModuleManifest } = {};
  const tell = (report: DealJobRunReport) => {
    try {
      onRun(report);
    } catch {
      // A metric is not worth a job.
    }
  };
  try {
    const run = await runDealJobOnce(params, ran);
    tell({ ...moduleLabels(ran.manifest), outcome: outcomeOf(run), seconds: run.durationMs / 1000 });
    return run;
  } catch (error) {
    tell({ ...moduleLabels(ran.manifest), outcome: "error", seconds: (performance.now() - started) / 1000 });
    throw error;
  }
}

function moduleLabels(manifest: ModuleManifest | undefined): Pick<DealJobRunReport, "module" | "engine"> {
  return manifest ? { module: `${manifest.name}:${manifest.version}`, engine: manifest.engine } : { module: "unknown", engine: "unknown" };
}

function outcomeOf(run: RunDealJobResult): string {
  if (run.kind === "failed") return run.reason;
  if (run.limit) return run.limit;
  return run.exitCode === 0 ? "ok" : "nonzero-exit";
}

/** `ran.manifest` is set once the module is loaded, for the report of a run that fails after that. */
async function runDealJobOnce(params: RunDealJobParameters, ran: { manifest?: ModuleManifest } | undefined): Promise<RunDealJobResult> {
  const factor = params.wallClockFactor ?? 1;
  if (!Number.isFinite(factor) || factor < 1) {
    throw new InvalidArgumentError({ argument: "wallClockFactor", message: "wallClockFactor must be a finite number of at least 1" });
  }
  if (inputsHashOf(params.inputs) !== params.inputsHash) {
    throw new InvalidInputError({ key: "(all)", reason: "the inputs do not hash to the deal's inputsHash" });
  }
  const loaded = withInstructionCeiling(await loadDealModule(params), params.maxInstructions);
  if (ran) ran.manifest = loaded.manifest;
  // A deal for it may have been opened by a creator running other code than ours: it is refused here, whoever runs it.
  if (!loaded.manifest.deterministic) throw new NotMediableModuleError({ ref: `${loaded.manifest.name}:${loaded.manifest.version} (${loaded.cid})` });
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

function withInstructionCeiling(loaded: LoadModuleResult, ceiling: bigint | undefined): LoadModuleResult {
  const { limits } = loaded.manifest;
  if (ceiling === undefined || ceiling >= BigInt(limits.instructions)) return loaded;
  return { ...loaded, manifest: { ...loaded.manifest, limits: { ...limits, instructions: ceiling.toString() } } };
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
  const manifest = withWallClock(loaded.manifest, params.wallClockFactor ?? 1);
  let run: { resultDir: string; exitCode: number; instructions: bigint; durationMs: number; limit?: SandboxLimitCode };
  try {
    run = await runJob({
      pool,
      moduleCid: loaded.cid,
      manifest,
      artifact: loaded.artifact,
      inputs,
      inputFiles,
      jobDir,
      seed: hexToBytes(params.inputsHash),
      workRoot,
      onOutput: params.onOutput,
    });
  } catch (error) {
    if (!(error instanceof SandboxLimitError)) throw error;
    if (!limitIsResult(error.limit, manifest.engine)) {
      return { kind: "failed", reason: error.limit, message: error.message, durationMs: performance.now() - started };
    }
    const instructions = error.limit === "INSTRUCTION_BUDGET_EXCEEDED" ? BigInt(manifest.limits.instructions) : 0n;
    run = await limitResult(jobDir, error.limit, instructions, started);
  }
  const { cid: resultCid } = await addDirectory({ blockstore, path: run.resultDir });
  // Synchronous, as the job folder's other small-file work is (see runWasmJob.ts): one call instead of four trips
  // through libuv's thread pool.
  const stdout = readFileSync(join(run.resultDir, "stdout"));
  return {
    kind: "result",
    resultCid,
    result: { cidDigest: resultDigestOf(resultCid), outputHash: keccak256(stdout), instructions: run.instructions },
    exitCode: run.exitCode,
    limit: run.limit,
    durationMs: run.durationMs,
  };
}

function withWallClock(manifest: ModuleManifest, factor: number): ModuleManifest {
  if (factor === 1) return manifest;
  return { ...manifest, limits: { ...manifest.limits, timeoutMs: Math.ceil(manifest.limits.timeoutMs * factor) } };
}

/**
 * Limits that every honest run reaches identically (limitIsResult) are results too: the job ran, and an honest
 * re-run stops at the same place. Recording them (instead of posting nothing) keeps a creator from draining
 * providers' timeout collateral with jobs built to exceed their budgets. The record holds only the limit's code, so
 * that every honest run writes the same bytes; a job stopped at its instruction budget is paid for the whole budget.
 */
async function limitResult(jobDir: string, code: SandboxLimitCode, instructions: bigint, started: number) {
  const resultDir = join(jobDir, "limit-result");
  await mkdir(resultDir, { recursive: true });
  await writeFile(join(resultDir, "stdout"), "");
  await writeFile(join(resultDir, "stderr"), `the job was stopped: ${code}\n`);
  await writeFile(join(resultDir, "exitCode"), `${LIMIT_EXIT_CODE}\n`);
  await writeFile(join(resultDir, "limit"), `${code}\n`);
  return { resultDir, exitCode: LIMIT_EXIT_CODE, instructions, limit: code, durationMs: performance.now() - started };
}
