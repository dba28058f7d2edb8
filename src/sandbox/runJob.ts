// Runs a loaded module's job on the engine its manifest names and returns the result directory. Both engines
// lay it out the same way: stdout, stderr, exitCode, outputs/.
import { join } from "node:path";
import { LilypadError } from "../core/errors.ts";
import type { ResolvedInputs } from "../core/moduleInputs.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { runJsJob } from "./js/runJsJob.ts";
import { runWasmJob } from "./runWasmJob.ts";
import type { SandboxPool } from "./sandboxPool.ts";
import { tailJobOutput, type OutputStream } from "./tailJobOutput.ts";

export type JobArtifact =
  | { engine: "wasm"; wasm: Uint8Array }
  | { engine: "js"; dir: string }
  /** An OCI image archive (src/modules/loadModule.ts writes it out of the store) and the image ID it must load as. */
  | { engine: "container"; archivePath: string; image: string };

export interface RunJobParameters {
  pool: SandboxPool;
  moduleCid: string;
  manifest: ModuleManifest;
  artifact: JobArtifact;
  inputs: ResolvedInputs;
  inputFiles?: Record<string, string>;
  /** A fresh folder for this job under the pool's work root. */
  jobDir: string;
  seed: Uint8Array;
  /** The pool's work root: instrumented binaries are cached below it. */
  workRoot: string;
  /** Hears the job's stdout and stderr as it writes them (for watching only: the result holds all of it). */
  onOutput?: (stream: OutputStream, data: Uint8Array) => void;
}

export interface RunJobResult {
  resultDir: string;
  exitCode: number;
  /** Metered instructions (wasm); 0 for per-run priced engines. */
  instructions: bigint;
  durationMs: number;
}

export async function runJob(params: RunJobParameters): Promise<RunJobResult> {
  if (!params.onOutput) return runOnEngine(params);
  // Both engines write the result folder's stdout and stderr at `<jobDir>/result`.
  const tail = tailJobOutput({ dir: join(params.jobDir, "result"), onOutput: params.onOutput });
  try {
    return await runOnEngine(params);
  } finally {
    await tail.stop();
  }
}

async function runOnEngine(params: RunJobParameters): Promise<RunJobResult> {
  const { artifact } = params;
  if (artifact.engine === "wasm") {
    const r = await runWasmJob({ ...params, wasm: artifact.wasm, cacheDir: join(params.workRoot, "instrumented") });
    return { resultDir: r.resultDir, exitCode: r.exitCode, instructions: r.instructions, durationMs: r.durationMs };
  }
  if (artifact.engine === "container") {
    throw new LilypadError({ code: "ENGINE_UNAVAILABLE", message: "the container engine is not available on this node", hint: "docs/containers.md" });
  }
  const r = await runJsJob({ ...params, moduleDir: artifact.dir });
  return { resultDir: r.resultDir, exitCode: r.exitCode, instructions: 0n, durationMs: r.durationMs };
}
