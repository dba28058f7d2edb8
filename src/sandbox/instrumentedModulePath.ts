// Instrumented binaries are cached on disk by module CID and limits: the pass runs once per module version.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { instrumentModule } from "./metering/instrumentModule.ts";

export interface InstrumentedModulePathParameters {
  cacheDir: string;
  moduleCid: string;
  wasm: Uint8Array;
  instructionBudget: bigint;
  maxMemoryPages: number;
}

export async function instrumentedModulePath(params: InstrumentedModulePathParameters): Promise<string> {
  const path = join(params.cacheDir, `${params.moduleCid}-${params.instructionBudget}-${params.maxMemoryPages}.wasm`);
  if (existsSync(path)) return path;
  const { wasm } = instrumentModule({
    wasm: params.wasm,
    instructionBudget: params.instructionBudget,
    maxMemoryPages: params.maxMemoryPages,
  });
  await mkdir(params.cacheDir, { recursive: true });
  // Written under a temporary name and renamed, so a concurrent reader never sees half a file.
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, wasm);
  await rename(temporary, path);
  return path;
}
