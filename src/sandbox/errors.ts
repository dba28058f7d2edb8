// Typed errors of the sandbox: each names the limit a job hit, with the stable code programs match on.
import { LilypadError } from "../core/errors.ts";

export class InstructionBudgetExceededError extends LilypadError {
  readonly budget: bigint;
  constructor(params: { budget: bigint }) {
    super({
      code: "INSTRUCTION_BUDGET_EXCEEDED",
      message: `the module executed more than its budget of ${params.budget} instructions`,
      hint: "raise limits.instructions in the manifest, or give the job smaller inputs",
    });
    this.name = "InstructionBudgetExceededError";
    this.budget = params.budget;
  }
}

export class MemoryLimitExceededError extends LilypadError {
  readonly memoryMiB: number;
  constructor(params: { memoryMiB: number; detail: string }) {
    super({
      code: "MEMORY_LIMIT_EXCEEDED",
      message: `the module ran out of its ${params.memoryMiB} MiB of memory (${params.detail})`,
      hint: "raise limits.memoryMiB in the manifest",
    });
    this.name = "MemoryLimitExceededError";
    this.memoryMiB = params.memoryMiB;
  }
}

export class OutputLimitExceededError extends LilypadError {
  readonly outputBytes: number;
  constructor(params: { outputBytes: number }) {
    super({
      code: "OUTPUT_LIMIT_EXCEEDED",
      message: `the module wrote more than its limit of ${params.outputBytes} bytes of output`,
      hint: "raise limits.outputBytes in the manifest",
    });
    this.name = "OutputLimitExceededError";
    this.outputBytes = params.outputBytes;
  }
}

export class WallClockTimeoutError extends LilypadError {
  readonly timeoutMs: number;
  constructor(params: { timeoutMs: number }) {
    super({
      code: "TIMEOUT",
      message: `the job ran longer than its ${params.timeoutMs} ms limit and was killed`,
      hint: "raise limits.timeoutMs in the manifest",
    });
    this.name = "WallClockTimeoutError";
    this.timeoutMs = params.timeoutMs;
  }
}

export class InvalidModuleError extends LilypadError {
  constructor(params: { reason: string; cause?: unknown }) {
    super({ code: "INVALID_MODULE", message: `the module cannot run here: ${params.reason}`, cause: params.cause });
    this.name = "InvalidModuleError";
  }
}

/** The sandbox's child process died for a reason other than a limit (a bug or the host killing it). */
export class SandboxCrashError extends LilypadError {
  constructor(params: { detail: string }) {
    super({ code: "SANDBOX_CRASHED", message: `the sandbox process crashed: ${params.detail}` });
    this.name = "SandboxCrashError";
  }
}
