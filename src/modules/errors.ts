import { LilypadError } from "../core/errors.ts";

/**
 * A module reference that names no module we can find. Usually the user's argument is at fault (the CLI exits 2);
 * `usage: false` for a module that exists but cannot be used here (an engine this node lacks, a broken build).
 */
export class UnknownModuleError extends LilypadError {
  readonly ref: string;
  constructor(params: { ref: string; hint?: string; cause?: unknown; usage?: boolean }) {
    super({ code: "UNKNOWN_MODULE", message: `no module "${params.ref}"`, hint: params.hint, cause: params.cause, usage: params.usage ?? true });
    this.name = "UnknownModuleError";
    this.ref = params.ref;
  }
}

/** The on-chain module registry could not be asked (no network configured, or it did not answer). */
export class ModuleRegistryUnavailableError extends LilypadError {
  readonly ref: string;
  constructor(params: { ref: string; reason: string; hint?: string; cause?: unknown }) {
    super({ code: "MODULE_REGISTRY_UNAVAILABLE", message: `cannot look up "${params.ref}": ${params.reason}`, hint: params.hint, cause: params.cause });
    this.name = "ModuleRegistryUnavailableError";
    this.ref = params.ref;
  }
}

/** A name resolved to a module whose manifest calls itself something else: not run under a name it does not bear. */
export class ModuleNameMismatchError extends LilypadError {
  readonly ref: string;
  constructor(params: { ref: string; manifestName: string }) {
    super({
      code: "MODULE_NAME_MISMATCH",
      message: `"${params.ref}" is bound to a module whose manifest calls it ${params.manifestName}`,
      hint: "a name is only run for the module that bears it; ask the publisher to publish it under its own name",
    });
    this.name = "ModuleNameMismatchError";
    this.ref = params.ref;
  }
}

/**
 * A module folder that cannot be packaged (no manifest, no artifact). `usage` when the folder named does not exist
 * at all (the argument is wrong, exit 2); a folder that exists but is broken is the module's fault (exit 1).
 */
export class ModulePackageError extends LilypadError {
  constructor(params: { dir: string; reason: string; hint?: string; cause?: unknown; usage?: boolean }) {
    super({ code: "MODULE_PACKAGE", message: `cannot package ${params.dir}: ${params.reason}`, hint: params.hint, cause: params.cause, usage: params.usage });
    this.name = "ModulePackageError";
  }
}

/** A module folder's sources need a compiler that is not installed (or cannot target WASI) on this machine. */
export class ToolchainMissingError extends LilypadError {
  /** The language whose toolchain is missing: "C", "Rust" or "AssemblyScript". */
  readonly language: string;
  constructor(params: { dir: string; language: string; reason: string; hint: string; cause?: unknown }) {
    super({ code: "TOOLCHAIN_MISSING", message: `cannot build ${params.dir}: ${params.reason}`, hint: params.hint, cause: params.cause });
    this.name = "ToolchainMissingError";
    this.language = params.language;
  }
}

/** A compiler ran and refused the module's sources; `diagnostics` is what it said. */
export class CompileSourcesError extends LilypadError {
  readonly diagnostics: string;
  constructor(params: { dir: string; compiler: string; diagnostics: string }) {
    super({ code: "COMPILE_MODULE_FAILED", message: `${params.compiler} failed to compile ${params.dir}:\n${params.diagnostics.trimEnd()}` });
    this.name = "CompileSourcesError";
    this.diagnostics = params.diagnostics;
  }
}

/**
 * A module whose manifest says it is not deterministic, offered or run on the network: no mediator could rule on a
 * challenge by re-running it, so neither a job creator nor a provider takes a deal for it. It still runs locally.
 */
export class NotMediableModuleError extends LilypadError {
  readonly ref: string;
  constructor(params: { ref: string }) {
    super({
      code: "MODULE_NOT_MEDIABLE",
      message: `${params.ref} is not deterministic (its manifest says so), so no mediator could rule on its results`,
      hint: "run it locally with `lilypad module run`; to offer it on the network, make its runs reproducible and set \"deterministic\": true (docs/containers.md)",
    });
    this.name = "NotMediableModuleError";
    this.ref = params.ref;
  }
}

/** Two runs of a module that says it is deterministic, with the same inputs and seed, gave different results. */
export class ModuleNotReproducibleError extends LilypadError {
  constructor(params: { dir: string; first: string; second: string }) {
    super({
      code: "MODULE_NOT_REPRODUCIBLE",
      message: `cannot build ${params.dir}: two runs with the same inputs gave different results (${params.first} and ${params.second})`,
      hint: "seed every random generator from LILYPAD_SEED, write no clock time, sort what you list, and use one thread (docs/containers.md); or set \"deterministic\": false, and the module runs only locally",
    });
    this.name = "ModuleNotReproducibleError";
  }
}
