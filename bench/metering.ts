// Cost of instruction metering on real programs: each workload is timed uninstrumented and instrumented (budget
// high enough never to stop it), and the ratio of the medians is reported, with the geometric mean and the worst
// ratio across workloads. Our bars: geometric mean <= 1.2x, worst <= 1.5x.
//
// Workloads (each at least 200 ms unmetered on this 2-core VM):
// - three WAT kernels: a hash loop, an insertion sort, recursive Fibonacci;
// - wabt, 600 KB of C++ compiled by emscripten (the npm package), parsing, validating and encoding WAT;
// - the prime sieve of modules/compute (AssemblyScript), as a WASI command (twice per run: it stops at 10^8);
// - tiny-secp256k1 (Rust, the npm package's wasm): ECDSA sign and verify;
// - programs built here from bench/workloads/ (bench/buildWorkloads.ts): C with clang and wasi-libc (image
//   filters, a JSON library, LZ4, a CoreMark-like mix) and Rust with rustc (a ray tracer, a full-text index).
//
// Timing: CPU time of the process (process.cpuUsage), so that other processes on the machine count less;
// `instances` fresh compilations of each variant (the nonce section makes the bytes, and so the machine code,
// their own), a few untimed warm-up runs on each (V8 tiers hot functions up in the background), then `runs`
// timed runs alternating the variants and which goes first. A WASI command's run is a fresh instance of the
// compiled module plus `_start`, alike for both. Every run's output must equal the unmetered one's.
//
// `node bench/metering.ts [id ...]` runs the suite (or the workloads named: checksum, sort, fib, wabt, sieve,
// secp256k1, imagefilter, json, lz4, minimark, raytrace, textindex); `node bench/run.ts metering` also writes
// bench/results/metering.json.
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";
import { instrumentModule } from "../src/sandbox/metering/instrumentModule.ts";
import { buildWorkloads, SOURCE_WORKLOADS } from "./buildWorkloads.ts";
import { runWasiCommand } from "./wasiCommand.ts";

/** A hash loop over 1 MiB, an insertion sort (a branchy inner loop) and naive recursive Fibonacci (call-heavy). */
const WORKLOADS_WAT = `(module
  (memory (export "memory") 64)
  (func $fill (param $n i32) (param $seed i32) (local $i i32) (local $x i32)
    (local.set $x (local.get $seed))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  (func (export "checksum") (param $n i32) (param $rounds i32) (result i32) (local $i i32) (local $h i32) (local $r i32)
    (call $fill (local.get $n) (i32.const 12345))
    (local.set $h (i32.const 0x811c9dc5))
    (loop $round
      (local.set $i (i32.const 0))
      (loop $word
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load (i32.shl (local.get $i) (i32.const 2)))) (i32.const 16777619)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $word (i32.lt_u (local.get $i) (local.get $n))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $r) (local.get $rounds))))
    (local.get $h))
  (func (export "sort") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $key i32) (local $prev i32)
    (call $fill (local.get $n) (i32.const 777))
    (local.set $i (i32.const 1))
    (block $sorted (loop $outer
      (br_if $sorted (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $key (i32.load (i32.shl (local.get $i) (i32.const 2))))
      (local.set $j (local.get $i))
      (block $placed (loop $shift
        (br_if $placed (i32.eqz (local.get $j)))
        (local.set $prev (i32.load (i32.sub (i32.shl (local.get $j) (i32.const 2)) (i32.const 4))))
        (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
        (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $prev))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $shift)))
      (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $key))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (i32.load (i32.shl (i32.shr_u (local.get $n) (i32.const 1)) (i32.const 2))))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`;

/** One compiled pair to time against each other. Each call is one run; it returns what the run produced. */
interface Subject {
  plain: () => string;
  /** Also returns the instructions the run executed, as the metered module counted them. */
  metered: () => { output: string; instructions: bigint };
}

interface Workload {
  /** Short name, for choosing workloads on the command line. */
  id: string;
  /** What runs, with its size. */
  name: string;
  /** The source language (and toolchain) of the wasm. */
  language: string;
  /** Untimed runs of each variant first: V8 optimises hot functions in the background and uses the result from the next call. */
  warmup: number;
  /**
   * Compiles a fresh pair. Each pair gets its own machine code (the nonce changes the bytes, so V8 cannot reuse a
   * cached compilation), because code placement alone can move a tight loop's time by 2x on some CPUs.
   */
  prepare: (nonce: number) => Promise<Subject>;
}

export interface MeteringCostFigure {
  /** Short name (see the command line). */
  id: string;
  workload: string;
  language: string;
  unmeteredMs: number;
  meteredMs: number;
  /** meteredMs / unmeteredMs */
  ratio: number;
  /** Instructions counted by one metered run. */
  instructions: bigint;
  /** Timed runs per variant. */
  runs: number;
  /** Every timed run, in ms, in the order run. */
  unmeteredSamplesMs: number[];
  meteredSamplesMs: number[];
}

export interface SkippedWorkload {
  id: string;
  reason: string;
}

export interface MeteringCostResult {
  figures: MeteringCostFigure[];
  /** Workloads that could not run here (a compiler or a built module missing), with the reason. */
  skipped: SkippedWorkload[];
  /** Geometric mean of the ratios. */
  geomean: number;
  /** The worst ratio across workloads, and whose it is. */
  worstRatio: number;
  worstWorkload: string;
  bars: { geomean: number; worst: number };
  /** Wall-clock time the whole suite took, builds included. */
  totalSeconds: number;
}

export interface MeasureMeteringCostParameters {
  /** Fresh compilations per workload (the median is over all runs of all of them). */
  instances?: number;
  /** Timed runs per variant and instance. */
  runs?: number;
  /** Only these workload ids (all when empty). */
  only?: string[];
}

export const BARS = { geomean: 1.2, worst: 1.5 } as const;
/** A budget no workload reaches. */
const BUDGET = 1n << 62n;
/** Memory cap for the metered WASI commands (1 GiB): far above what they use. */
const WASI_MAX_PAGES = 16384;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * CPU time of the process while `run` runs, in ms. On a shared machine, wall time also counts the time other
 * processes hold the core; CPU time does not (it does count V8's helper threads, idle once code is optimised).
 */
function timeMs(run: () => unknown): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** A full garbage collection between timed runs, so that one run's garbage (a WASI run's memory) is not collected during the next. */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return () => {};
  }
})();

/** The module with a custom section holding `nonce` appended, so that its bytes (and compiled code) are its own. */
function withNonce(wasm: Uint8Array, nonce: number): Uint8Array<ArrayBuffer> {
  const name = [...new TextEncoder().encode("nonce")];
  const payload = [name.length, ...name, nonce & 0xff, (nonce >>> 8) & 0xff];
  const out = new Uint8Array(wasm.length + 2 + payload.length);
  out.set(wasm);
  out.set([0x00, payload.length, ...payload], wasm.length);
  return out;
}

/** Times a workload on fresh pairs, alternating the variants so that machine noise hits both alike. */
async function measure(workload: Workload, instances: number, runs: number): Promise<MeteringCostFigure> {
  const unmetered: number[] = [];
  const metered: number[] = [];
  let instructions = 0n;
  let expected: string | undefined;
  const check = (output: string, variant: string) => {
    expected ??= output;
    if (output !== expected) throw new Error(`${workload.name}: the ${variant} run printed ${JSON.stringify(output.slice(0, 200))}, expected ${JSON.stringify(expected.slice(0, 200))}`);
  };
  const timePlain = (subject: Subject) => {
    let output = "";
    collectGarbage();
    unmetered.push(timeMs(() => (output = subject.plain())));
    check(output, "unmetered");
  };
  const timeMetered = (subject: Subject) => {
    let result = { output: "", instructions: 0n };
    collectGarbage();
    metered.push(timeMs(() => (result = subject.metered())));
    check(result.output, "metered");
    instructions = result.instructions;
  };
  for (let k = 0; k < instances; k++) {
    const subject = await workload.prepare(k);
    for (let i = 0; i < workload.warmup; i++) {
      check(subject.plain(), "unmetered");
      check(subject.metered().output, "metered");
    }
    for (let i = 0; i < runs; i++) {
      // Which variant goes first alternates too: a run can leave work (GC, compilation) to the next.
      if ((k * runs + i) % 2 === 0) {
        timePlain(subject);
        timeMetered(subject);
      } else {
        timeMetered(subject);
        timePlain(subject);
      }
    }
  }
  const unmeteredMs = median(unmetered);
  const meteredMs = median(metered);
  return { id: workload.id, workload: workload.name, language: workload.language, unmeteredMs, meteredMs, ratio: meteredMs / unmeteredMs, instructions, runs: unmetered.length, unmeteredSamplesMs: unmetered, meteredSamplesMs: metered };
}

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

/** The counter global of a metered instance. */
function counterOf(instance: WebAssembly.Instance): WebAssembly.Global {
  return instance.exports.__lilypad_instructions as WebAssembly.Global;
}

/** `run` on a metered instance, as a Subject's `metered`: its output and the instructions its counter gained. */
function counted(instance: WebAssembly.Instance, run: () => string): Subject["metered"] {
  const counter = counterOf(instance);
  return () => {
    const before = counter.value as bigint;
    const output = run();
    return { output, instructions: (counter.value as bigint) - before };
  };
}

/** A workload calling one export of the WAT kernels. */
function kernel(wabt: Wabt, id: string, name: string, call: (exports: WebAssembly.Exports) => number): Workload {
  const original = wabt.parseWat("workloads.wat", WORKLOADS_WAT, {}).toBinary({}).buffer;
  return {
    id,
    name,
    language: "WAT",
    warmup: 2,
    async prepare(nonce) {
      const bytes = withNonce(original, nonce);
      const plain = (await WebAssembly.instantiate(bytes)).instance;
      const metered = (await WebAssembly.instantiate(instrumentModule({ wasm: bytes, instructionBudget: BUDGET, maxMemoryPages: 64 }).wasm)).instance;
      return { plain: () => String(call(plain.exports)), metered: counted(metered, () => String(call(metered.exports))) };
    },
  };
}

/**
 * wabt, an emscripten build of C++: the instance wabtInit creates is captured (and, for the metered variant, its
 * module instrumented) by intercepting WebAssembly.instantiate while it loads.
 */
async function loadWabt(meter: boolean, nonce: number): Promise<{ wabt: Wabt; instance: WebAssembly.Instance }> {
  const realInstantiate = WebAssembly.instantiate;
  let instance: WebAssembly.Instance | undefined;
  const intercept = async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (instance !== undefined || !(source instanceof Uint8Array || source instanceof ArrayBuffer)) return realInstantiate(source as BufferSource, imports);
    const bytes = withNonce(new Uint8Array(source), nonce);
    const wasm = meter ? instrumentModule({ wasm: bytes, instructionBudget: BUDGET, maxMemoryPages: 32768 }).wasm : bytes;
    const result = await realInstantiate(wasm, imports);
    instance = result.instance;
    return result;
  };
  WebAssembly.instantiate = intercept as unknown as typeof WebAssembly.instantiate;
  try {
    const wabt = await wabtInit();
    if (instance === undefined) throw new Error("wabt did not instantiate through WebAssembly.instantiate");
    return { wabt, instance };
  } finally {
    WebAssembly.instantiate = realInstantiate;
  }
}

/** A WAT module of `count` small functions, for wabt to parse, validate and encode. */
function bigWat(count: number): string {
  const functions = Array.from(
    { length: count },
    (_, i) => `(func $f${i} (export "f${i}") (param $x i32) (result i32) (local $i i32)
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${(i % 300) + 1})))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 31)) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.get $x))`,
  );
  return `(module (memory 1) ${functions.join("\n")})`;
}

function wabtWorkload(functions: number, times: number): Workload {
  const source = bigWat(functions);
  return {
    id: "wabt",
    name: `wabt: parse + validate + encode ${functions.toLocaleString("en-US")} functions x${times}`,
    language: "C++ (emscripten)",
    warmup: 3,
    async prepare(nonce) {
      const job = (api: Wabt) => () => {
        let size = 0;
        for (let i = 0; i < times; i++) {
          const module = api.parseWat("big.wat", source, {});
          module.validate();
          size += module.toBinary({}).buffer.length;
          module.destroy();
        }
        return String(size);
      };
      const plain = await loadWabt(false, nonce);
      const metered = await loadWabt(true, nonce);
      return { plain: job(plain.wabt), metered: counted(metered.instance, job(metered.wabt)) };
    },
  };
}

/**
 * A WASI command: each run instantiates the compiled module afresh and calls `_start` (`times` times in a row, each on
 * a fresh instance, for a program whose own limits keep one run short).
 */
function wasiCommand(id: string, name: string, language: string, wasm: Uint8Array, args: string[], times = 1): Workload {
  return {
    id,
    name,
    language,
    warmup: 2,
    async prepare(nonce) {
      const bytes = withNonce(wasm, nonce);
      const plain = await WebAssembly.compile(bytes);
      const metered = await WebAssembly.compile(instrumentModule({ wasm: bytes, instructionBudget: BUDGET, maxMemoryPages: WASI_MAX_PAGES }).wasm);
      const run = (module: WebAssembly.Module, count: (instance: WebAssembly.Instance) => bigint) => {
        let output = "";
        let instructions = 0n;
        for (let i = 0; i < times; i++) {
          const result = runWasiCommand(module, [id, ...args]);
          if (result.exitCode !== 0) throw new Error(`${name} exited with ${result.exitCode}: ${result.stderr}`);
          output += result.stdout;
          instructions += count(result.instance);
        }
        return { output, instructions };
      };
      return {
        plain: () => run(plain, () => 0n).output,
        metered: () => run(metered, (instance) => counterOf(instance).value as bigint),
      };
    },
  };
}

/** tiny-secp256k1's wasm (Rust, libsecp256k1 bindings), driven through its exports as the package's index.js does. */
function secp256k1Workload(wasm: Uint8Array, signatures: number): Workload {
  // Keys and message hashes, fixed: signing is deterministic (RFC 6979), so every run does the same work.
  const keys = Array.from({ length: 64 }, (_, i) => createHash("sha256").update(`key ${i}`).digest());
  const hashes = Array.from({ length: 64 }, (_, i) => createHash("sha256").update(`message ${i}`).digest());
  const imports = {
    // Only used to randomise the context's blinding, which does not change results; fixed here.
    "./rand.js": { generateInt32: () => 0x2545f491 },
    "./validate_error.js": {
      throwError: (code: number) => {
        throw new Error(`secp256k1 error ${code}`);
      },
    },
  };
  const job = (instance: WebAssembly.Instance) => {
    const e = instance.exports as Record<string, WebAssembly.Global & ((...args: number[]) => number)> & { memory: WebAssembly.Memory };
    const at = (name: string) => e[name]!.value as number;
    const [hashAt, keyAt, signatureAt] = [at("HASH_INPUT"), at("PRIVATE_INPUT"), at("SIGNATURE_INPUT")];
    return () => {
      const digest = createHash("sha256");
      let verified = 0;
      for (let i = 0; i < signatures; i++) {
        const memory = new Uint8Array(e.memory.buffer);
        memory.set(hashes[i % hashes.length]!, hashAt);
        memory.set(keys[i % keys.length]!, keyAt);
        e.sign!(0);
        digest.update(memory.subarray(signatureAt, signatureAt + 64));
        if (e.pointFromScalar!(33) !== 1) throw new Error("secp256k1: pointFromScalar failed");
        verified += e.verify!(33, 0);
      }
      return `${verified} verified, ${digest.digest("hex")}`;
    };
  };
  return {
    id: "secp256k1",
    name: `tiny-secp256k1: ECDSA sign + public key + verify x${signatures}`,
    language: "Rust (npm package)",
    warmup: 2,
    async prepare(nonce) {
      const bytes = withNonce(wasm, nonce);
      const plain = await WebAssembly.instantiate(bytes, imports);
      const metered = await WebAssembly.instantiate(instrumentModule({ wasm: bytes, instructionBudget: BUDGET, maxMemoryPages: 1024 }).wasm, imports);
      return { plain: job(plain.instance), metered: counted(metered.instance, job(metered.instance)) };
    },
  };
}

const SIEVE_WASM = new URL("../modules/compute/build/module.wasm", import.meta.url);
const SECP256K1_WASM = new URL("../node_modules/tiny-secp256k1/lib/secp256k1.wasm", import.meta.url);

/** Every workload that can run here, and why the others cannot. */
async function workloads(only: Set<string>): Promise<{ workloads: Workload[]; skipped: SkippedWorkload[] }> {
  const known = ["checksum", "sort", "fib", "wabt", "sieve", "secp256k1", ...SOURCE_WORKLOADS.map((w) => w.name)];
  const unknown = [...only].filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(", ")}; the workloads are ${known.join(", ")}`);
  const want = (id: string) => only.size === 0 || only.has(id);
  const wabt = await wabtInit();
  const list: Workload[] = [];
  const skipped: SkippedWorkload[] = [];
  if (want("checksum")) list.push(kernel(wabt, "checksum", "checksum: FNV-1a over 1 MiB x800", (e) => (e.checksum as (n: number, r: number) => number)(1 << 18, 800)));
  if (want("sort")) list.push(kernel(wabt, "sort", "insertion sort of 48,000 words", (e) => (e.sort as (n: number) => number)(48_000)));
  if (want("fib")) list.push(kernel(wabt, "fib", "recursive fib(37) + fib(35)", (e) => (e.fib as (n: number) => number)(37) + (e.fib as (n: number) => number)(35)));
  if (want("wabt")) list.push(wabtWorkload(3000, 7));
  if (want("sieve")) {
    if (existsSync(SIEVE_WASM)) {
      // 10^8 is the most the module accepts, and it takes under 200 ms: two runs (two instances) per timed run.
      const n = 100_000_000;
      list.push(wasiCommand("sieve", `prime sieve below ${n.toLocaleString("en-US")} (modules/compute), 2 runs`, "AssemblyScript", readFileSync(SIEVE_WASM), [String(n)], 2));
    } else {
      skipped.push({ id: "sieve", reason: "modules/compute/build/module.wasm is not built: run `node scripts/build-modules.ts` (npm ci does)" });
    }
  }
  if (want("secp256k1")) {
    if (existsSync(SECP256K1_WASM)) list.push(secp256k1Workload(readFileSync(SECP256K1_WASM), 500));
    else skipped.push({ id: "secp256k1", reason: "node_modules/tiny-secp256k1 is not installed (npm ci)" });
  }
  const sources = SOURCE_WORKLOADS.filter((w) => want(w.name));
  const built = sources.length > 0 ? await buildWorkloads({ only: sources.map((w) => w.name) }) : new Map();
  for (const source of sources) {
    const result = built.get(source.name)!;
    if ("skipped" in result) skipped.push({ id: source.name, reason: result.skipped });
    else list.push(wasiCommand(source.name, `${source.name} ${source.benchArgs.join(" ")}: ${source.title}`, source.language, result.wasm, source.benchArgs));
  }
  return { workloads: list, skipped };
}

/** Measures metered vs. unmetered time on every workload; the bars are a geometric mean <= 1.2x and a worst ratio <= 1.5x. */
export async function measureMeteringCost(params: MeasureMeteringCostParameters = {}): Promise<MeteringCostResult> {
  const started = performance.now();
  const instances = params.instances ?? 3;
  const runs = params.runs ?? 5;
  const { workloads: list, skipped } = await workloads(new Set(params.only ?? []));
  const figures: MeteringCostFigure[] = [];
  for (const workload of list) figures.push(await measure(workload, instances, runs));
  const geomean = figures.length === 0 ? NaN : Math.exp(figures.reduce((sum, f) => sum + Math.log(f.ratio), 0) / figures.length);
  const worst = figures.reduce<MeteringCostFigure | undefined>((w, f) => (w === undefined || f.ratio > w.ratio ? f : w), undefined);
  return {
    figures,
    skipped,
    geomean,
    worstRatio: worst?.ratio ?? NaN,
    worstWorkload: worst?.workload ?? "",
    bars: { ...BARS },
    totalSeconds: (performance.now() - started) / 1000,
  };
}

/** The table `node bench/metering.ts` prints. */
export function printMeteringCost(result: MeteringCostResult): void {
  console.table(
    result.figures.map((f) => ({
      workload: f.workload,
      language: f.language,
      "unmetered ms": f.unmeteredMs.toFixed(1),
      "metered ms": f.meteredMs.toFixed(1),
      ratio: f.ratio.toFixed(2),
      instructions: f.instructions.toLocaleString("en-US"),
    })),
  );
  for (const s of result.skipped) console.log(`skipped ${s.id}: ${s.reason}`);
  const verdict = (ok: boolean) => (ok ? "ok" : "NOT MET");
  console.log(`geometric mean ${result.geomean.toFixed(3)}x (bar <= ${result.bars.geomean}: ${verdict(result.geomean <= result.bars.geomean)})`);
  console.log(`worst ${result.worstRatio.toFixed(3)}x, ${result.worstWorkload} (bar <= ${result.bars.worst}: ${verdict(result.worstRatio <= result.bars.worst)})`);
  console.log(`${result.figures.length} workloads in ${result.totalSeconds.toFixed(0)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printMeteringCost(await measureMeteringCost({ only: process.argv.slice(2) }));
}
