// A deliberately naive reference for the counting rule: `counter += 1` in front of every original instruction.
// An instruction placed there runs exactly when the instruction does (an `end` or `else` only on fall-through,
// dead code never), so this counts executed instructions by construction, with none of the segmentation,
// folding or dead-code reasoning of the real pass. Bulk memory and table instructions also add their size, read
// from their length operand just before they run: one per 8 bytes (memory.init/copy/fill) or per entry
// (table.init/copy/grow/fill). Tests compare the two on real programs.
import { appendToVectorSection } from "../../../src/sandbox/metering/appendToVectorSection.ts";
import { ByteWriter } from "../../../src/sandbox/metering/byteWriter.ts";
import { readSections, sectionReader, writeSection } from "../../../src/sandbox/metering/moduleSections.ts";
import { readInstruction } from "../../../src/sandbox/metering/readInstruction.ts";
import { WasmReader } from "../../../src/sandbox/metering/wasmReader.ts";
import { skipValType } from "../../../src/sandbox/metering/wasmTypes.ts";

export const ORACLE_EXPORT = "__oracle_instructions";

/** The module with the naive counter, exported as ORACLE_EXPORT. It must have a global and an export section. */
export function instrumentEveryInstruction(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections = readSections(wasm);
  if (!sections.some((s) => s.id === 6) || !sections.some((s) => s.id === 7)) {
    throw new Error("the oracle only handles modules with global and export sections");
  }
  let importedGlobals = 0;
  const imports = sections.find((s) => s.id === 2);
  if (imports) {
    const r = sectionReader(wasm, imports);
    for (let i = r.u32(); i > 0; i--) {
      r.name();
      r.name();
      const kind = r.byte();
      if (kind === 0) r.u32();
      else if (kind === 1) {
        skipValType(r);
        const flags = r.byte();
        r.u32();
        if (flags & 1) r.u32();
      } else if (kind === 2) {
        const flags = r.byte();
        r.u32();
        if (flags & 1) r.u32();
      } else if (kind === 3) {
        skipValType(r);
        r.byte();
        importedGlobals++;
      } else {
        r.byte();
        r.u32();
      }
    }
  }
  const globalSection = sections.find((s) => s.id === 6);
  const globals = appendToVectorSection({
    existing: globalSection && sectionReader(wasm, globalSection),
    // The counter (mut i64) and a scratch for a bulk instruction's length (mut i32).
    entries: Uint8Array.of(0x7e, 0x01, 0x42, 0x00, 0x0b, 0x7f, 0x01, 0x41, 0x00, 0x0b),
    entryCount: 2,
  });
  const counter = importedGlobals + globals.previousCount;
  const exportEntry = new ByteWriter(32);
  exportEntry.name(ORACLE_EXPORT);
  exportEntry.byte(3);
  exportEntry.u32(counter);
  const exportSection = sections.find((s) => s.id === 7);
  const exports = appendToVectorSection({ existing: exportSection && sectionReader(wasm, exportSection), entries: exportEntry.toBytes(), entryCount: 1 });

  const out = new ByteWriter(wasm.length * 3);
  out.bytes(wasm.subarray(0, 8));
  for (const section of sections) {
    if (section.id === 6) writeSection(out, 6, globals.payload);
    else if (section.id === 7) writeSection(out, 7, exports.payload);
    else if (section.id === 10) writeSection(out, 10, everyInstruction(wasm, sectionReader(wasm, section), counter));
    else out.bytes(wasm.subarray(section.start, section.payloadEnd));
  }
  return out.toBytes();
}

function everyInstruction(wasm: Uint8Array, code: WasmReader, counter: number): Uint8Array {
  const out = new ByteWriter(wasm.length * 3);
  const count = code.u32();
  out.u32(count);
  const body = new ByteWriter(1024);
  for (let i = 0; i < count; i++) {
    const size = code.u32();
    const r = new WasmReader(wasm, code.pos, code.pos + size);
    code.skip(size);
    body.reset();
    const start = r.pos;
    for (let groups = r.u32(); groups > 0; groups--) {
      r.u32();
      skipValType(r);
    }
    body.bytes(wasm.subarray(start, r.pos));
    while (!r.atEnd) {
      const at = r.pos;
      const op = readInstruction(r);
      body.bytes([0x23, ...leb(counter), 0x42, 0x01, 0x7c, 0x24, ...leb(counter)]);
      const shift = op === 0xfc ? SIZE_SHIFTS[wasm[at + 1]!] : undefined;
      if (shift !== undefined) {
        // length: scratch = it (left on the stack); counter += length >> shift
        const scratch = counter + 1;
        body.bytes([0x24, ...leb(scratch), 0x23, ...leb(scratch), 0x23, ...leb(counter), 0x23, ...leb(scratch), 0xad]);
        body.bytes([0x42, shift, 0x88, 0x7c, 0x24, ...leb(counter)]);
      }
      body.bytes(wasm.subarray(at, r.pos));
    }
    out.u32(body.length);
    out.bytes(body.view());
  }
  return out.toBytes();
}

/** 0xfc sub-opcodes (all below 128, one byte) of the sized instructions, and the shift of their length. */
const SIZE_SHIFTS: Record<number, number> = { 8: 3, 10: 3, 11: 3, 12: 0, 14: 0, 15: 0, 17: 0 };

function leb(value: number): number[] {
  const w = new ByteWriter(8);
  w.u32(value);
  return [...w.toBytes()];
}
