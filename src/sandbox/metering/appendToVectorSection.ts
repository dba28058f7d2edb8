// Most sections are a vector: a u32 count, then the entries. Appending entries leaves the existing ones (and so
// every existing index) unchanged: only the count is re-encoded.
import { ByteWriter } from "./byteWriter.ts";
import type { WasmReader } from "./wasmReader.ts";

export interface AppendToVectorSectionParameters {
  /** The existing section's payload, or undefined to create the section. */
  existing: WasmReader | undefined;
  /** Encoded entries to append. */
  entries: Uint8Array;
  entryCount: number;
}

export interface AppendToVectorSectionResult {
  payload: Uint8Array;
  /** How many entries the section had before, i.e. the position of the first appended one. */
  previousCount: number;
}

export function appendToVectorSection(params: AppendToVectorSectionParameters): AppendToVectorSectionResult {
  const { existing, entries, entryCount } = params;
  const previousCount = existing === undefined ? 0 : existing.u32();
  const rest = existing === undefined ? new Uint8Array(0) : existing.bytes.subarray(existing.pos, existing.end);
  const out = new ByteWriter(rest.length + entries.length + 8);
  out.u32(previousCount + entryCount);
  out.bytes(rest);
  out.bytes(entries);
  return { payload: out.toBytes(), previousCount };
}
