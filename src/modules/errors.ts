import { LilypadError } from "../core/errors.ts";

/** A module reference that names no module we can find. */
export class UnknownModuleError extends LilypadError {
  readonly ref: string;
  constructor(params: { ref: string; hint?: string }) {
    super({ code: "UNKNOWN_MODULE", message: `no module "${params.ref}"`, hint: params.hint });
    this.name = "UnknownModuleError";
    this.ref = params.ref;
  }
}

/** A module folder that cannot be packaged (no manifest, no artifact). */
export class ModulePackageError extends LilypadError {
  constructor(params: { dir: string; reason: string; hint?: string; cause?: unknown }) {
    super({ code: "MODULE_PACKAGE", message: `cannot package ${params.dir}: ${params.reason}`, hint: params.hint, cause: params.cause });
    this.name = "ModulePackageError";
  }
}
