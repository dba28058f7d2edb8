// The export section: checked for names the pass reserves (a module exporting its own "__lilypad_instructions"
// could hand the host a forged count), then extended with the metering globals.
import { ReservedExportError } from "./errors.ts";
import { ExternalKind } from "./opcodes.ts";
import type { WasmReader } from "./wasmReader.ts";

/** Every export name starting with this is reserved for the metering pass. */
export const RESERVED_EXPORT_PREFIX = "__lilypad_";

/**
 * Checks the export section. `globalCount` is the number of globals the module itself has: an export naming a
 * global past them is malformed, and after the pass appends its globals it would export the counter.
 */
export function checkExports(reader: WasmReader, globalCount: number): void {
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    const name = reader.name();
    if (name.startsWith(RESERVED_EXPORT_PREFIX)) throw new ReservedExportError({ exportName: name });
    const at = reader.pos;
    const kind = reader.byte();
    if (kind > ExternalKind.tag) throw reader.invalid(`unknown export kind ${kind}`, at);
    const index = reader.u32();
    if (kind === ExternalKind.global && index >= globalCount) throw reader.invalid(`exported global index ${index} out of range`, at);
  }
  reader.expectEnd("export section");
}
