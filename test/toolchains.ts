// Whether this machine has the C and Rust WASI toolchains that `lilypad module build` drives. .ci/run installs them
// (Debian's clang, lld, wasi-libc and rustc with its wasm32 standard library); on a machine without them the tests
// that compile C or Rust are skipped with this reason instead of failing on the machine's setup.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RUST_WASI_TARGETS } from "../src/modules/compileRust.ts";
import { findExecutables } from "../src/modules/findExecutable.ts";

const APT = "apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 rustc libstd-rust-dev-wasm32 (as .ci/run does)";

/** Why C modules cannot be built here, or undefined when they can. */
export const C_TOOLCHAIN_MISSING: string | undefined =
  findExecutables("clang", process.env.PATH).length === 0
    ? `no clang on PATH: ${APT}`
    : !process.env.WASI_SYSROOT && !existsSync("/usr/include/wasm32-wasi")
      ? `no wasi-libc (/usr/include/wasm32-wasi): ${APT}`
      : undefined;

/** Why Rust modules cannot be built here, or undefined when they can. */
export const RUST_TOOLCHAIN_MISSING: string | undefined = findExecutables("rustc", process.env.PATH).some((rustc) => {
  try {
    const sysroot = execFileSync(rustc, ["--print", "sysroot"], { encoding: "utf8" }).trim();
    return RUST_WASI_TARGETS.some((target) => existsSync(join(sysroot, "lib", "rustlib", target, "lib")));
  } catch {
    return false;
  }
})
  ? undefined
  : `no rustc on PATH with the WASI standard library: ${APT}`;
