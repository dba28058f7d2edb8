// Copies a stretch of original instructions into the metered body, adding code around the two kinds whose effect
// the flat count cannot capture:
//
// - BULK INSTRUCTIONS cost by size. memory.fill, memory.copy and memory.init do work in proportion to their length
//   operand (up to 4 GiB in one instruction), as do table.fill, table.copy, table.init and table.grow. Counted as
//   one instruction each, a loop of them would run for seconds on a tiny budget, and then only the wall clock
//   stops the job, which no two machines reach alike. So each costs, on top of its 1, one instruction per
//   BULK_BYTES_PER_INSTRUCTION bytes (memory) or one per entry (tables): the length is read from the stack at run
//   time, added to the counter and checked against the budget before the instruction runs. The length is a
//   value the program computed, so the cost is the same in every run of the same job; a run that would pass its
//   budget stops before the instruction does its work. The cost is charged even if the instruction then traps
//   (out of bounds): deterministic all the same.
// - MEMORY.GROW is followed by a check of its result: -1 either because the memory's maximum (the job's limit)
//   refuses the growth, which is reproducible and raises the memory-denied flag, or because the host could not
//   provide pages the maximum allows, which is a fact about the machine and raises the host-refused flag. The
//   host reports the first as the memory limit and the second as a failed run.
import type { ByteWriter } from "./byteWriter.ts";
import { emitBudgetCheck, emitCounterGet, emitCounterReload, emitCounterSet, emitRaiseFlag, type MeteringTarget } from "./emitMetering.ts";
import { readU32 } from "./leb128.ts";
import { EMPTY_BLOCK_TYPE, MiscOp, Op } from "./opcodes.ts";
import { readInstruction } from "./readInstruction.ts";
import { WasmReader } from "./wasmReader.ts";

/**
 * Bytes of a bulk memory instruction's length that cost one instruction: one per 64-bit word, about what a loop
 * storing words would pay at least (and, at memset speed, about as long as an ordinary instruction takes).
 */
export const BULK_BYTES_PER_INSTRUCTION = 8;
const MEMORY_SHIFT = Math.log2(BULK_BYTES_PER_INSTRUCTION);

/** For each sized 0xfc instruction, how far its length is shifted right to give its cost; others are absent. */
const SIZE_SHIFT: ReadonlyMap<number, number> = new Map([
  [MiscOp.memoryInit, MEMORY_SHIFT],
  [MiscOp.memoryCopy, MEMORY_SHIFT],
  [MiscOp.memoryFill, MEMORY_SHIFT],
  [MiscOp.tableInit, 0],
  [MiscOp.tableCopy, 0],
  [MiscOp.tableGrow, 0],
  [MiscOp.tableFill, 0],
]);

/** Copies bytes[start, end) of a function body, with the added code described above. */
export function copyInstructions(out: ByteWriter, bytes: Uint8Array, start: number, end: number, target: MeteringTarget): void {
  const reader = new WasmReader(bytes, start, end);
  let copied = start;
  while (reader.pos < end) {
    const at = reader.pos;
    const op = readInstruction(reader);
    if (op === Op.prefixMisc) {
      const shift = SIZE_SHIFT.get(readU32({ bytes, pos: at + 1, end: reader.pos }));
      if (shift === undefined) continue;
      out.bytes(bytes.subarray(copied, at));
      emitSizedCharge(out, target, shift);
      out.bytes(bytes.subarray(at, reader.pos));
      copied = reader.pos;
    } else if (op === Op.memoryGrow) {
      out.bytes(bytes.subarray(copied, at));
      out.byte(Op.globalSet);
      out.u32(target.growDeltaGlobal);
      out.byte(Op.globalGet);
      out.u32(target.growDeltaGlobal);
      out.bytes(bytes.subarray(at, reader.pos));
      emitGrowCheck(out, target);
      copied = reader.pos;
    } else if (op === Op.call || op === Op.callIndirect || op === Op.callRef) {
      out.bytes(bytes.subarray(copied, reader.pos));
      emitCounterReload(out, target);
      copied = reader.pos;
    }
  }
  out.bytes(bytes.subarray(copied, end));
}

/** With the length on top of the stack (and left there): counter += length >> shift; then the budget check. */
function emitSizedCharge(out: ByteWriter, target: MeteringTarget, shift: number): void {
  out.byte(Op.globalSet);
  out.u32(target.scratchGlobal);
  out.byte(Op.globalGet);
  out.u32(target.scratchGlobal);
  emitCounterGet(out, target);
  out.byte(Op.globalGet);
  out.u32(target.scratchGlobal);
  out.byte(Op.i64ExtendI32U);
  if (shift > 0) {
    out.byte(Op.i64Const);
    out.sNonNegative(shift);
    out.byte(Op.i64ShrU);
  }
  out.byte(Op.i64Add);
  emitCounterSet(out, target);
  emitBudgetCheck(out, target);
}

/**
 * After memory.grow, its result on the stack (and left there): if it is -1, raise the memory-denied flag when
 * size + delta is past the maximum, else the host-refused flag. Counted in 64 bits: size + delta can pass 2^32.
 */
function emitGrowCheck(out: ByteWriter, target: MeteringTarget): void {
  out.byte(Op.globalSet);
  out.u32(target.scratchGlobal);
  out.byte(Op.globalGet);
  out.u32(target.scratchGlobal);
  out.byte(Op.globalGet);
  out.u32(target.scratchGlobal);
  out.byte(Op.i32Const);
  out.byte(0x7f); // -1
  out.byte(Op.i32Eq);
  out.byte(Op.if);
  out.byte(EMPTY_BLOCK_TYPE);
  out.byte(Op.memorySize);
  out.byte(0x00);
  out.byte(Op.i64ExtendI32U);
  out.byte(Op.globalGet);
  out.u32(target.growDeltaGlobal);
  out.byte(Op.i64ExtendI32U);
  out.byte(Op.i64Add);
  out.byte(Op.i64Const);
  out.sNonNegative(target.memoryMaxPages);
  out.byte(Op.i64GtU);
  out.byte(Op.if);
  out.byte(EMPTY_BLOCK_TYPE);
  emitRaiseFlag(out, target.memoryDeniedGlobal);
  out.byte(Op.else);
  emitRaiseFlag(out, target.hostRefusedGlobal);
  out.byte(Op.end);
  out.byte(Op.end);
}
