// Steps over one instruction of a function body. The metering pass copies instructions byte for byte, so all it
// needs from each one is where it ends and, for control flow, its opcode; but it must know the immediate layout of
// every opcode it accepts, because one misjudged length would shift every later boundary.
import { Op } from "./opcodes.ts";
import { skipSimdImmediates } from "./simdImmediates.ts";
import type { WasmReader } from "./wasmReader.ts";
import { skipBlockType, skipHeapType, skipMemarg, skipValType } from "./wasmTypes.ts";

const Imm = {
  unknown: 0,
  none: 1,
  blockType: 2,
  /** One u32: an index or a label. */
  u32: 3,
  /** Two u32s: call_indirect (type, table). */
  u32x2: 4,
  memarg: 5,
  brTable: 6,
  selectTyped: 7,
  i32: 8,
  i64: 9,
  f32: 10,
  f64: 11,
  heapType: 12,
  tryTable: 13,
  prefixMisc: 14,
  prefixSimd: 15,
  /** Known, but belongs to a proposal the pass refuses. */
  refused: 16,
} as const;

const immediates = new Uint8Array(0x100).fill(Imm.unknown);
const set = (from: number, to: number, kind: number): void => {
  immediates.fill(kind, from, to + 1);
};
set(0x00, 0x01, Imm.none); // unreachable, nop
set(0x02, 0x04, Imm.blockType); // block, loop, if
set(0x05, 0x05, Imm.none); // else
set(0x06, 0x06, Imm.blockType); // try (legacy exceptions)
set(0x07, 0x09, Imm.u32); // catch, throw, rethrow
set(0x0a, 0x0b, Imm.none); // throw_ref, end
set(0x0c, 0x0d, Imm.u32); // br, br_if
set(0x0e, 0x0e, Imm.brTable);
set(0x0f, 0x0f, Imm.none); // return
set(0x10, 0x10, Imm.u32); // call
set(0x11, 0x11, Imm.u32x2); // call_indirect
set(0x12, 0x12, Imm.u32); // return_call
set(0x13, 0x13, Imm.u32x2); // return_call_indirect
set(0x14, 0x15, Imm.u32); // call_ref, return_call_ref
set(0x18, 0x18, Imm.u32); // delegate
set(0x19, 0x1b, Imm.none); // catch_all, drop, select
set(0x1c, 0x1c, Imm.selectTyped);
set(0x1f, 0x1f, Imm.tryTable);
set(0x20, 0x26, Imm.u32); // local.*, global.*, table.get, table.set
set(0x28, 0x3e, Imm.memarg); // loads and stores
set(0x3f, 0x40, Imm.u32); // memory.size, memory.grow (memory index)
set(0x41, 0x41, Imm.i32);
set(0x42, 0x42, Imm.i64);
set(0x43, 0x43, Imm.f32);
set(0x44, 0x44, Imm.f64);
set(0x45, 0xc4, Imm.none); // numeric operators, including sign extension (0xc0-0xc4)
set(0xd0, 0xd0, Imm.heapType); // ref.null
set(0xd1, 0xd1, Imm.none); // ref.is_null
set(0xd2, 0xd2, Imm.u32); // ref.func
set(0xd3, 0xd4, Imm.none); // ref.eq, ref.as_non_null
set(0xd5, 0xd6, Imm.u32); // br_on_null, br_on_non_null
set(0xfb, 0xfb, Imm.refused); // GC
set(0xfc, 0xfc, Imm.prefixMisc);
set(0xfd, 0xfd, Imm.prefixSimd);
set(0xfe, 0xfe, Imm.refused); // threads

/** Immediates of the 0xfc opcodes: 0-7 saturating truncation, 8-17 bulk memory and table operations. */
function skipMiscImmediates(reader: WasmReader, sub: number, at: number): void {
  if (sub <= 7) return;
  switch (sub) {
    case 8: // memory.init data memory
    case 10: // memory.copy memory memory
    case 12: // table.init elem table
    case 14: // table.copy table table
      reader.u32();
      reader.u32();
      return;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      reader.u32();
      return;
    default:
      throw reader.unsupported(`opcode 0xfc 0x${sub.toString(16)}`, at);
  }
}

/**
 * Reads one instruction, leaving the reader just after it, and returns its first opcode byte. Prefixed
 * instructions (0xfc, 0xfd) return the prefix: none of them affects control flow.
 */
export function readInstruction(reader: WasmReader): number {
  const at = reader.pos;
  const op = reader.byte();
  switch (immediates[op]) {
    case Imm.none:
      return op;
    case Imm.blockType:
      skipBlockType(reader);
      return op;
    case Imm.u32:
      reader.u32();
      return op;
    case Imm.u32x2:
      reader.u32();
      reader.u32();
      return op;
    case Imm.memarg:
      skipMemarg(reader);
      return op;
    case Imm.brTable: {
      // The count is bounded by the bytes left, since every label takes at least one byte.
      const count = reader.u32();
      if (count > reader.end - reader.pos) throw reader.invalid("br_table has more labels than bytes left", at);
      for (let i = 0; i <= count; i++) reader.u32();
      return op;
    }
    case Imm.selectTyped: {
      const count = reader.u32();
      for (let i = 0; i < count; i++) skipValType(reader);
      return op;
    }
    case Imm.i32:
      reader.s32();
      return op;
    case Imm.i64:
      reader.skipS64();
      return op;
    case Imm.f32:
      reader.skip(4);
      return op;
    case Imm.f64:
      reader.skip(8);
      return op;
    case Imm.heapType:
      skipHeapType(reader);
      return op;
    case Imm.tryTable: {
      skipBlockType(reader);
      const count = reader.u32();
      for (let i = 0; i < count; i++) {
        const kind = reader.byte();
        if (kind > 3) throw reader.invalid(`unknown try_table catch kind ${kind}`, reader.pos - 1);
        if (kind < 2) reader.u32(); // catch and catch_ref name a tag; catch_all and catch_all_ref do not
        reader.u32();
      }
      return op;
    }
    case Imm.prefixMisc:
      skipMiscImmediates(reader, reader.u32(), at);
      return op;
    case Imm.prefixSimd:
      skipSimdImmediates(reader, reader.u32(), at);
      return op;
    case Imm.refused:
      throw reader.unsupported(op === Op.prefixGc ? "GC instruction (prefix 0xfb)" : "atomic instruction (threads, prefix 0xfe)", at);
    default:
      throw reader.unsupported(`unknown opcode 0x${op.toString(16)}`, at);
  }
}
