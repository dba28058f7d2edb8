// LEB128, the variable-length integer encoding of the WebAssembly binary format. Decoders enforce the format's
// limits (at most ceil(N/7) bytes, unused bits of the last byte zero or a sign extension), so an overlong or
// out-of-range integer is an InvalidWasmError rather than a silently different value.
import { InvalidWasmError } from "./errors.ts";

/** A position in a byte array, with the end of the region it may read. Decoders advance `pos`. */
export interface ByteCursor {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
}

/** Anything that accepts bytes one at a time (the encoders write into it). */
export interface ByteSink {
  byte(value: number): void;
}

function nextByte(cursor: ByteCursor): number {
  if (cursor.pos >= cursor.end) {
    throw new InvalidWasmError({ offset: cursor.pos, reason: "unexpected end" });
  }
  // Safe: pos < end <= bytes.length, checked above.
  return cursor.bytes[cursor.pos++]!;
}

function tooLong(start: number, bits: number): InvalidWasmError {
  return new InvalidWasmError({ offset: start, reason: `integer too long or out of range for ${bits} bits` });
}

/** An unsigned 32-bit integer (u32). */
export function readU32(cursor: ByteCursor): number {
  const start = cursor.pos;
  let result = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    const b = nextByte(cursor);
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result >>> 0;
  }
  // The fifth byte carries bits 28-31 only.
  const last = nextByte(cursor);
  if ((last & 0xf0) !== 0) throw tooLong(start, 32);
  return (result | (last << 28)) >>> 0;
}

/**
 * A signed integer of `bits` (32 or 33) bits; s33 is the block type index encoding. Both fit in 5 bytes and in a
 * double, so the result is an exact number.
 */
export function readSigned(cursor: ByteCursor, bits: 32 | 33): number {
  const start = cursor.pos;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    const b = nextByte(cursor);
    if (i === 4) {
      // Bits 28..34 live in the fifth byte: those at or above `bits` must all copy the sign bit.
      const signAndUnused = b >> (bits - 1 - 28);
      if ((b & 0x80) !== 0 || (signAndUnused !== 0 && signAndUnused !== (0x7f >> (bits - 1 - 28)))) {
        throw tooLong(start, bits);
      }
    }
    result += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      return (b & 0x40) !== 0 ? result - scale : result;
    }
  }
  throw tooLong(start, bits);
}

/** Skips a signed 64-bit integer (i64.const), checking its encoding without building a bigint. */
export function skipS64(cursor: ByteCursor): void {
  const start = cursor.pos;
  for (let i = 0; i < 10; i++) {
    const b = nextByte(cursor);
    if (i === 9) {
      // The tenth byte carries bit 63 only; bits above it must copy it.
      if (b !== 0x00 && b !== 0x7f) throw tooLong(start, 64);
      return;
    }
    if ((b & 0x80) === 0) return;
  }
}

/** A signed 64-bit integer, as a bigint. */
export function readS64(cursor: ByteCursor): bigint {
  const start = cursor.pos;
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const b = nextByte(cursor);
    if (i === 9 && b !== 0x00 && b !== 0x7f) throw tooLong(start, 64);
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      return BigInt.asIntN(64, (b & 0x40) !== 0 ? result - (1n << shift) : result);
    }
  }
  throw tooLong(start, 64);
}

/** Writes an unsigned integer below 2^53 (a u32, or a section size). */
export function writeUnsigned(sink: ByteSink, value: number): void {
  let rest = value;
  for (;;) {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest === 0) {
      sink.byte(low);
      return;
    }
    sink.byte(low | 0x80);
  }
}

/** Writes a signed integer (an i64.const immediate); the value must fit in 64 bits. */
export function writeSigned(sink: ByteSink, value: bigint): void {
  let rest = BigInt.asIntN(64, value);
  for (;;) {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    const done = (rest === 0n && (low & 0x40) === 0) || (rest === -1n && (low & 0x40) !== 0);
    if (done) {
      sink.byte(low);
      return;
    }
    sink.byte(low | 0x80);
  }
}

/** Writes a non-negative signed integer below 2^53 without bigint arithmetic (block instruction counts). */
export function writeSignedNonNegative(sink: ByteSink, value: number): void {
  let rest = value;
  for (;;) {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    // Stop only once the sign bit (0x40) of the last byte is clear, or the value would read back negative.
    if (rest === 0 && (low & 0x40) === 0) {
      sink.byte(low);
      return;
    }
    sink.byte(low | 0x80);
  }
}
