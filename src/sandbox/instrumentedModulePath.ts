// Instrumented binaries are cached on disk by module CID, limits and counting rule (METERING_VERSION): the pass runs
// once per module version.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { instrumentModule, METERING_VERSION } from "./metering/instrumentModule.ts";

export interface InstrumentedModulePathParameters {
  cacheDir: string;
  moduleCid: string;
  wasm: Uint8Array;
  instructionBudget: bigint;
  maxMemoryPages: number;
  /** The binary that keeps its count exact at a trap too (instrumentModule's `exactOnTrap`). */
  exactOnTrap?: boolean;
}

/** Instrumentations in progress in this process, by target path: concurrent jobs of a new module share one. */
const inProgress = new Map<string, Promise<string>>();

export async function instrumentedModulePath(params: InstrumentedModulePathParameters): Promise<string> {
  const variant = params.exactOnTrap ? "-exact" : "";
  const path = join(params.cacheDir, `m${METERING_VERSION}-${params.moduleCid}-${params.instructionBudget}-${params.maxMemoryPages}${variant}.wasm`);
  if (existsSync(path)) return path;
  let pending = inProgress.get(path);
  if (!pending) {
    pending = instrument(params, path).finally(() => inProgress.delete(path));
    inProgress.set(path, pending);
  }
  return pending;
}

async function instrument(params: InstrumentedModulePathParameters, path: string): Promise<string> {
  const { wasm } = instrumentModule({
    wasm: params.wasm,
    instructionBudget: params.instructionBudget,
    maxMemoryPages: params.maxMemoryPages,
    exactOnTrap: params.exactOnTrap ?? false,
  });
  await mkdir(params.cacheDir, { recursive: true });
  // Written under a unique temporary name and renamed, so a concurrent reader (or another process writing the
  // same file) never sees half a file.
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, wasm);
  await rename(temporary, path);
  return path;
}
