// Sandbox figures: the per-job overhead of a warm sandbox for a cached trivial module, and a compute-heavy
// module (modules/compute, a prime sieve) metered in the sandbox, unmetered, and as the same algorithm in
// plain JavaScript.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
import { parseManifest } from "../src/core/moduleId.ts";
import { instrumentModule } from "../src/sandbox/metering/instrumentModule.ts";
import { runWasmJob } from "../src/sandbox/runWasmJob.ts";
import { SandboxPool } from "../src/sandbox/sandboxPool.ts";
import { hello } from "../test/sandbox/watModules.ts";

export interface SandboxFigures {
  isolation: string;
  trivialJob: { runs: number; medianMs: number; p99Ms: number };
  compute: { n: number; meteredMs: number; unmeteredMs: number; nativeJsMs: number; sandboxedMs: number; meteringRatio: number; instructions: string };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

function manifestFor(instructions: string) {
  return parseManifest(
    {
      manifestVersion: 1, name: "bench", version: "v1", description: "", author: "bench", engine: "wasm",
      artifact: { cid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am" },
      inputs: [{ name: "N", type: "integer", min: 1, max: 100_000_000 }],
      invocation: { args: ["compute", "{{N}}"] },
      limits: { instructions, memoryMiB: 64, timeoutMs: 120_000 },
      deterministic: true, pricing: "metered",
    },
    "bench",
  );
}

/** Runs a WASI module in this process with node:wasi, timing `_start`. */
async function timeInProcess(wasm: Uint8Array, args: string[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "lilypad-bench-"));
  const out = openSync(join(dir, "out"), "w");
  try {
    const wasi = new WASI({ version: "preview1", args, env: {}, stdout: out, stderr: out, returnOnExit: true });
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>), wasi.getImportObject() as WebAssembly.Imports);
    const t = performance.now();
    wasi.start(instance);
    return performance.now() - t;
  } finally {
    closeSync(out);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The compute module's algorithm, in JavaScript: an odd-only bit sieve counting and summing primes below n. */
function nativeSieve(n: number): [number, bigint] {
  if (n <= 2) return [0, 0n];
  const size = n >>> 1;
  const words = new Uint32Array((size + 31) >>> 5);
  for (let i = 1; ; i++) {
    const p = 2 * i + 1;
    if (p * p >= n) break;
    if ((words[i >>> 5]! >>> (i & 31)) & 1) continue;
    for (let j = (p * p) >>> 1; j < size; j += p) words[j >>> 5]! |= 1 << (j & 31);
  }
  let count = 1;
  let sum = 2n;
  for (let i = 1; i < size; i++) {
    if (((words[i >>> 5]! >>> (i & 31)) & 1) === 0) {
      count++;
      sum += BigInt(2 * i + 1);
    }
  }
  return [count, sum];
}

export async function measureSandbox(): Promise<SandboxFigures> {
  const root = await mkdtemp(join(tmpdir(), "lilypad-bench-sandbox-"));
  const pool = new SandboxPool({ workRoot: root, size: 1 });
  try {
    await pool.warm(1);
    let job = 0;
    const trivial = manifestFor("1000000");
    const runTrivial = () =>
      runWasmJob({ pool, manifest: trivial, moduleCid: "bench-hello", wasm: hello, inputs: {}, jobDir: join(root, `j${++job}`), seed: Buffer.from("s"), cacheDir: join(root, "cache") });
    for (let i = 0; i < 20; i++) await runTrivial();
    const durations: number[] = [];
    for (let i = 0; i < 200; i++) durations.push((await runTrivial()).durationMs);

    const n = 20_000_000;
    const wasm = new Uint8Array(await readFile(new URL("../modules/compute/build/module.wasm", import.meta.url)));
    const args = ["compute", String(n)];
    const budget = 100_000_000_000n;
    const metered = instrumentModule({ wasm, instructionBudget: budget, maxMemoryPages: 1024 }).wasm;
    // Interleaved, so that both variants see the same machine load; medians of 7.
    const unmeteredRuns: number[] = [];
    const meteredRuns: number[] = [];
    for (let i = 0; i < 7; i++) {
      unmeteredRuns.push(await timeInProcess(wasm, args));
      meteredRuns.push(await timeInProcess(metered, args));
    }
    const unmeteredMs = median(unmeteredRuns);
    const meteredMs = median(meteredRuns);
    const nativeRuns = [0, 1, 2].map(() => {
      const t = performance.now();
      nativeSieve(n);
      return performance.now() - t;
    });
    const compute = manifestFor(budget.toString());
    const sandboxed = await runWasmJob({ pool, manifest: compute, moduleCid: "bench-compute", wasm, inputs: { N: n }, jobDir: join(root, "compute"), seed: Buffer.from("s"), cacheDir: join(root, "cache") });
    return {
      isolation: pool.isolation.description,
      trivialJob: { runs: durations.length, medianMs: median(durations), p99Ms: p99(durations) },
      compute: {
        n,
        meteredMs,
        unmeteredMs,
        nativeJsMs: median(nativeRuns),
        sandboxedMs: sandboxed.durationMs,
        meteringRatio: meteredMs / unmeteredMs,
        instructions: sandboxed.instructions.toString(),
      },
    };
  } finally {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await measureSandbox());
