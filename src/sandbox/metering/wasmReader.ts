// A bounds-checked reader over a region of a module's bytes. Every read past `end` is an InvalidWasmError, so a
// truncated or lying size field can never surface as a RangeError or read another section's bytes. Offsets in
// errors are absolute positions in the module.
import { InvalidWasmError, UnsupportedWasmError } from "./errors.ts";
import { readSigned, readU32, skipS64, type ByteCursor } from "./leb128.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class WasmReader implements ByteCursor {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  /** A reader for the next `length` bytes; this reader skips past them. */
  region(length: number): WasmReader {
    const start = this.pos;
    this.skip(length);
    return new WasmReader(this.bytes, start, start + length);
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw this.invalid("unexpected end");
    return this.bytes[this.pos++]!;
  }

  peekByte(): number {
    if (this.pos >= this.end) throw this.invalid("unexpected end");
    return this.bytes[this.pos]!;
  }

  skip(length: number): void {
    if (length > this.end - this.pos) throw this.invalid("unexpected end");
    this.pos += length;
  }

  u32(): number {
    return readU32(this);
  }

  s32(): number {
    return readSigned(this, 32);
  }

  s33(): number {
    return readSigned(this, 33);
  }

  skipS64(): void {
    skipS64(this);
  }

  /** A UTF-8 name (vec(byte)), as import, export and custom section names are encoded. */
  name(): string {
    const length = this.u32();
    const start = this.pos;
    this.skip(length);
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch (cause) {
      throw new InvalidWasmError({ offset: start, reason: "name is not valid UTF-8", cause });
    }
  }

  /** Throws unless the whole region was consumed (a section or body whose size disagrees with its contents). */
  expectEnd(what: string): void {
    if (this.pos !== this.end) throw this.invalid(`${what} has ${this.end - this.pos} unexpected trailing bytes`);
  }

  invalid(reason: string, offset = this.pos): InvalidWasmError {
    return new InvalidWasmError({ offset, reason });
  }

  unsupported(feature: string, offset = this.pos): UnsupportedWasmError {
    return new UnsupportedWasmError({ feature, offset });
  }
}
