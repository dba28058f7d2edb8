// Compiles a C module (every .c under src/) to a WASI preview-1 command module with clang and wasi-libc. Two
// setups work: Debian's `clang lld wasi-libc libclang-rt-14-dev-wasm32` (the sysroot is /usr), and the wasi-sdk
// (its clang knows its own sysroot). WASI_SYSROOT names another. -Wl,--strip-all drops the names section, which
// would otherwise embed nothing useful and make the artifact (and its CID) larger.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { findExecutables } from "./findExecutable.ts";
import { CompileSourcesError, ToolchainMissingError } from "./errors.ts";

const run = promisify(execFile);

export const C_TOOLCHAIN_HINT =
  "install clang with WASI support: on Debian/Ubuntu `sudo apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`, " +
  "or unpack the wasi-sdk and put its bin/ first on PATH";

export interface CompileCParameters {
  /** The module folder (for messages). */
  dir: string;
  /** The .c files, absolute. */
  files: string[];
  outFile: string;
  env: Readonly<Record<string, string | undefined>>;
}

export async function compileC({ dir, files, outFile, env }: CompileCParameters): Promise<void> {
  const clang = findExecutables("clang", env.PATH)[0];
  if (!clang) throw new ToolchainMissingError({ dir, language: "C", reason: "src/main.c needs clang, which is not on PATH", hint: C_TOOLCHAIN_HINT });
  const sysroot = env.WASI_SYSROOT ?? (existsSync("/usr/include/wasm32-wasi") ? "/usr" : undefined);
  const args = ["--target=wasm32-wasi", ...(sysroot ? [`--sysroot=${sysroot}`] : []), "-O2", "-Wl,--strip-all", "-o", outFile, ...files];
  try {
    await run(clang, args, { cwd: dir, env: { ...env } as NodeJS.ProcessEnv, maxBuffer: 16 << 20 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message);
    // clang without the WASI pieces fails in recognisable ways: say which piece, not its diagnostics.
    const missing = /wasm-ld.*(not found|No such file)|unable to execute command.*wasm-ld/i.test(stderr)
      ? "clang cannot link for WASI (wasm-ld, from lld, is missing)"
      : /'(stdio|stdlib|string|stddef)\.h' file not found|cannot find -lc|libclang_rt\.builtins-wasm32\.a.*(not found|No such file)|no such file or directory.*crt1/i.test(stderr)
        ? "clang has no WASI C library (wasi-libc) or runtime (libclang-rt for wasm32)"
        : /unknown target|No available targets are compatible/i.test(stderr)
          ? "this clang cannot target wasm32-wasi"
          : undefined;
    if (missing) throw new ToolchainMissingError({ dir, language: "C", reason: missing, hint: C_TOOLCHAIN_HINT, cause: error });
    throw new CompileSourcesError({ dir, compiler: "clang", diagnostics: stderr });
  }
}
