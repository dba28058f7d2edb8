// Prepares an untrusted WASI command module for deterministic, metered execution, by rewriting its binary:
//
// - every function body counts the instructions it executes into a new mutable i64 global, exported as
//   `__lilypad_instructions` (what counts exactly is documented in meterFunctionBody.ts: every original
//   instruction that executes counts 1, injected code counts nothing);
// - once the count passes the budget, injected code sets a second global, exported as `__lilypad_exhausted`, to 1
//   and traps with `unreachable` (at the next check: function entries, loop headers, and before control can reach
//   the host), so the host can tell budget exhaustion from the module's own traps;
// - bulk memory and table instructions cost by size, read from their length operand at run time;
// - the module's memory gets a maximum of at most `maxMemoryPages`; an imported memory is refused. A memory.grow
//   refused by that maximum raises `__lilypad_memory_denied`; one refused by the host although the maximum allows
//   it raises `__lilypad_host_refused` (copyInstructions.ts).
//
// Nothing is added to the function, type, table or import index spaces, so every function index, table entry and
// import stays valid, and the name section (if any) remains correct. Sections other than memory, global, export
// and code are copied byte for byte. Offsets in DWARF custom sections refer to the original code section and are
// stale afterwards (they only matter to debuggers).
import { InvalidArgumentError } from "../../core/errors.ts";
import { appendToVectorSection } from "./appendToVectorSection.ts";
import { ByteWriter } from "./byteWriter.ts";
import { checkExports } from "./exportSection.ts";
import { definedFunctionParams } from "./functionParams.ts";
import { scanImports } from "./importSection.ts";
import { capMemorySection } from "./memorySection.ts";
import { meterCodeSection } from "./meterCodeSection.ts";
import { readSections, sectionOrder, sectionReader, writeSection, WASM_MAGIC, WASM_VERSION, type Section } from "./moduleSections.ts";
import { ExternalKind, Op, SectionId, ValType } from "./opcodes.ts";

/** Export name of the mutable i64 global holding the instructions executed so far (read it as unsigned). */
export const INSTRUCTIONS_EXPORT = "__lilypad_instructions";
/** Export name of the mutable i32 global set to 1 when the budget stopped the run. */
export const EXHAUSTED_EXPORT = "__lilypad_exhausted";
/** Export name of the mutable i32 global set to 1 when a memory.grow was refused at the memory limit. */
export const MEMORY_DENIED_EXPORT = "__lilypad_memory_denied";
/** Export name of the mutable i32 global set to 1 when the host refused a memory.grow that the limit allows. */
export const HOST_REFUSED_EXPORT = "__lilypad_host_refused";
/**
 * Names the counting rule and the code the pass emits: instrumented binaries cached on disk are keyed by it, so
 * that a provider that upgrades never runs a binary counted by an older rule (and posts counts an upgraded
 * mediator does not reproduce), nor keeps running slower code. 3 counts exactly as 2 did, in a local of each
 * function (with `exactOnTrap`, a trap too).
 */
export const METERING_VERSION = 3;

/**
 * Largest budget accepted: the counter passes the budget by at most one function's loop-free code or one bulk
 * instruction's size (under 2^32), so read as unsigned it never wraps.
 */
export const MAX_INSTRUCTION_BUDGET = (1n << 63n) - 1n;
/** 4 GiB of 64 KiB pages, the most a 32-bit memory can address. */
export const MAX_MEMORY_PAGES = 65536;

export interface InstrumentModuleParameters {
  /** The module as uploaded: a WebAssembly binary (version 1). It is not modified. */
  wasm: Uint8Array;
  /** Instructions the run may execute; past this it traps at the next budget check, with the exhausted flag set. */
  instructionBudget: bigint;
  /** The memory's maximum is lowered to this many 64 KiB pages; a module that starts larger is refused. */
  maxMemoryPages: number;
  /**
   * Keep the counter exact at a trap too (default false). A run that returns, exits through an import (WASI's
   * proc_exit) or stops at its budget counts exactly either way. Without this, a function counts in a local and
   * stores it to the counter only when control leaves the function, which is most of the metering's speed; a trap
   * then leaves the counter short by what the trapping frames counted since. With it every charge is stored at
   * once (about a quarter slower on tight loops), and the counter after a trap follows the counting rule. The
   * sandbox runs the fast binary, and runs a job again with this one when it traps (runWasmJob.ts).
   */
  exactOnTrap?: boolean;
}

export interface InstrumentModuleResult {
  /** The metered module (backed by a plain ArrayBuffer, as WebAssembly.compile requires). */
  wasm: Uint8Array<ArrayBuffer>;
  /** Name of the exported i64 instruction counter global. */
  instructionsExport: typeof INSTRUCTIONS_EXPORT;
  /** Name of the exported i32 exhausted flag global. */
  exhaustedExport: typeof EXHAUSTED_EXPORT;
  /** The memory's maximum after capping, in pages, or undefined if the module has no memory. */
  memoryMaxPages: number | undefined;
  /** Function bodies metered. */
  functions: number;
  /** Original instructions across all bodies (static, not executed, count). */
  instructions: number;
  /** Counter updates inserted at segment starts (edge adjustments on branches not included). */
  charges: number;
}

/**
 * Rewrites a module so that it counts executed instructions, stops at the budget and cannot grow its memory past
 * the cap. Throws InvalidWasmError for malformed input, UnsupportedWasmError for features it cannot meter,
 * ImportedMemoryError, MemoryLimitError, ReservedExportError, and InvalidArgumentError for bad parameters.
 *
 * After the run the host reads the two exports: a run that returns normally has `instructions <= budget` and
 * `exhausted == 0`; a trap with `exhausted == 1` is the budget; a trap with `exhausted == 0` is the module's own.
 * An import (a WASI call) never runs with the counter above the budget.
 */
export function instrumentModule(params: InstrumentModuleParameters): InstrumentModuleResult {
  checkParameters(params);
  const { wasm, instructionBudget, maxMemoryPages } = params;
  const sections = readSections(wasm);
  const find = (id: number): Section | undefined => sections.find((s) => s.id === id);

  const importSection = find(SectionId.import);
  const { importedGlobals, importedFunctions } =
    importSection === undefined ? { importedGlobals: 0, importedFunctions: 0 } : scanImports(sectionReader(wasm, importSection));

  const memorySection = find(SectionId.memory);
  const memory = memorySection === undefined ? undefined : capMemorySection(sectionReader(wasm, memorySection), maxMemoryPages);

  const globalSection = find(SectionId.global);
  const globals = appendToVectorSection({
    existing: globalSection === undefined ? undefined : sectionReader(wasm, globalSection),
    entries: meteringGlobalEntries(),
    entryCount: 6,
  });
  const counterGlobal = importedGlobals + globals.previousCount;
  const exhaustedGlobal = counterGlobal + 1;
  const scratchGlobal = counterGlobal + 2;
  const memoryDeniedGlobal = counterGlobal + 3;
  const growDeltaGlobal = counterGlobal + 4;
  const hostRefusedGlobal = counterGlobal + 5;

  const exportSection = find(SectionId.export);
  if (exportSection !== undefined) checkExports(sectionReader(wasm, exportSection), counterGlobal);
  const exports = appendToVectorSection({
    existing: exportSection === undefined ? undefined : sectionReader(wasm, exportSection),
    entries: meteringExportEntries(counterGlobal, exhaustedGlobal, memoryDeniedGlobal, hostRefusedGlobal),
    entryCount: 4,
  });

  const codeSection = find(SectionId.code);
  const typeSection = find(SectionId.type);
  const functionSection = find(SectionId.function);
  const functionParams = definedFunctionParams(
    typeSection === undefined ? undefined : sectionReader(wasm, typeSection),
    functionSection === undefined ? undefined : sectionReader(wasm, functionSection),
  );
  const budgetImmediate = new ByteWriter(10);
  budgetImmediate.s64(instructionBudget);
  const code =
    codeSection === undefined
      ? undefined
      : meterCodeSection(
          sectionReader(wasm, codeSection),
          {
            counterGlobal,
            counterLocal: -1,
            storeEveryCharge: params.exactOnTrap ?? false,
            exhaustedGlobal,
            budgetImmediate: budgetImmediate.toBytes(),
            importedFunctions,
            scratchGlobal,
            growDeltaGlobal,
            memoryDeniedGlobal,
            hostRefusedGlobal,
            memoryMaxPages: memory?.maxPages ?? 0,
          },
          functionParams,
        );

  const replaced = new Map<number, Uint8Array>([
    [SectionId.global, globals.payload],
    [SectionId.export, exports.payload],
  ]);
  if (memory !== undefined) replaced.set(SectionId.memory, memory.payload);
  if (code !== undefined) replaced.set(SectionId.code, code.payload);

  return {
    wasm: assemble(wasm, sections, replaced),
    instructionsExport: INSTRUCTIONS_EXPORT,
    exhaustedExport: EXHAUSTED_EXPORT,
    memoryMaxPages: memory?.maxPages,
    functions: code?.functions ?? 0,
    instructions: code?.instructions ?? 0,
    charges: code?.charges ?? 0,
  };
}

function checkParameters(params: InstrumentModuleParameters): void {
  if (!(params.wasm instanceof Uint8Array)) {
    throw new InvalidArgumentError({ argument: "wasm", message: "wasm must be a Uint8Array" });
  }
  const budget = params.instructionBudget;
  if (typeof budget !== "bigint" || budget < 0n || budget > MAX_INSTRUCTION_BUDGET) {
    throw new InvalidArgumentError({ argument: "instructionBudget", message: "instructionBudget must be a bigint from 0 to 2^63 - 1" });
  }
  const pages = params.maxMemoryPages;
  if (!Number.isInteger(pages) || pages < 0 || pages > MAX_MEMORY_PAGES) {
    throw new InvalidArgumentError({ argument: "maxMemoryPages", message: `maxMemoryPages must be an integer from 0 to ${MAX_MEMORY_PAGES}` });
  }
}

/**
 * The counter (mut i64), then five mut i32s: the exhausted flag, a scratch, the memory-denied flag, memory.grow's
 * delta and the host-refused flag, all 0.
 */
function meteringGlobalEntries(): Uint8Array {
  const i32Zero = [ValType.i32, 0x01, Op.i32Const, 0x00, Op.end];
  return Uint8Array.of(ValType.i64, 0x01, Op.i64Const, 0x00, Op.end, ...i32Zero, ...i32Zero, ...i32Zero, ...i32Zero, ...i32Zero);
}

function meteringExportEntries(counterGlobal: number, exhaustedGlobal: number, memoryDeniedGlobal: number, hostRefusedGlobal: number): Uint8Array {
  const out = new ByteWriter(64);
  out.name(INSTRUCTIONS_EXPORT);
  out.byte(ExternalKind.global);
  out.u32(counterGlobal);
  out.name(EXHAUSTED_EXPORT);
  out.byte(ExternalKind.global);
  out.u32(exhaustedGlobal);
  out.name(MEMORY_DENIED_EXPORT);
  out.byte(ExternalKind.global);
  out.u32(memoryDeniedGlobal);
  out.name(HOST_REFUSED_EXPORT);
  out.byte(ExternalKind.global);
  out.u32(hostRefusedGlobal);
  return out.toBytes();
}

/**
 * Writes the sections in their original order with `replaced` payloads swapped in. A replaced section the
 * module did not have (global, export) is inserted just before the first section that must follow it.
 */
function assemble(wasm: Uint8Array, sections: readonly Section[], replaced: Map<number, Uint8Array>): Uint8Array<ArrayBuffer> {
  const out = new ByteWriter(wasm.length * 2);
  out.bytes(WASM_MAGIC);
  out.bytes(WASM_VERSION);
  const pending = new Set([...replaced.keys()].filter((id) => !sections.some((s) => s.id === id)));
  const flushPendingBefore = (order: number): void => {
    for (const id of [...pending].sort((a, b) => sectionOrder(a) - sectionOrder(b))) {
      if (sectionOrder(id) >= order) break;
      writeSection(out, id, replaced.get(id)!);
      pending.delete(id);
    }
  };
  for (const section of sections) {
    if (section.id !== SectionId.custom) flushPendingBefore(sectionOrder(section.id));
    const payload = replaced.get(section.id);
    if (payload === undefined || section.id === SectionId.custom) {
      out.bytes(wasm.subarray(section.start, section.payloadEnd));
    } else {
      writeSection(out, section.id, payload);
    }
  }
  flushPendingBefore(Number.POSITIVE_INFINITY);
  return out.toBytes();
}
