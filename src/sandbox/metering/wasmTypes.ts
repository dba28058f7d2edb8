// Decoders for the type encodings that appear inside imports, locals and instructions. The pass only needs to
// step over them, but it checks them so that an encoding it does not understand (GC types) is refused instead
// of being misread as something shorter.
import { EMPTY_BLOCK_TYPE, ValType } from "./opcodes.ts";
import type { WasmReader } from "./wasmReader.ts";

/** Abstract heap types of the GC proposal, which the pass refuses along with the rest of GC. */
const GC_HEAP_TYPES = new Set([0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x74]);

function isSingleByteValType(b: number): boolean {
  return (
    b === ValType.i32 ||
    b === ValType.i64 ||
    b === ValType.f32 ||
    b === ValType.f64 ||
    b === ValType.v128 ||
    b === ValType.funcref ||
    b === ValType.externref ||
    b === ValType.exnref
  );
}

/** A heap type: `func`, `extern`, `exn`, or a type index (typed function references). */
export function skipHeapType(reader: WasmReader): void {
  const at = reader.pos;
  const b = reader.peekByte();
  // A single byte in 0x40..0x7f is a negative s33, i.e. an abstract heap type; anything else is a type index.
  if (b >= 0x40 && b < 0x80) {
    reader.byte();
    if (b === ValType.funcref || b === ValType.externref || b === ValType.exnref) return;
    if (GC_HEAP_TYPES.has(b)) throw reader.unsupported(`GC heap type 0x${b.toString(16)}`, at);
    throw reader.invalid(`unknown heap type 0x${b.toString(16)}`, at);
  }
  if (reader.s33() < 0) throw reader.invalid("malformed heap type", at);
}

/** A value type, including `(ref null? ht)`. */
export function skipValType(reader: WasmReader): void {
  const at = reader.pos;
  const b = reader.byte();
  if (isSingleByteValType(b)) return;
  if (b === ValType.refNull || b === ValType.ref) {
    skipHeapType(reader);
    return;
  }
  if (GC_HEAP_TYPES.has(b)) throw reader.unsupported(`GC value type 0x${b.toString(16)}`, at);
  throw reader.invalid(`unknown value type 0x${b.toString(16)}`, at);
}

/** A block type: empty, one value type, or a type index (multi-value). */
export function skipBlockType(reader: WasmReader): void {
  const at = reader.pos;
  const b = reader.peekByte();
  if (b === EMPTY_BLOCK_TYPE || isSingleByteValType(b)) {
    reader.byte();
    return;
  }
  if (b === ValType.refNull || b === ValType.ref) {
    skipValType(reader);
    return;
  }
  if (b >= 0x40 && b < 0x80) {
    if (GC_HEAP_TYPES.has(b)) throw reader.unsupported(`GC block type 0x${b.toString(16)}`, at);
    throw reader.invalid(`unknown block type 0x${b.toString(16)}`, at);
  }
  if (reader.s33() < 0) throw reader.invalid("malformed block type", at);
}

/** A memory argument: alignment (bit 6 announces a memory index), optional memory index, offset. */
export function skipMemarg(reader: WasmReader): void {
  const align = reader.u32();
  if ((align & 0x40) !== 0) reader.u32();
  reader.u32();
}

/** Limits of a table or memory, for the encodings the pass accepts (32-bit, not shared). */
export interface Limits {
  min: number;
  max: number | undefined;
}

/**
 * Reads limits with flags 0 (min) or 1 (min, max). Shared memories (threads), 64-bit indices and custom page
 * sizes change what the numbers mean, so they are refused rather than misread.
 */
export function readLimits(reader: WasmReader, what: "memory" | "table"): Limits {
  const at = reader.pos;
  const flags = reader.byte();
  if (flags === 0x00) return { min: reader.u32(), max: undefined };
  if (flags === 0x01) {
    const min = reader.u32();
    return { min, max: reader.u32() };
  }
  if (flags === 0x02 || flags === 0x03) throw reader.unsupported(`shared ${what} (threads)`, at);
  if (flags >= 0x04 && flags <= 0x0f) throw reader.unsupported(`${what} limits flags 0x${flags.toString(16)} (memory64 or custom page sizes)`, at);
  throw reader.invalid(`malformed ${what} limits flags 0x${flags.toString(16)}`, at);
}
