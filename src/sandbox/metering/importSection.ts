// The import section, read for three facts: whether the module imports a memory (refused: its maximum would be
// the host's to set, not the pass's); how many globals it imports (they come first in the global index space, so
// the pass's own globals are numbered after them and the module's defined globals); and how many functions it
// imports (calls to them reach the host, which must never see a count above the budget).
import { ImportedMemoryError } from "./errors.ts";
import { ExternalKind } from "./opcodes.ts";
import type { WasmReader } from "./wasmReader.ts";
import { readLimits, skipValType } from "./wasmTypes.ts";

export interface ImportSummary {
  importedGlobals: number;
  /** Imported functions come first in the function index space; calls to them reach the host. */
  importedFunctions: number;
}

export function scanImports(reader: WasmReader): ImportSummary {
  let importedGlobals = 0;
  let importedFunctions = 0;
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    const moduleName = reader.name();
    const fieldName = reader.name();
    const at = reader.pos;
    const kind = reader.byte();
    switch (kind) {
      case ExternalKind.function:
        reader.u32();
        importedFunctions++;
        break;
      case ExternalKind.table:
        skipValType(reader);
        readLimits(reader, "table");
        break;
      case ExternalKind.memory:
        throw new ImportedMemoryError({ importName: `${moduleName}.${fieldName}` });
      case ExternalKind.global:
        skipValType(reader);
        if (reader.byte() > 1) throw reader.invalid("malformed global mutability", reader.pos - 1);
        importedGlobals++;
        break;
      case ExternalKind.tag:
        if (reader.byte() !== 0) throw reader.invalid("malformed tag attribute", reader.pos - 1);
        reader.u32();
        break;
      default:
        throw reader.invalid(`unknown import kind ${kind}`, at);
    }
  }
  reader.expectEnd("import section");
  return { importedGlobals, importedFunctions };
}
