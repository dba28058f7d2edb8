// The metering benchmark's programs built from source (bench/workloads/): each is compiled to a WASI command with
// the same compilers, found the same way, as `lilypad module build` uses (src/modules/compileC.ts, compileRust.ts),
// into a cache outside git keyed by a hash of its sources and its compiler. Nothing is downloaded: without the
// compiler, the workload is skipped with the reason (naming the packages to install).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { compileC } from "../src/modules/compileC.ts";
import { compileRust } from "../src/modules/compileRust.ts";
import { ToolchainMissingError } from "../src/modules/errors.ts";
import { findExecutables } from "../src/modules/findExecutable.ts";

export const WORKLOADS_DIR = join(dirname(fileURLToPath(import.meta.url)), "workloads");

/** Where built workloads are kept between runs (not in git, not in the shared node_modules). */
export const DEFAULT_CACHE_DIR = join(tmpdir(), "lilypad-bench-workloads");

export interface SourceWorkload {
  /** Short name, also the cache file's prefix. */
  name: string;
  language: "C" | "Rust";
  /** What it does, for the bench's table. */
  title: string;
  /** Sources under bench/workloads/: every .c to compile (C), or the crate root (Rust). */
  sources: string[];
  /** Other files the build reads (headers), for the cache key. */
  headers?: string[];
  /** Arguments after argv[0] for a run of at least 200 ms unmetered on a 2-core VM. */
  benchArgs: string[];
  /** Arguments for a run of a few ms (tests). */
  testArgs: string[];
}

export const SOURCE_WORKLOADS: readonly SourceWorkload[] = [
  {
    name: "imagefilter",
    language: "C",
    title: "image filters: blur, Sobel, Canny, median, equalise, resize",
    sources: ["imagefilter.c"],
    benchArgs: ["880"],
    testArgs: ["24"],
  },
  {
    name: "json",
    language: "C",
    title: "JSON parse, query, serialise, reparse",
    sources: ["json.c"],
    benchArgs: ["4500"],
    testArgs: ["4"],
  },
  {
    name: "lz4",
    language: "C",
    title: "LZ4 1.9.2 fast, streaming and HC round trips",
    sources: ["lz4/main.c", "lz4/lz4.c", "lz4/lz4hc.c"],
    headers: ["lz4/lz4.h", "lz4/lz4hc.h"],
    benchArgs: ["3072"],
    testArgs: ["3"],
  },
  {
    name: "minimark",
    language: "C",
    title: "CoreMark-like: lists, matrices, state machine, CRC",
    sources: ["minimark.c"],
    benchArgs: ["17000"],
    testArgs: ["20"],
  },
  {
    name: "raytrace",
    language: "Rust",
    title: "ray tracer: BVH, trait objects, f64",
    sources: ["raytrace.rs"],
    benchArgs: ["200"],
    testArgs: ["8"],
  },
  {
    name: "textindex",
    language: "Rust",
    title: "full-text index: HashMap, strings, BM25, SHA-256",
    sources: ["textindex.rs"],
    benchArgs: ["5000"],
    testArgs: ["12", "4"],
  },
];

export type BuildResult = { wasm: Uint8Array<ArrayBuffer>; file: string; cached: boolean } | { skipped: string };

export interface BuildWorkloadParameters {
  cacheDir?: string;
  /** Only the workloads with these names (all when absent). */
  only?: string[];
  /** The environment the compiler is looked up and run in (its PATH, WASI_SYSROOT). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Which compilers would be used, as part of the cache key: a different or upgraded compiler rebuilds. */
function compilerIdentity(language: SourceWorkload["language"], env: Readonly<Record<string, string | undefined>>): string {
  const names = language === "C" ? ["clang"] : ["rustc"];
  const found = names.flatMap((name) => findExecutables(name, env.PATH));
  const identity = found.map((file) => {
    const stat = statSync(file);
    return `${file}:${stat.size}:${stat.mtimeMs}`;
  });
  if (language === "C") identity.push(`WASI_SYSROOT=${env.WASI_SYSROOT ?? ""}`, `wasi-libc=${existsSync("/usr/include/wasm32-wasi")}`);
  return identity.join("\n");
}

function cacheKey(workload: SourceWorkload, env: Readonly<Record<string, string | undefined>>): string {
  const hash = createHash("sha256");
  // The build recipe: compileC's and compileRust's flags live in those files.
  hash.update(`recipe 1\n${workload.language}\n${compilerIdentity(workload.language, env)}\n`);
  for (const compiler of ["compileC.ts", "compileRust.ts"]) hash.update(readFileSync(new URL(`../src/modules/${compiler}`, import.meta.url)));
  for (const file of [...workload.sources, ...(workload.headers ?? [])]) {
    hash.update(`\n${file}\n`);
    hash.update(readFileSync(join(WORKLOADS_DIR, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** Builds one workload, or returns the cached build; `skipped` says why it cannot be built here. */
export async function buildWorkload(workload: SourceWorkload, params: BuildWorkloadParameters = {}): Promise<BuildResult> {
  const env = params.env ?? process.env;
  const cacheDir = params.cacheDir ?? DEFAULT_CACHE_DIR;
  const file = join(cacheDir, `${workload.name}-${cacheKey(workload, env)}.wasm`);
  if (existsSync(file)) return { wasm: new Uint8Array(readFileSync(file)), file, cached: true };
  mkdirSync(cacheDir, { recursive: true });
  // Built under a temporary name and renamed, so that a concurrent run never reads half a file.
  const partial = `${file}.${process.pid}.tmp`;
  const dir = join(WORKLOADS_DIR, dirname(workload.sources[0]!));
  try {
    if (workload.language === "C") {
      await compileC({ dir, files: workload.sources.map((s) => join(WORKLOADS_DIR, s)), outFile: partial, env });
    } else {
      await compileRust({ dir, entry: join(WORKLOADS_DIR, workload.sources[0]!), outFile: partial, env });
    }
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    if (error instanceof ToolchainMissingError) {
      // compileC/compileRust speak of a module's src/main.c or src/main.rs; name the workload's source instead.
      const where = relative(process.cwd(), join(WORKLOADS_DIR, workload.sources[0]!));
      const reason = error.message.replace(/^cannot build [^:]+: /, "").replace(/src\/main\.(c|rs)/, where);
      return { skipped: `${reason.includes(where) ? "" : `${where}: `}${reason}; ${error.hint ?? ""}` };
    }
    throw error;
  }
  return { wasm: new Uint8Array(readFileSync(file)), file, cached: false };
}

/** Builds every workload (two at a time: this machine has two cores). */
export async function buildWorkloads(params: BuildWorkloadParameters = {}): Promise<Map<string, BuildResult>> {
  const results = new Map<string, BuildResult>();
  const queue = SOURCE_WORKLOADS.filter((w) => params.only === undefined || params.only.includes(w.name));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) results.set(next.name, await buildWorkload(next, params));
  };
  await Promise.all([worker(), worker()]);
  return results;
}
