// Compiles AssemblyScript (with @assemblyscript/wasi-shim) to a WASI command module, reproducibly: sources are
// passed relative to the repository root (asc embeds file names in abort messages), the runtime and
// optimisation levels are pinned, and no source map or debug info is emitted. Used by `npm run build:modules`
// and `lilypad module build`.
import { readdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { LilypadError } from "../core/errors.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The asc flags every module is compiled with (besides its entry file and output name). */
export const ascFlags: readonly string[] = [
  "--config",
  "node_modules/@assemblyscript/wasi-shim/asconfig.json",
  "--optimizeLevel",
  "3",
  "--shrinkLevel",
  "0",
  "--runtime",
  "stub",
  "--noColors",
];

export interface CompileModuleParameters {
  /** Entry file, relative to the repository root. */
  entry: string;
}

export class CompileModuleError extends LilypadError {
  /** The compiler's diagnostics. */
  readonly diagnostics: string;

  constructor(params: { entry: string; diagnostics: string }) {
    super({ code: "COMPILE_MODULE_FAILED", message: `asc failed to compile ${params.entry}:\n${params.diagnostics}` });
    this.name = "CompileModuleError";
    this.diagnostics = params.diagnostics;
  }
}

/**
 * Compiles one AssemblyScript entry file to WebAssembly bytes, in memory. File access goes through callbacks that
 * resolve paths against the repository root, so the result does not depend on the working directory (asc's own
 * file access mishandles an absolute --baseDir together with the shim's --lib folder).
 */
export async function compileModule({ entry }: CompileModuleParameters): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  let diagnostics = "";
  const sink = {
    write(chunk: Uint8Array | string) {
      diagnostics += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    },
  };
  const { error } = await asc.main([entry, "--baseDir", ".", ...ascFlags, "--outFile", "module.wasm"], {
    stdout: sink,
    stderr: sink,
    async readFile(filename, baseDir) {
      try {
        return await readFile(locate(resolve(repoRoot, baseDir, filename)), "utf8");
      } catch {
        return null;
      }
    },
    async listFiles(dirname, baseDir) {
      try {
        return (await readdir(locate(resolve(repoRoot, baseDir, dirname)))).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
      } catch {
        return null;
      }
    },
    writeFile(filename, contents) {
      if (filename.endsWith(".wasm") && typeof contents !== "string") binary = contents;
    },
  });
  if (error || !binary) throw new CompileModuleError({ entry, diagnostics: diagnostics || String(error) });
  return binary;
}


/**
 * Where a path under the package's own node_modules/ really is. In a checkout that is the path itself; in an
 * installed lilypad, npm hoists the compiler's packages (installed beside lilypad by module authors) to a
 * node_modules/ further up, where Node would find them too. Paths keep their repository-relative spelling for asc,
 * so a module compiles to the same bytes from a checkout and from the package.
 */
function locate(path: string): string {
  const ownModules = join(repoRoot, "node_modules") + sep;
  if (!path.startsWith(ownModules) || existsSync(path)) return path;
  const inside = path.slice(ownModules.length);
  for (let dir = dirname(repoRoot); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", inside);
    if (existsSync(candidate)) return candidate;
  }
  return path;
}
