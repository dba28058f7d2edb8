// Messages between the sandbox host and its child processes (over the IPC channel).

/** Run one job in the child. Paths are absolute and were made by the host for this job only. */
export interface RunRequest {
  type: "run";
  id: number;
  /** Compiled modules are cached in the child under this key (the module's CID plus its limits). */
  cacheKey: string;
  /** The instrumented module. */
  wasmPath: string;
  args: string[];
  env: Record<string, string>;
  stdinPath: string;
  stdoutPath: string;
  stderrPath: string;
  inputsDir: string;
  outputsDir: string;
  /** Hex seed of the deterministic random source. */
  seed: string;
  outputBytes: number;
  instructionBudget: string;
  memoryPages: number;
}

/**
 * How a run ended. The first five are reproducible (the same job ends the same way on every machine); the host's
 * stack and memory are not (src/core/sandboxLimits.ts).
 */
export type RunOutcome =
  | { kind: "exited"; exitCode: number }
  | { kind: "trapped"; message: string }
  | { kind: "instruction-budget" }
  | { kind: "memory-limit"; message: string }
  | { kind: "output-limit" }
  | { kind: "invalid-module"; message: string }
  | { kind: "stack-overflow"; message: string }
  | { kind: "host-out-of-memory"; message: string };

export interface RunReply {
  type: "done";
  id: number;
  outcome: RunOutcome;
  /** Metered WebAssembly instructions executed (exact, deterministic). */
  instructions: string;
  /** Whether the module came from the child's compile cache. */
  cached: boolean;
}

export interface ReadyMessage {
  type: "ready";
}
