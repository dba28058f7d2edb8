// Builds a module folder: compiles its AssemblyScript sources (assembly/index.ts, if any) to build/module.wasm,
// then packages the folder into the block store (packageModule.ts). `lilypad module build` and
// `lilypad module publish` both build folders this way, so what is published is what the sources give today.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { ModulePackageError } from "./errors.ts";
import { packageModule, type PackageModuleResult } from "./packageModule.ts";

export interface BuildModuleParameters {
  /** The module folder (manifest.json, and assembly/index.ts, module.wasm or js files). */
  dir: string;
  blockstore: Blockstore;
  /** Called with the absolute path of the source file before it is compiled (compiling takes seconds). */
  onCompile?: (source: string) => void;
}

export async function buildModule({ dir, blockstore, onCompile }: BuildModuleParameters): Promise<PackageModuleResult> {
  const root = resolve(dir);
  const source = join(root, "assembly", "index.ts");
  if (existsSync(source)) {
    const { compileModule, repoRoot } = await loadCompiler(root);
    onCompile?.(source);
    const wasm = await compileModule({ entry: relative(repoRoot, source) });
    await mkdir(join(root, "build"), { recursive: true });
    await writeFile(join(root, "build", "module.wasm"), wasm);
  }
  return await packageModule({ dir: root, blockstore });
}

/** Loaded only when a folder has sources: the compiler is large, and only module authors have it installed. */
async function loadCompiler(root: string): Promise<typeof import("./compileAssemblyScript.ts")> {
  try {
    return await import("./compileAssemblyScript.ts");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new ModulePackageError({
      dir: root,
      reason: "assembly/index.ts needs the AssemblyScript compiler, which is not installed",
      hint: "run `npm install --save-dev assemblyscript @assemblyscript/wasi-shim` and try again, or compile assembly/index.ts to build/module.wasm yourself",
      cause: error,
    });
  }
}
