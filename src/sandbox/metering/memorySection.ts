// The memory section, rewritten so that the memory's maximum is at most the job's cap: `memory.grow` past it then
// returns -1 inside the module, deterministically, instead of the host allocating until something else fails.
import { ByteWriter } from "./byteWriter.ts";
import { MemoryLimitError } from "./errors.ts";
import type { WasmReader } from "./wasmReader.ts";
import { readLimits } from "./wasmTypes.ts";

export interface CapMemorySectionResult {
  payload: Uint8Array;
  /** The memory's maximum after capping, or undefined if the section declares no memory. */
  maxPages: number | undefined;
}

export function capMemorySection(reader: WasmReader, maxMemoryPages: number): CapMemorySectionResult {
  const at = reader.pos;
  const count = reader.u32();
  if (count > 1) throw reader.unsupported(`${count} memories (multi-memory)`, at);
  const out = new ByteWriter(16);
  out.u32(count);
  let maxPages: number | undefined;
  if (count === 1) {
    const limits = readLimits(reader, "memory");
    if (limits.min > maxMemoryPages) throw new MemoryLimitError({ initialPages: limits.min, maxMemoryPages });
    maxPages = limits.max === undefined ? maxMemoryPages : Math.min(limits.max, maxMemoryPages);
    out.byte(0x01); // limits with a maximum
    out.u32(limits.min);
    out.u32(maxPages);
  }
  reader.expectEnd("memory section");
  return { payload: out.toBytes(), maxPages };
}
