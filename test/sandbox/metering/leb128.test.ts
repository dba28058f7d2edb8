import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ByteWriter } from "../../../src/sandbox/metering/byteWriter.ts";
import { readS64, readSigned, readU32, skipS64, type ByteCursor } from "../../../src/sandbox/metering/leb128.ts";

const cursor = (bytes: number[]): ByteCursor => ({ bytes: new Uint8Array(bytes), pos: 0, end: bytes.length });

describe("LEB128", () => {
  it("round-trips u32 values", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), (value) => {
        const out = new ByteWriter(8);
        out.u32(value);
        const c = { bytes: out.toBytes(), pos: 0, end: out.length };
        assert.equal(readU32(c), value);
        assert.equal(c.pos, out.length);
      }),
    );
  });

  it("round-trips s64 values, and skipS64 steps over exactly the same bytes", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (value) => {
        const out = new ByteWriter(16);
        out.s64(value);
        const bytes = out.toBytes();
        const c = { bytes, pos: 0, end: bytes.length };
        assert.equal(readS64(c), value);
        assert.equal(c.pos, bytes.length);
        const skipped = { bytes, pos: 0, end: bytes.length };
        skipS64(skipped);
        assert.equal(skipped.pos, bytes.length);
      }),
    );
  });

  it("encodes non-negative numbers like the bigint encoder", () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (value) => {
        const a = new ByteWriter(16);
        a.sNonNegative(value);
        const b = new ByteWriter(16);
        b.s64(BigInt(value));
        assert.deepEqual(a.toBytes(), b.toBytes());
      }),
    );
  });

  it("reads s32 and s33 at their limits", () => {
    assert.equal(readSigned(cursor([0xff, 0xff, 0xff, 0xff, 0x07]), 32), 0x7fff_ffff);
    assert.equal(readSigned(cursor([0x80, 0x80, 0x80, 0x80, 0x78]), 32), -0x8000_0000);
    assert.equal(readSigned(cursor([0x7f]), 32), -1);
    assert.equal(readSigned(cursor([0xff, 0xff, 0xff, 0xff, 0x0f]), 33), 0xffff_ffff);
    assert.equal(readSigned(cursor([0x40]), 33), -64);
  });

  it("rejects overlong and out-of-range encodings", () => {
    const invalid = { code: "INVALID_WASM" };
    assert.throws(() => readU32(cursor([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])), invalid); // six bytes
    assert.throws(() => readU32(cursor([0xff, 0xff, 0xff, 0xff, 0x1f])), invalid); // 2^33 - 1
    assert.throws(() => readSigned(cursor([0xff, 0xff, 0xff, 0xff, 0x0f]), 32), invalid); // 2^32 - 1 is not an s32
    assert.throws(() => readSigned(cursor([0x80, 0x80, 0x80, 0x80, 0x70]), 32), invalid); // unused bits not a sign extension
    assert.throws(() => readS64(cursor([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), invalid);
    assert.throws(() => skipS64(cursor([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])), invalid);
  });

  it("rejects truncated encodings with InvalidWasmError, never a RangeError", () => {
    assert.throws(() => readU32(cursor([])), { code: "INVALID_WASM" });
    assert.throws(() => readU32(cursor([0x80, 0x80])), { code: "INVALID_WASM" });
    assert.throws(() => readSigned(cursor([0xff]), 33), { code: "INVALID_WASM" });
    assert.throws(() => skipS64(cursor([0xff, 0xff])), { code: "INVALID_WASM" });
    // The cursor's end, not the array's, is the limit.
    assert.throws(() => readU32({ bytes: new Uint8Array([0x80, 0x01]), pos: 0, end: 1 }), { code: "INVALID_WASM" });
  });
});
