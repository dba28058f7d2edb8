// Runs one job of a wasm module in the sandbox and lays out its result directory:
//   stdout, stderr, exitCode, outputs/...
// The same module, inputs and seed give the same bytes and the same instruction count on every machine.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { fillTemplate, type ResolvedInputs } from "../core/moduleInputs.ts";
import type { RunOutcome } from "./childProtocol.ts";
import {
  HostOutOfMemoryError,
  InstructionBudgetExceededError,
  InvalidModuleError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  StackOverflowError,
} from "./errors.ts";
import { instrumentedModulePath } from "./instrumentedModulePath.ts";
import { placeJobInputs } from "./placeJobInputs.ts";
import type { SandboxPool } from "./sandboxPool.ts";

/** The exit code a result records when the module trapped (as a shell reports an abort). */
export const TRAP_EXIT_CODE = 134;

export interface RunWasmJobParameters {
  pool: SandboxPool;
  manifest: ModuleManifest;
  /** The module's CID: the key of the instrumented-binary and compiled-module caches. */
  moduleCid: string;
  /** The module's artifact, as published (uninstrumented). */
  wasm: Uint8Array;
  inputs: ResolvedInputs;
  /** Where the content of each file input is on disk, by its CID. */
  inputFiles?: Record<string, string>;
  /** A fresh, empty folder for this job, under the pool's work root. */
  jobDir: string;
  /** Seeds the job's random source (the deal id, normally). */
  seed: Uint8Array;
  /** Where instrumented binaries are cached by module CID and limits. */
  cacheDir: string;
}

export interface RunWasmJobResult {
  /** The result directory: stdout, stderr, exitCode and outputs/. */
  resultDir: string;
  exitCode: number;
  /** Metered instructions: what the job is priced on and what a mediator checks. */
  instructions: bigint;
  /** Whether the compiled module came from a warm child's cache. */
  compiledCached: boolean;
  durationMs: number;
}

export async function runWasmJob(params: RunWasmJobParameters): Promise<RunWasmJobResult> {
  const { manifest, jobDir } = params;
  const started = performance.now();
  const budget = BigInt(manifest.limits.instructions);
  const memoryPages = manifest.limits.memoryMiB * 16;
  const resultDir = join(jobDir, "result");
  const inputsDir = join(jobDir, "inputs");
  const outputsDir = join(resultDir, "outputs");
  const stdinPath = join(jobDir, "stdin");
  /** Lays out the job folder as a run finds it: inputs, stdin, an empty result folder. */
  const prepare = async () => {
    // The job folder's own small files and folders are made synchronously: each call takes microseconds, where a
    // trip through libuv's thread pool costs several times that in hand-offs, on every job.
    mkdirSync(outputsDir, { recursive: true });
    mkdirSync(inputsDir, { recursive: true });
    await placeJobInputs({ manifest, inputs: params.inputs, inputFiles: params.inputFiles ?? {}, inputsDir });
    writeFileSync(stdinPath, manifest.invocation.stdin === undefined ? "" : fillTemplate(manifest.invocation.stdin, params.inputs));
  };

  const env = Object.fromEntries(Object.entries(manifest.invocation.env).map(([k, v]) => [k, fillTemplate(v, params.inputs)]));
  const run = async (exactOnTrap: boolean) => {
    await prepare();
    const wasmPath = await instrumentedModulePath({
      cacheDir: params.cacheDir,
      moduleCid: params.moduleCid,
      wasm: params.wasm,
      instructionBudget: budget,
      maxMemoryPages: memoryPages,
      exactOnTrap,
    });
    return params.pool.run(
      {
        cacheKey: wasmPath,
        wasmPath,
        args: manifest.invocation.args.map((a) => fillTemplate(a, params.inputs)),
        env,
        stdinPath,
        stdoutPath: join(resultDir, "stdout"),
        stderrPath: join(resultDir, "stderr"),
        inputsDir,
        outputsDir,
        seed: Buffer.from(params.seed).toString("hex"),
        outputBytes: manifest.limits.outputBytes,
        instructionBudget: budget.toString(),
        memoryPages,
      },
      manifest.limits.timeoutMs,
    );
  };
  let reply = await run(false);
  if (reply.outcome.kind === "trapped") {
    // The fast binary's count is exact for every run but one that traps (see instrumentModule's exactOnTrap). The
    // run is deterministic, so the same job run again with the exact binary, from a job folder laid out afresh,
    // traps at the same place with the count the rule gives: a trap is priced like any other result, and a
    // mediator finds the same number.
    rmSync(resultDir, { recursive: true, force: true });
    rmSync(inputsDir, { recursive: true, force: true });
    reply = await run(true);
  }
  const exitCode = await exitCodeOf(reply.outcome, manifest, budget, join(resultDir, "stderr"));
  writeFileSync(join(resultDir, "exitCode"), `${exitCode}\n`);
  return {
    resultDir,
    exitCode,
    instructions: BigInt(reply.instructions),
    compiledCached: reply.cached,
    durationMs: performance.now() - started,
  };
}

/**
 * Exits and traps are results; running into a limit is an error, typed by the limit (whether that stop is a result
 * too is the catalogue's call: src/core/sandboxLimits.ts).
 */
async function exitCodeOf(outcome: RunOutcome, manifest: ModuleManifest, budget: bigint, stderrPath: string): Promise<number> {
  switch (outcome.kind) {
    case "exited":
      return outcome.exitCode;
    case "trapped":
      await writeFile(stderrPath, `${await readFile(stderrPath, "utf8")}lilypad: the module trapped: ${outcome.message}\n`);
      return TRAP_EXIT_CODE;
    case "instruction-budget":
      throw new InstructionBudgetExceededError({ budget });
    case "memory-limit":
      throw new MemoryLimitExceededError({ memoryMiB: manifest.limits.memoryMiB, detail: outcome.message });
    case "output-limit":
      throw new OutputLimitExceededError({ outputBytes: manifest.limits.outputBytes });
    case "invalid-module":
      throw new InvalidModuleError({ reason: outcome.message });
    case "stack-overflow":
      throw new StackOverflowError({ detail: outcome.message });
    case "host-out-of-memory":
      throw new HostOutOfMemoryError({ detail: outcome.message });
  }
}
