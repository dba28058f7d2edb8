// Errors raised while preparing a WebAssembly module for metered execution. Each has a stable `code`; tests and
// the job runner branch on the code, never on the message.
import { LilypadError } from "../../core/errors.ts";

export const MeteringErrorCode = {
  invalidWasm: "INVALID_WASM",
  unsupportedWasm: "UNSUPPORTED_WASM",
  importedMemory: "IMPORTED_MEMORY",
  memoryLimit: "MEMORY_LIMIT",
  reservedExport: "RESERVED_EXPORT",
} as const;
export type MeteringErrorCode = (typeof MeteringErrorCode)[keyof typeof MeteringErrorCode];

/** The bytes are not a well-formed WebAssembly module (bad magic or version, truncated, malformed encoding). */
export class InvalidWasmError extends LilypadError {
  /** Byte offset in the module where decoding failed. */
  readonly offset: number;

  constructor(params: { offset: number; reason: string; cause?: unknown }) {
    super({
      code: MeteringErrorCode.invalidWasm,
      message: `invalid WebAssembly module at byte ${params.offset}: ${params.reason}`,
      hint: "check that the artifact is a compiled .wasm file and was uploaded completely",
      cause: params.cause,
    });
    this.name = "InvalidWasmError";
    this.offset = params.offset;
  }
}

/** The module uses a feature the metering pass cannot instrument exactly (for example GC, threads, relaxed SIMD). */
export class UnsupportedWasmError extends LilypadError {
  /** What was found, e.g. "opcode 0xfb 0x01 (GC proposal)". */
  readonly feature: string;
  /** Byte offset in the module where it was found. */
  readonly offset: number;

  constructor(params: { feature: string; offset: number }) {
    super({
      code: MeteringErrorCode.unsupportedWasm,
      message: `unsupported WebAssembly feature at byte ${params.offset}: ${params.feature}`,
      hint: "compile for WASI preview 1 without threads, GC or relaxed SIMD",
    });
    this.name = "UnsupportedWasmError";
    this.feature = params.feature;
    this.offset = params.offset;
  }
}

/** The module imports its memory; metering needs the memory declared in the module so its maximum can be capped. */
export class ImportedMemoryError extends LilypadError {
  /** "module.name" of the memory import. */
  readonly importName: string;

  constructor(params: { importName: string }) {
    super({
      code: MeteringErrorCode.importedMemory,
      message: `the module imports its memory (${params.importName})`,
      hint: "build the module so that it defines and exports its own memory (the default for WASI commands)",
    });
    this.name = "ImportedMemoryError";
    this.importName = params.importName;
  }
}

/** The module's memory already starts larger than the job's memory cap. */
export class MemoryLimitError extends LilypadError {
  readonly initialPages: number;
  readonly maxMemoryPages: number;

  constructor(params: { initialPages: number; maxMemoryPages: number }) {
    super({
      code: MeteringErrorCode.memoryLimit,
      message: `the module needs ${params.initialPages} memory pages at start, more than the limit of ${params.maxMemoryPages}`,
      hint: "raise the job's memory limit or shrink the module's initial memory",
    });
    this.name = "MemoryLimitError";
    this.initialPages = params.initialPages;
    this.maxMemoryPages = params.maxMemoryPages;
  }
}

/** The module already exports a name the metering pass adds, so the host could be fed a forged counter. */
export class ReservedExportError extends LilypadError {
  readonly exportName: string;

  constructor(params: { exportName: string }) {
    super({
      code: MeteringErrorCode.reservedExport,
      message: `the module already exports "${params.exportName}", a name reserved for metering`,
      hint: "rename that export; names starting with __lilypad_ are reserved",
    });
    this.name = "ReservedExportError";
    this.exportName = params.exportName;
  }
}
