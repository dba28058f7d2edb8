// The module's outer structure: header, then sections of (id, size, payload). Sizes are checked against the
// bytes actually present, and known sections must appear once each in the order the format prescribes, so that
// later stages can rely on "the" global or export section and on where a new one may be inserted.
import type { ByteWriter } from "./byteWriter.ts";
import { InvalidWasmError } from "./errors.ts";
import { SectionId } from "./opcodes.ts";
import { WasmReader } from "./wasmReader.ts";

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
export const WASM_VERSION = [0x01, 0x00, 0x00, 0x00] as const;
const HEADER_LENGTH = 8;

export interface Section {
  id: number;
  /** Offset of the id byte, so the section can be copied byte for byte. */
  start: number;
  payloadStart: number;
  payloadEnd: number;
}

/** Position of each non-custom section in the required order (the tag section sits between memory and global). */
const ORDER: Record<number, number> = {
  [SectionId.type]: 1,
  [SectionId.import]: 2,
  [SectionId.function]: 3,
  [SectionId.table]: 4,
  [SectionId.memory]: 5,
  [SectionId.tag]: 6,
  [SectionId.global]: 7,
  [SectionId.export]: 8,
  [SectionId.start]: 9,
  [SectionId.element]: 10,
  [SectionId.dataCount]: 11,
  [SectionId.code]: 12,
  [SectionId.data]: 13,
};

/** Where a non-custom section falls in the required order. */
export function sectionOrder(id: number): number {
  const order = ORDER[id];
  if (order === undefined) throw new Error(`no order for section ${id}`);
  return order;
}

/** Checks the header and splits the module into its sections. */
export function readSections(wasm: Uint8Array): Section[] {
  if (wasm.length < HEADER_LENGTH) {
    throw new InvalidWasmError({ offset: wasm.length, reason: "shorter than the 8-byte header" });
  }
  if (WASM_MAGIC.some((b, i) => wasm[i] !== b)) {
    throw new InvalidWasmError({ offset: 0, reason: "missing the \\0asm magic number" });
  }
  if (WASM_VERSION.some((b, i) => wasm[4 + i] !== b)) {
    const version = new DataView(wasm.buffer, wasm.byteOffset + 4, 4).getUint32(0, true);
    throw new InvalidWasmError({ offset: 4, reason: `binary format version ${version}, expected 1 (a core module)` });
  }

  const reader = new WasmReader(wasm, HEADER_LENGTH);
  const sections: Section[] = [];
  let lastOrder = 0;
  while (!reader.atEnd) {
    const start = reader.pos;
    const id = reader.byte();
    const size = reader.u32();
    const payloadStart = reader.pos;
    const payload = reader.region(size);
    if (id !== SectionId.custom) {
      const order = ORDER[id];
      if (order === undefined) throw new InvalidWasmError({ offset: start, reason: `unknown section id ${id}` });
      if (order <= lastOrder) throw new InvalidWasmError({ offset: start, reason: `section ${id} is duplicated or out of order` });
      lastOrder = order;
    } else {
      // A custom section must at least hold a well-formed name.
      payload.name();
    }
    sections.push({ id, start, payloadStart, payloadEnd: payload.end });
  }
  return sections;
}

/** A reader over a section's payload. */
export function sectionReader(wasm: Uint8Array, section: Section): WasmReader {
  return new WasmReader(wasm, section.payloadStart, section.payloadEnd);
}

/** Writes a section: id, payload size, payload. */
export function writeSection(out: ByteWriter, id: number, payload: Uint8Array): void {
  out.byte(id);
  out.u32(payload.length);
  out.bytes(payload);
}
