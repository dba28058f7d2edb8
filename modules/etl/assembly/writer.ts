// Writes an output file as UTF-8 bytes through a 64 KiB buffer, so a summary of many groups takes no memory and
// creates no strings (the module's runtime never frees memory; see scripts/build-modules.ts).
import { Decimal } from "./decimal";
import { closeFile, createFile, writeAll } from "../../shared/assembly/wasi_fs";

const BUFFER = 64 * 1024;

export class ByteWriter {
  private data: Uint8Array = new Uint8Array(BUFFER);
  private length: i32 = 0;
  private fd: i64;
  /** False once opening or writing the file failed (see lastErrno). */
  ok: bool = true;

  constructor(path: string) {
    this.fd = createFile(path);
    if (this.fd < 0) this.ok = false;
  }

  private flush(): void {
    if (this.ok && this.length > 0 && !writeAll(<u32>this.fd, this.data.subarray(0, this.length))) this.ok = false;
    this.length = 0;
  }

  /** Writes what is buffered and closes the file; false if anything failed. */
  close(): bool {
    this.flush();
    if (this.fd >= 0) closeFile(<u32>this.fd);
    this.fd = -1;
    return this.ok;
  }

  private reserve(extra: i32): void {
    if (this.length + extra <= this.data.length) return;
    this.flush();
    if (extra <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.length + extra) size *= 2;
    const bigger = new Uint8Array(size);
    memory.copy(bigger.dataStart, this.data.dataStart, <usize>this.length);
    this.data = bigger;
  }

  byte(b: u8): void {
    this.reserve(1);
    unchecked((this.data[this.length++] = b));
  }

  /** A string of ASCII characters (the program's own text). */
  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) unchecked((this.data[this.length++] = <u8>s.charCodeAt(i)));
  }

  raw(ptr: usize, len: i32): void {
    this.reserve(len);
    memory.copy(this.data.dataStart + <usize>this.length, ptr, <usize>len);
    this.length += len;
  }

  /** A non-negative integer in decimal. */
  unsigned(v: u64): void {
    let digits = 1;
    for (let t = v; t >= 10; t /= 10) digits++;
    this.reserve(digits);
    let at = this.length + digits;
    this.length = at;
    do {
      unchecked((this.data[--at] = <u8>(0x30 + <i32>(v % 10))));
      v /= 10;
    } while (v != 0);
  }

  /** "-12.500000": always 6 decimals, no exponent, no "-0.000000". */
  decimal(d: Decimal): void {
    const w = d.magnitudeWhole();
    const m = d.magnitudeMicro();
    if (d.isNegative() && (w != 0 || m != 0)) this.byte(0x2d);
    this.unsigned(<u64>w);
    this.byte(0x2e);
    this.reserve(6);
    let at = this.length + 6;
    this.length = at;
    let v = m;
    for (let i = 0; i < 6; i++) {
      unchecked((this.data[--at] = <u8>(0x30 + <i32>(v % 10))));
      v /= 10;
    }
  }

  /** Text bytes as a CSV field: quoted (quotes doubled) when they hold a comma, a quote or a line break. */
  csvField(ptr: usize, len: i32): void {
    let quote = false;
    for (let i = 0; i < len; i++) {
      const c = load<u8>(ptr + <usize>i);
      if (c == 0x2c || c == 0x22 || c == 0x0a || c == 0x0d) quote = true;
    }
    if (!quote) {
      this.utf8(ptr, len, false);
      return;
    }
    this.byte(0x22);
    this.utf8(ptr, len, false);
    this.byte(0x22);
  }

  /** Text bytes as a JSON string. */
  jsonString(ptr: usize, len: i32): void {
    this.byte(0x22);
    this.utf8(ptr, len, true);
    this.byte(0x22);
  }

  /**
   * Copies UTF-8 text, replacing each invalid byte with U+FFFD so the output is always valid UTF-8; in CSV mode
   * doubles quotes, in JSON mode escapes quotes, backslashes and control characters.
   */
  private utf8(ptr: usize, len: i32, json: bool): void {
    let i = 0;
    while (i < len) {
      const c = <u32>load<u8>(ptr + <usize>i);
      if (c < 0x80) {
        if (json) {
          if (c == 0x22) this.ascii('\\"');
          else if (c == 0x5c) this.ascii("\\\\");
          else if (c == 0x0a) this.ascii("\\n");
          else if (c == 0x0d) this.ascii("\\r");
          else if (c == 0x09) this.ascii("\\t");
          else if (c < 0x20) {
            this.ascii("\\u00");
            const low = c & 15;
            this.byte(<u8>(0x30 + (c >> 4)));
            this.byte(<u8>(low < 10 ? 0x30 + low : 0x57 + low));
          } else this.byte(<u8>c);
        } else {
          if (c == 0x22) this.byte(0x22);
          this.byte(<u8>c);
        }
        i++;
        continue;
      }
      const n = sequenceLength(ptr + <usize>i, len - i);
      if (n == 0) {
        this.byte(0xef);
        this.byte(0xbf);
        this.byte(0xbd);
        i++;
      } else {
        this.raw(ptr + <usize>i, n);
        i += n;
      }
    }
  }

}

function continuation(ptr: usize, at: i32, avail: i32, lo: u32 = 0x80, hi: u32 = 0xbf): bool {
  if (at >= avail) return false;
  const c = <u32>load<u8>(ptr + <usize>at);
  return c >= lo && c <= hi;
}

/** The length of the valid UTF-8 sequence at ptr (which starts with a byte >= 0x80), or 0 if it is invalid. */
function sequenceLength(ptr: usize, avail: i32): i32 {
  const c = <u32>load<u8>(ptr);
  if (c >= 0xc2 && c <= 0xdf) return continuation(ptr, 1, avail) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo: u32 = c == 0xe0 ? 0xa0 : 0x80;
    const hi: u32 = c == 0xed ? 0x9f : 0xbf;
    return continuation(ptr, 1, avail, lo, hi) && continuation(ptr, 2, avail) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo: u32 = c == 0xf0 ? 0x90 : 0x80;
    const hi: u32 = c == 0xf4 ? 0x8f : 0xbf;
    return continuation(ptr, 1, avail, lo, hi) && continuation(ptr, 2, avail) && continuation(ptr, 3, avail) ? 4 : 0;
  }
  return 0;
}
