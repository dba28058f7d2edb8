// Typed errors of the sandbox: each names the limit a job hit, with its code from the one catalogue of limits
// (src/core/sandboxLimits.ts), which also says whether an honest re-run would stop there too.
import { LilypadError } from "../core/errors.ts";
import { SANDBOX_LIMITS, type SandboxLimitCode } from "../core/sandboxLimits.ts";

/** The sandbox stopped the job before it ended on its own; `limit` (the same as `code`) says where. */
export class SandboxLimitError extends LilypadError {
  readonly limit: SandboxLimitCode;
  constructor(params: { limit: SandboxLimitCode; message: string; hint?: string; cause?: unknown }) {
    super({ code: params.limit, message: params.message, hint: params.hint, cause: params.cause });
    this.name = "SandboxLimitError";
    this.limit = params.limit;
  }

  /** Whether every honest run of the same job stops here identically (for an exactly metered engine). */
  get reproducible(): boolean {
    return SANDBOX_LIMITS[this.limit].reproducible;
  }
}

export class InstructionBudgetExceededError extends SandboxLimitError {
  readonly budget: bigint;
  constructor(params: { budget: bigint }) {
    super({
      limit: "INSTRUCTION_BUDGET_EXCEEDED",
      message: `the module executed more than its budget of ${params.budget} instructions`,
      hint: "raise limits.instructions in the manifest, or give the job smaller inputs",
    });
    this.name = "InstructionBudgetExceededError";
    this.budget = params.budget;
  }
}

export class MemoryLimitExceededError extends SandboxLimitError {
  readonly memoryMiB: number;
  constructor(params: { memoryMiB: number; detail: string }) {
    super({
      limit: "MEMORY_LIMIT_EXCEEDED",
      message: `the module ran out of its ${params.memoryMiB} MiB of memory (${params.detail})`,
      hint: "raise limits.memoryMiB in the manifest",
    });
    this.name = "MemoryLimitExceededError";
    this.memoryMiB = params.memoryMiB;
  }
}

export class OutputLimitExceededError extends SandboxLimitError {
  readonly outputBytes: number;
  constructor(params: { outputBytes: number }) {
    super({
      limit: "OUTPUT_LIMIT_EXCEEDED",
      message: `the module wrote more than its limit of ${params.outputBytes} bytes of output`,
      hint: "raise limits.outputBytes in the manifest",
    });
    this.name = "OutputLimitExceededError";
    this.outputBytes = params.outputBytes;
  }
}

export class WallClockTimeoutError extends SandboxLimitError {
  readonly timeoutMs: number;
  constructor(params: { timeoutMs: number }) {
    super({
      limit: "TIMEOUT",
      message: `the job ran longer than its ${params.timeoutMs} ms limit and was killed`,
      hint: "raise limits.timeoutMs in the manifest",
    });
    this.name = "WallClockTimeoutError";
    this.timeoutMs = params.timeoutMs;
  }
}

/** The module recursed deeper than the host's native stack holds, which depends on how V8 compiled it so far. */
export class StackOverflowError extends SandboxLimitError {
  constructor(params: { detail: string }) {
    super({
      limit: "STACK_OVERFLOW",
      message: `the module overflowed the host's call stack (${params.detail})`,
      hint: "recurse less deeply: how deep a module may go depends on the host, so no result is recorded",
    });
    this.name = "StackOverflowError";
  }
}

/** The host refused memory the job's limit allows: a fact about the machine, not the job. */
export class HostOutOfMemoryError extends SandboxLimitError {
  constructor(params: { detail: string }) {
    super({
      limit: "HOST_OUT_OF_MEMORY",
      message: `the host could not give the module the memory its limit allows (${params.detail})`,
      hint: "run fewer jobs at once on this machine, or give it more memory",
    });
    this.name = "HostOutOfMemoryError";
  }
}

/** The sandbox's child process died for a reason other than a limit (a bug or the host killing it). */
export class SandboxCrashError extends SandboxLimitError {
  constructor(params: { detail: string }) {
    super({ limit: "SANDBOX_CRASHED", message: `the sandbox process crashed: ${params.detail}` });
    this.name = "SandboxCrashError";
  }
}

export class InvalidModuleError extends LilypadError {
  constructor(params: { reason: string; cause?: unknown }) {
    super({ code: "INVALID_MODULE", message: `the module cannot run here: ${params.reason}`, cause: params.cause });
    this.name = "InvalidModuleError";
  }
}

/**
 * A container module's archive did not load as the image its manifest names: the archive and the manifest disagree,
 * so the job is refused rather than run on an image nobody signed off on (docs/containers.md).
 */
export class ImageMismatchError extends LilypadError {
  readonly expected: string;
  readonly loaded: readonly string[];
  constructor(params: { expected: string; loaded: readonly string[]; archivePath: string }) {
    const got = params.loaded.length > 0 ? params.loaded.join(", ") : "no image";
    super({
      code: "IMAGE_MISMATCH",
      message: `the archive ${params.archivePath} loaded as ${got}, not as the manifest's image ${params.expected}`,
      hint: "rebuild the module so that artifact.image is the image ID of its archive",
    });
    this.name = "ImageMismatchError";
    this.expected = params.expected;
    this.loaded = params.loaded;
  }
}
