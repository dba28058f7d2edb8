// The immediate layout of every opcode, checked against an independent decoder (wabt's): for each opcode and a
// set of candidate immediates, whenever wabt decodes the bytes as exactly one instruction followed by a `nop`
// marker, our reader must consume exactly the same bytes; and every opcode wabt knows must be known to us, apart
// from the ones we refuse on purpose. One wrong length would shift every later instruction boundary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import wabtInit from "wabt";
import { readInstruction } from "../../../src/sandbox/metering/readInstruction.ts";
import { WasmReader } from "../../../src/sandbox/metering/wasmReader.ts";
import { LilypadError } from "../../../src/core/errors.ts";

const wabt = await wabtInit();
const FEATURES = {
  exceptions: true,
  simd: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  function_references: true,
  multi_value: true,
  sat_float_to_int: true,
  sign_extension: true,
  relaxed_simd: true,
};

const leb = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
const section = (id: number, payload: number[]): number[] => [id, ...leb(payload.length), ...payload];

/** A module with one of everything an immediate of 0 can refer to: type, function, table, memory, tag, global, element and data segment. */
function moduleWithBody(body: number[]): Uint8Array {
  const code = [0x00, ...body];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 0]),
    ...section(3, [1, 0]),
    ...section(4, [1, 0x70, 0, 1]),
    ...section(5, [1, 0, 1]),
    ...section(13, [1, 0, 0]),
    ...section(6, [1, 0x7f, 1, 0x41, 0, 0x0b]),
    ...section(9, [1, 1, 0, 0]),
    ...section(12, [1]),
    ...section(10, [1, ...leb(code.length), ...code]),
    ...section(11, [1, 1, 0]),
  ]);
}

const NOP = 0x01;
const END = 0x0b;

/** Whether wabt reads `opcode imm` as exactly one instruction, followed by the nop marker. */
function wabtReadsOne(opcode: number[], imm: number[]): boolean {
  let module;
  try {
    module = wabt.readWasm(moduleWithBody([...opcode, ...imm, NOP, END]), { ...FEATURES, check: false });
  } catch {
    return false;
  }
  try {
    const lines = module
      .toText({})
      .split("\n")
      .filter((l) => l.startsWith("    "))
      .map((l) => l.trim().replace(/\)+$/, ""));
    const isUnreachable = opcode.length === 1 && opcode[0] === 0x00;
    return lines.length === 2 && lines[1] === "nop" && (isUnreachable || !lines[0]!.includes("unreachable"));
  } finally {
    module.destroy();
  }
}

/** Bytes our reader consumes for the immediates, or the error code it throws. */
function ourImmediateLength(opcode: number[], imm: number[]): number | string {
  const reader = new WasmReader(new Uint8Array([...opcode, ...imm, NOP, END]));
  try {
    readInstruction(reader);
    return reader.pos - opcode.length;
  } catch (error) {
    assert.ok(error instanceof LilypadError, `${opcode} threw ${String(error)}`);
    return error.code;
  }
}

interface Verdict {
  wabtLengths: number[];
  ours: (number | string)[];
}

function compare(opcode: number[], candidates: number[][]): Verdict {
  return {
    wabtLengths: candidates.filter((imm) => wabtReadsOne(opcode, imm)).map((imm) => imm.length),
    ours: candidates.map((imm) => ourImmediateLength(opcode, imm)),
  };
}

function checkOpcode(name: string, opcode: number[], candidates: number[][], expectation: "agree" | "refused" | "wabt-unknown"): void {
  const { wabtLengths, ours } = compare(opcode, candidates);
  const oursExact = candidates.filter((imm, i) => ours[i] === imm.length).map((imm) => imm.length);
  if (expectation === "refused") {
    assert.ok(wabtLengths.length > 0, `${name}: wabt should know it`);
    assert.ok(ours.every((o) => o === "UNSUPPORTED_WASM"), `${name}: should be refused, got ${ours}`);
    return;
  }
  if (expectation === "wabt-unknown") {
    assert.deepEqual(wabtLengths, [], `${name}: wabt now decodes it; move it to the checked set`);
    assert.ok(oursExact.length > 0, `${name}: we should decode it`);
    return;
  }
  for (const length of wabtLengths) {
    assert.ok(oursExact.includes(length), `${name}: wabt reads ${length} immediate bytes, we read ${ours}`);
  }
  if (wabtLengths.length === 0) {
    assert.ok(ours.every((o) => typeof o === "string"), `${name}: unknown to wabt but we accept it (${ours})`);
  }
}

// Immediates made of zeros (index 0, align 0, offset 0, lane 0) and the few other shapes the format uses.
const SINGLE_BYTE_CANDIDATES = [[], [0], [0, 0], [1, 0x7f], [0x70], [0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]];
// Block structure needs context (matching ends), so those opcodes are covered by the module tests instead.
const STRUCTURED = new Set([0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x18, 0x19, 0x1f]);
// Typed function references that wabt 1.0.39 cannot decode: return_call_ref, ref.eq, ref.as_non_null,
// br_on_null, br_on_non_null. Their layouts are from the specification.
const WABT_UNKNOWN = new Set([0x15, 0xd3, 0xd4, 0xd5, 0xd6]);

describe("readInstruction immediate layouts", () => {
  it("agrees with wabt on every single-byte opcode", () => {
    for (let op = 0; op < 0xfb; op++) {
      if (STRUCTURED.has(op)) continue;
      checkOpcode(`0x${op.toString(16)}`, [op], SINGLE_BYTE_CANDIDATES, WABT_UNKNOWN.has(op) ? "wabt-unknown" : "agree");
    }
  });

  it("agrees with wabt on every 0xfc opcode (saturating truncation, bulk memory, tables)", () => {
    for (let sub = 0; sub < 0x40; sub++) {
      checkOpcode(`0xfc ${sub}`, [0xfc, ...leb(sub)], [[], [0], [0, 0]], "agree");
    }
  });

  it("agrees with wabt on every SIMD opcode and refuses relaxed SIMD", () => {
    const candidates = [[], [0], [0, 0], [0, 0, 0], new Array<number>(16).fill(0)];
    for (let sub = 0; sub < 0x140; sub++) {
      const relaxed = sub >= 0x100 && sub <= 0x113;
      checkOpcode(`0xfd ${sub}`, [0xfd, ...leb(sub)], candidates, relaxed ? "refused" : "agree");
    }
  });

  it("refuses GC and thread instructions", () => {
    assert.equal(ourImmediateLength([0xfb, 0x00], [0]), "UNSUPPORTED_WASM");
    assert.equal(ourImmediateLength([0xfe, 0x10], [2, 0]), "UNSUPPORTED_WASM");
  });

  it("decodes multi-byte LEB128 immediates", () => {
    // i32.const -1 in five bytes, call 2^32-1, i64.const with ten bytes, memarg with a multi-byte offset.
    assert.equal(ourImmediateLength([0x41], [0xff, 0xff, 0xff, 0xff, 0x7f]), 5);
    assert.equal(ourImmediateLength([0x10], [0xff, 0xff, 0xff, 0xff, 0x0f]), 5);
    assert.equal(ourImmediateLength([0x42], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]), 10);
    assert.equal(ourImmediateLength([0x28], [0x02, 0x80, 0x80, 0x04]), 4);
    // An immediate that runs past the end of the body.
    const reader = new WasmReader(new Uint8Array([0x41, 0x80]));
    assert.throws(() => readInstruction(reader), { code: "INVALID_WASM" });
  });
});
