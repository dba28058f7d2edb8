// Compiles a Rust module (one crate rooted at src/main.rs, std only: no Cargo, so no crates to download) to a WASI
// preview-1 command module with rustc. The target was `wasm32-wasi` until Rust 1.78 renamed it `wasm32-wasip1`
// (the old name was removed in 1.84): each rustc is asked which it knows. A machine may have several rustc (rustup's
// in ~/.cargo/bin, Debian's in /usr/bin), and only some have the standard library for WASI, so every rustc on PATH
// is tried in order and the first that has it is used.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { CompileSourcesError, ToolchainMissingError } from "./errors.ts";
import { findExecutables } from "./findExecutable.ts";

const run = promisify(execFile);

/** The WASI preview-1 target's names, newest first. */
export const RUST_WASI_TARGETS = ["wasm32-wasip1", "wasm32-wasi"] as const;

export const RUST_TOOLCHAIN_HINT =
  "install Rust's WASI target: `rustup target add wasm32-wasip1` (Rust >= 1.78), or on Debian/Ubuntu `sudo apt-get install rustc libstd-rust-dev-wasm32`";

export interface CompileRustParameters {
  dir: string;
  entry: string;
  outFile: string;
  env: Readonly<Record<string, string | undefined>>;
}

interface RustToolchain {
  rustc: string;
  target: string;
}

export async function compileRust({ dir, entry, outFile, env }: CompileRustParameters): Promise<void> {
  const found = findExecutables("rustc", env.PATH);
  if (found.length === 0) throw new ToolchainMissingError({ dir, language: "Rust", reason: "src/main.rs needs rustc, which is not on PATH", hint: RUST_TOOLCHAIN_HINT });
  const processEnv = { ...env } as NodeJS.ProcessEnv;
  let toolchain: RustToolchain | undefined;
  const without: string[] = [];
  for (const rustc of found) {
    toolchain = await wasiToolchain(rustc, processEnv);
    if (toolchain) break;
    without.push(rustc);
  }
  if (!toolchain) {
    throw new ToolchainMissingError({
      dir,
      language: "Rust",
      reason: `no rustc on PATH has the standard library for ${RUST_WASI_TARGETS.join(" or ")} (tried ${without.join(", ")})`,
      hint: RUST_TOOLCHAIN_HINT,
    });
  }
  const args = ["--edition", "2021", "--target", toolchain.target, "-O", "-C", "strip=symbols", "-o", outFile, entry];
  try {
    await run(toolchain.rustc, args, { cwd: dir, env: processEnv, maxBuffer: 16 << 20 });
  } catch (error) {
    throw new CompileSourcesError({ dir, compiler: `rustc (${toolchain.target})`, diagnostics: String((error as { stderr?: unknown }).stderr ?? (error as Error).message) });
  }
}

/** The WASI target this rustc can build for, if its sysroot holds that target's standard library. */
async function wasiToolchain(rustc: string, env: NodeJS.ProcessEnv): Promise<RustToolchain | undefined> {
  try {
    const targets = new Set((await run(rustc, ["--print", "target-list"], { env })).stdout.split("\n"));
    const sysroot = (await run(rustc, ["--print", "sysroot"], { env })).stdout.trim();
    const target = RUST_WASI_TARGETS.find((t) => targets.has(t) && existsSync(join(sysroot, "lib", "rustlib", t, "lib")));
    return target ? { rustc, target } : undefined;
  } catch {
    return undefined;
  }
}
