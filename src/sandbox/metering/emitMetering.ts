// The few code sequences the metering pass injects: adding to the counter, checking it against the budget, and
// raising a flag the host reads after the run. None of them counts as an instruction, and none opens a label
// that the module's own branches could target (an `if` adds a nesting level, which callers account for).
import type { ByteWriter } from "./byteWriter.ts";
import { EMPTY_BLOCK_TYPE, Op } from "./opcodes.ts";

/** Where the metering state lives, and the budget it enforces. */
export interface MeteringTarget {
  /** Index of the mutable i64 instruction counter global. */
  counterGlobal: number;
  /**
   * Index of the function's own i64 local holding the running count, or -1 where the function has none (it
   * catches exceptions: see meterFunctionBody.ts). Arithmetic and checks use the local, which lives in a register
   * where the global is a load and a store through memory; the local is loaded from the global on entry and after
   * every call, and stored to it before every instruction that leaves the frame (calls, returns, throws).
   */
  counterLocal: number;
  /**
   * Whether every charge is also stored to the global at once, so that a run that traps leaves the exact count
   * of the counting rule there (see instrumentModule's `exactOnTrap`). Without it the global is current whenever
   * control leaves a function, and a trap leaves it behind by what the trapping frames counted since.
   */
  storeEveryCharge: boolean;
  /** Index of the mutable i32 exhausted flag global. */
  exhaustedGlobal: number;
  /** The budget, already encoded as an i64.const immediate (signed LEB128). */
  budgetImmediate: Uint8Array;
  /** Imported functions: calls to them reach the host, so they are preceded by a budget check. */
  importedFunctions: number;
  /** Index of an i32 scratch global: memory.grow's result, or a bulk instruction's length, while it is read. */
  scratchGlobal: number;
  /** Index of the i32 scratch global holding memory.grow's operand (pages asked for) while it runs. */
  growDeltaGlobal: number;
  /** Index of the i32 flag set to 1 when a memory.grow is refused by the memory's maximum (the job's limit). */
  memoryDeniedGlobal: number;
  /** Index of the i32 flag set to 1 when a memory.grow the maximum allows is refused anyway: by the host. */
  hostRefusedGlobal: number;
  /** The memory's maximum in pages after capping (0 for a module without memory, where memory.grow cannot occur). */
  memoryMaxPages: number;
}

/** flag = 1 (an i32 global the host reads after the run) */
export function emitRaiseFlag(out: ByteWriter, flagGlobal: number): void {
  out.byte(Op.i32Const);
  out.byte(1);
  out.byte(Op.globalSet);
  out.u32(flagGlobal);
}

/** Pushes the counter. */
export function emitCounterGet(out: ByteWriter, target: MeteringTarget): void {
  if (target.counterLocal >= 0) {
    out.byte(Op.localGet);
    out.u32(target.counterLocal);
  } else {
    out.byte(Op.globalGet);
    out.u32(target.counterGlobal);
  }
}

/** Pops the new value of the counter into the local holding it, or the global (or both: `storeEveryCharge`). */
export function emitCounterSet(out: ByteWriter, target: MeteringTarget): void {
  if (target.counterLocal >= 0) {
    if (!target.storeEveryCharge) {
      out.byte(Op.localSet);
      out.u32(target.counterLocal);
      return;
    }
    out.byte(Op.localTee);
    out.u32(target.counterLocal);
  }
  out.byte(Op.globalSet);
  out.u32(target.counterGlobal);
}

/** global = local: before control leaves the frame (nothing when the global is already current). */
export function emitCounterStore(out: ByteWriter, target: MeteringTarget): void {
  if (target.counterLocal < 0 || target.storeEveryCharge) return;
  out.byte(Op.localGet);
  out.u32(target.counterLocal);
  out.byte(Op.globalSet);
  out.u32(target.counterGlobal);
}

/** local = counter: on entry, and after a call (the callee counted into the global). */
export function emitCounterReload(out: ByteWriter, target: MeteringTarget): void {
  if (target.counterLocal < 0) return;
  out.byte(Op.globalGet);
  out.u32(target.counterGlobal);
  out.byte(Op.localSet);
  out.u32(target.counterLocal);
}

/** counter += delta (delta may be negative) */
export function emitAdd(out: ByteWriter, target: MeteringTarget, delta: number): void {
  emitCounterGet(out, target);
  out.byte(Op.i64Const);
  out.sNonNegative(Math.abs(delta));
  out.byte(delta >= 0 ? Op.i64Add : Op.i64Sub);
  emitCounterSet(out, target);
}

/** if (counter > budget) { exhausted = 1; unreachable } */
export function emitBudgetCheck(out: ByteWriter, target: MeteringTarget): void {
  emitCounterGet(out, target);
  out.byte(Op.i64Const);
  out.bytes(target.budgetImmediate);
  out.byte(Op.i64GtU);
  out.byte(Op.if);
  out.byte(EMPTY_BLOCK_TYPE);
  emitCounterStore(out, target);
  emitRaiseFlag(out, target.exhaustedGlobal);
  out.byte(Op.unreachable);
  out.byte(Op.end);
}

/** counter += delta; and with `check`, the budget check. */
export function emitCharge(out: ByteWriter, target: MeteringTarget, delta: number, check: boolean): void {
  if (delta !== 0) emitAdd(out, target, delta);
  if (check) emitBudgetCheck(out, target);
}
