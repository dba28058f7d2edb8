// A growable byte buffer for assembling the output module without an intermediate array per section.
import { writeSigned, writeSignedNonNegative, writeUnsigned, type ByteSink } from "./leb128.ts";

export class ByteWriter implements ByteSink {
  private buffer: Uint8Array<ArrayBuffer>;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(values: Uint8Array | readonly number[]): void {
    this.reserve(values.length);
    this.buffer.set(values, this.length);
    this.length += values.length;
  }

  u32(value: number): void {
    writeUnsigned(this, value);
  }

  s64(value: bigint): void {
    writeSigned(this, value);
  }

  /** A non-negative i64/i32 immediate that fits in a double, encoded without bigint arithmetic. */
  sNonNegative(value: number): void {
    writeSignedNonNegative(this, value);
  }

  /** A name: its UTF-8 length, then its bytes. */
  name(value: string): void {
    const encoded = new TextEncoder().encode(value);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** Forgets the contents but keeps the capacity, so one writer can be reused for many function bodies. */
  reset(): void {
    this.length = 0;
  }

  /** A view of the bytes written so far; it is invalidated by the next write. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.slice(0, this.length);
  }
}
