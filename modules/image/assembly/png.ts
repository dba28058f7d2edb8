// A small PNG encoder: 8-bit RGB, one adaptive filter per row, one IDAT holding a zlib stream whose deflate data
// is LZ77 with fixed Huffman codes (or stored blocks when those come out smaller), CRC-32 and Adler-32.

/** A growable byte buffer. */
export class Bytes {
  data: Uint8Array;
  length: i32 = 0;

  constructor(capacity: i32 = 1024) {
    this.data = new Uint8Array(capacity);
  }

  reserve(extra: i32): void {
    if (this.length + extra <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.length + extra) size *= 2;
    const bigger = new Uint8Array(size);
    memory.copy(bigger.dataStart, this.data.dataStart, <usize>this.length);
    this.data = bigger;
  }

  push(b: u8): void {
    this.reserve(1);
    unchecked((this.data[this.length++] = b));
  }

  u16le(v: u32): void {
    this.push(<u8>v);
    this.push(<u8>(v >> 8));
  }

  u32be(v: u32): void {
    this.push(<u8>(v >> 24));
    this.push(<u8>(v >> 16));
    this.push(<u8>(v >> 8));
    this.push(<u8>v);
  }

  append(src: Uint8Array, start: i32 = 0, end: i32 = -1): void {
    if (end < 0) end = src.length;
    const n = end - start;
    this.reserve(n);
    memory.copy(this.data.dataStart + <usize>this.length, src.dataStart + <usize>start, <usize>n);
    this.length += n;
  }

  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.push(<u8>s.charCodeAt(i));
  }

  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}

const crcTable = new StaticArray<u32>(256);
let crcReady = false;

export function crc32(data: Uint8Array, start: i32, end: i32): u32 {
  if (!crcReady) {
    for (let n: u32 = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
    crcReady = true;
  }
  let crc: u32 = 0xffffffff;
  for (let i = start; i < end; i++) crc = unchecked(crcTable[(crc ^ unchecked(data[i])) & 0xff]) ^ (crc >>> 8);
  return crc ^ 0xffffffff;
}

export function adler32(data: Uint8Array): u32 {
  let a: u32 = 1;
  let b: u32 = 0;
  let i = 0;
  const n = data.length;
  while (i < n) {
    const end = min(i + 5552, n); // the most bytes before the sums can overflow 32 bits
    for (; i < end; i++) {
      a += unchecked(data[i]);
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

// ---- deflate ----

class BitWriter {
  out: Bytes = new Bytes(1 << 16);
  bitBuf: u32 = 0;
  bitCount: u32 = 0;

  /** Writes the low `count` bits of `value`, least significant first. */
  bits(value: u32, count: u32): void {
    this.bitBuf |= value << this.bitCount;
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.out.push(<u8>this.bitBuf);
      this.bitBuf >>>= 8;
      this.bitCount -= 8;
    }
  }

  /** Writes a Huffman code (most significant bit first). */
  code(code: u32, length: u32): void {
    let reversed: u32 = 0;
    for (let i: u32 = 0; i < length; i++) reversed |= ((code >>> i) & 1) << (length - 1 - i);
    this.bits(reversed, length);
  }

  flush(): void {
    if (this.bitCount > 0) this.out.push(<u8>this.bitBuf);
    this.bitBuf = 0;
    this.bitCount = 0;
  }
}

function literal(w: BitWriter, sym: u32): void {
  if (sym < 144) w.code(0x30 + sym, 8);
  else if (sym < 256) w.code(0x190 + sym - 144, 9);
  else if (sym < 280) w.code(sym - 256, 7);
  else w.code(0xc0 + sym - 280, 8);
}

const LENGTH_BASE: StaticArray<u16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: StaticArray<u16> = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

function match(w: BitWriter, length: i32, distance: i32): void {
  let li = 28;
  while (<i32>LENGTH_BASE[li] > length) li--;
  literal(w, 257 + <u32>li);
  w.bits(<u32>(length - LENGTH_BASE[li]), LENGTH_EXTRA[li]);
  let di = 29;
  while (<i32>DIST_BASE[di] > distance) di--;
  w.code(<u32>di, 5);
  w.bits(<u32>(distance - DIST_BASE[di]), DIST_EXTRA[di]);
}

const WINDOW = 32768;
const HASH_BITS = 15;
const MAX_CHAIN = 64;
const MAX_MATCH = 258;

/** One final deflate block with fixed Huffman codes, LZ77 with greedy matching over hash chains. */
function deflateFixed(data: Uint8Array): Uint8Array {
  const w = new BitWriter();
  w.bits(1, 1); // BFINAL
  w.bits(1, 2); // BTYPE = 01, fixed Huffman
  const n = data.length;
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(WINDOW);
  let i = 0;
  while (i < n) {
    let bestLength = 0;
    let bestDistance = 0;
    if (i + 2 < n) {
      const h = hash3(data, i);
      let candidate = unchecked(head[h]);
      let chain = MAX_CHAIN;
      const maxLength = min(MAX_MATCH, n - i);
      while (candidate >= 0 && i - candidate <= WINDOW && chain-- > 0) {
        if (unchecked(data[candidate + bestLength]) == unchecked(data[i + bestLength])) {
          let length = 0;
          while (length < maxLength && unchecked(data[candidate + length]) == unchecked(data[i + length])) length++;
          if (length > bestLength) {
            bestLength = length;
            bestDistance = i - candidate;
            if (length == maxLength) break;
          }
        }
        candidate = unchecked(prev[candidate & (WINDOW - 1)]);
      }
    }
    const step = bestLength >= 3 ? bestLength : 1;
    if (bestLength >= 3) match(w, bestLength, bestDistance);
    else literal(w, unchecked(data[i]));
    for (let k = 0; k < step; k++, i++) {
      if (i + 2 < n) {
        const h = hash3(data, i);
        unchecked((prev[i & (WINDOW - 1)] = head[h]));
        unchecked((head[h] = i));
      }
    }
  }
  literal(w, 256); // end of block
  w.flush();
  return w.out.bytes();
}

// @ts-ignore: decorator
@inline
function hash3(data: Uint8Array, i: i32): i32 {
  const v = (<u32>unchecked(data[i]) << 16) | (<u32>unchecked(data[i + 1]) << 8) | <u32>unchecked(data[i + 2]);
  return <i32>((v * 2654435761) >>> (32 - HASH_BITS));
}

/** Stored (uncompressed) deflate blocks of at most 65535 bytes. */
function deflateStored(data: Uint8Array): Uint8Array {
  const out = new Bytes(data.length + 5 * (data.length / 65535 + 1));
  let i = 0;
  do {
    const n = min(65535, data.length - i);
    out.push(i + n == data.length ? 1 : 0);
    out.u16le(<u32>n);
    out.u16le(<u32>(~n & 0xffff));
    out.append(data, i, i + n);
    i += n;
  } while (i < data.length);
  return out.bytes();
}

/** A zlib stream (RFC 1950) around the smaller of the two deflate encodings. */
export function zlib(data: Uint8Array): Uint8Array {
  const fixed = deflateFixed(data);
  const stored = deflateStored(data);
  const body = fixed.length < stored.length ? fixed : stored;
  const out = new Bytes(body.length + 6);
  out.push(0x78); // CMF: deflate, 32 KiB window
  out.push(0x9c); // FLG: default compression, no dictionary; (0x789c % 31 == 0)
  out.append(body);
  out.u32be(adler32(data));
  return out.bytes();
}

// ---- PNG ----

function paeth(a: i32, b: i32, c: i32): i32 {
  const p = a + b - c;
  const pa = abs(p - a);
  const pb = abs(p - b);
  const pc = abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

/** Filtered scanlines: each row gets the filter (0-4) whose output has the smallest sum of |signed bytes|. */
function filterRows(rgb: Uint8Array, width: i32, height: i32): Uint8Array {
  const stride = width * 3;
  const out = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const up = row - stride;
    let bestFilter = 0;
    let bestScore = i32.MAX_VALUE;
    for (let f = 0; f < 5; f++) {
      let score = 0;
      for (let x = 0; x < stride; x++) {
        const cur = <i32>unchecked(rgb[row + x]);
        const a = x >= 3 ? <i32>unchecked(rgb[row + x - 3]) : 0;
        const b = y > 0 ? <i32>unchecked(rgb[up + x]) : 0;
        const c = x >= 3 && y > 0 ? <i32>unchecked(rgb[up + x - 3]) : 0;
        let v = cur;
        if (f == 1) v = cur - a;
        else if (f == 2) v = cur - b;
        else if (f == 3) v = cur - ((a + b) >> 1);
        else if (f == 4) v = cur - paeth(a, b, c);
        const byte = <u8>v;
        unchecked((trial[x] = byte));
        score += abs(<i32>(<i8>byte));
      }
      if (score < bestScore) {
        bestScore = score;
        bestFilter = f;
        memory.copy(out.dataStart + <usize>(y * (stride + 1) + 1), trial.dataStart, <usize>stride);
      }
    }
    out[y * (stride + 1)] = <u8>bestFilter;
  }
  return out;
}

function chunk(png: Bytes, type: string, data: Uint8Array): void {
  png.u32be(<u32>data.length);
  const start = png.length;
  png.ascii(type);
  png.append(data);
  png.u32be(crc32(png.data, start, png.length));
}

/** Encodes 8-bit RGB pixels (row-major, 3 bytes a pixel) as a PNG file. */
export function encodePng(rgb: Uint8Array, width: i32, height: i32): Uint8Array {
  const png = new Bytes(rgb.length / 2 + 1024);
  png.push(0x89); // signature: \x89 P N G \r \n \x1a \n
  png.ascii("PNG");
  png.push(0x0d);
  png.push(0x0a);
  png.push(0x1a);
  png.push(0x0a);
  const ihdr = new Bytes(13);
  ihdr.u32be(<u32>width);
  ihdr.u32be(<u32>height);
  ihdr.push(8); // bit depth
  ihdr.push(2); // colour type: RGB
  ihdr.push(0); // compression: deflate
  ihdr.push(0); // filter method: adaptive
  ihdr.push(0); // no interlace
  chunk(png, "IHDR", ihdr.bytes());
  chunk(png, "IDAT", zlib(filterRows(rgb, width, height)));
  chunk(png, "IEND", new Uint8Array(0));
  return png.bytes();
}
