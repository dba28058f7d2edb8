// Cost of instruction metering on compute-heavy code: each workload is timed uninstrumented and instrumented
// (budget high enough never to stop it), and the ratio of the medians is reported. Our bar: metered <= 1.5x.
// Workloads: three WAT kernels (a hash loop, an insertion sort, recursive Fibonacci) and wabt itself, 600 KB of
// C++ compiled by emscripten, parsing and encoding a WAT module.
//
// Run alone with `node bench/metering.ts`.
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";
import { instrumentModule } from "../src/sandbox/metering/instrumentModule.ts";

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

/** One compiled pair to time against each other. */
interface Subject {
  plain: () => unknown;
  metered: () => unknown;
  /** The metered instance's instruction counter. */
  counter: WebAssembly.Global;
}

interface Workload {
  name: string;
  /** Untimed runs first: V8 optimises hot functions in the background and uses the result from the next call. */
  warmup: number;
  /**
   * Compiles a fresh pair. Each pair gets its own machine code (the nonce changes the bytes, so V8 cannot reuse a
   * cached compilation), because code placement alone can move a tight loop's time by 2x on some CPUs.
   */
  prepare: (nonce: number) => Promise<Subject>;
}

export interface MeteringCostFigure {
  workload: string;
  unmeteredMs: number;
  meteredMs: number;
  /** meteredMs / unmeteredMs */
  ratio: number;
  /** Instructions counted by one metered run. */
  instructions: bigint;
}

export interface MeteringCostResult {
  figures: MeteringCostFigure[];
  /** The worst ratio across workloads. */
  worstRatio: number;
  /** Our bar for the worst ratio. */
  bar: number;
}

export interface MeasureMeteringCostParameters {
  /** Fresh compilations per workload (the median is over all runs of all of them). */
  instances?: number;
  /** Timed runs per variant and instance. */
  runs?: number;
}

const BAR = 1.5;
/** A budget no workload reaches. */
const BUDGET = 1n << 62n;

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

/** The module with a custom section holding `nonce` appended, so that its bytes (and compiled code) are its own. */
function withNonce(wasm: Uint8Array, nonce: number): Uint8Array<ArrayBuffer> {
  const name = [...new TextEncoder().encode("nonce")];
  const payload = [name.length, ...name, nonce & 0xff, (nonce >>> 8) & 0xff];
  return Uint8Array.from([...wasm, 0x00, payload.length, ...payload]);
}

/** Times a workload on fresh pairs, alternating the variants so that machine noise hits both alike. */
async function measure(workload: Workload, instances: number, runs: number): Promise<MeteringCostFigure> {
  const unmetered: number[] = [];
  const metered: number[] = [];
  let instructions = 0n;
  for (let k = 0; k < instances; k++) {
    const subject = await workload.prepare(k);
    for (let i = 0; i < workload.warmup; i++) {
      subject.plain();
      subject.metered();
    }
    for (let i = 0; i < runs; i++) {
      unmetered.push(timeMs(subject.plain));
      const before = subject.counter.value as bigint;
      metered.push(timeMs(subject.metered));
      instructions = (subject.counter.value as bigint) - before;
    }
  }
  const unmeteredMs = median(unmetered);
  const meteredMs = median(metered);
  return { workload: workload.name, unmeteredMs, meteredMs, ratio: meteredMs / unmeteredMs, instructions };
}

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

/** A workload calling one export of the WAT kernels. */
function kernel(wabt: Wabt, name: string, call: (exports: WebAssembly.Exports) => unknown): Workload {
  const original = wabt.parseWat("workloads.wat", WORKLOADS_WAT, {}).toBinary({}).buffer;
  return {
    name,
    warmup: 3,
    async prepare(nonce) {
      const bytes = withNonce(original, nonce);
      const plain = (await WebAssembly.instantiate(bytes)).instance.exports;
      const metered = (await WebAssembly.instantiate(instrumentModule({ wasm: bytes, instructionBudget: BUDGET, maxMemoryPages: 64 }).wasm)).instance.exports;
      return { plain: () => call(plain), metered: () => call(metered), counter: metered.__lilypad_instructions as WebAssembly.Global };
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

/** A WAT module of 300 small functions, for wabt to parse, validate and encode. */
function bigWat(): string {
  const functions = Array.from(
    { length: 300 },
    (_, i) => `(func $f${i} (export "f${i}") (param $x i32) (result i32) (local $i i32)
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${i + 1})))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 31)) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.get $x))`,
  );
  return `(module (memory 1) ${functions.join("\n")})`;
}

const wabtWorkload: Workload = {
  name: "wabt parse + validate + encode (C++)",
  // 1333 functions take a while to optimise, in the background.
  warmup: 60,
  async prepare(nonce) {
    const source = bigWat();
    const job = (api: Wabt) => () => {
      const module = api.parseWat("big.wat", source, {});
      module.validate();
      module.toBinary({});
      module.destroy();
    };
    const plain = await loadWabt(false, nonce);
    const metered = await loadWabt(true, nonce);
    return { plain: job(plain.wabt), metered: job(metered.wabt), counter: metered.instance.exports.__lilypad_instructions as WebAssembly.Global };
  },
};

/** Measures metered vs. unmetered time on compute-heavy code; the bar is metered <= 1.5x unmetered. */
export async function measureMeteringCost(params: MeasureMeteringCostParameters = {}): Promise<MeteringCostResult> {
  const instances = params.instances ?? 5;
  const runs = params.runs ?? 7;
  const wabt = await wabtInit();
  const workloads = [
    kernel(wabt, "checksum 1 MiB x 100 (WAT)", (e) => (e.checksum as (n: number, r: number) => number)(1 << 18, 100)),
    kernel(wabt, "insertion sort 15000 (WAT)", (e) => (e.sort as (n: number) => number)(15_000)),
    kernel(wabt, "fib(30) (WAT)", (e) => (e.fib as (n: number) => number)(30)),
    wabtWorkload,
  ];
  const figures: MeteringCostFigure[] = [];
  for (const workload of workloads) figures.push(await measure(workload, instances, runs));
  return { figures, worstRatio: Math.max(...figures.map((f) => f.ratio)), bar: BAR };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureMeteringCost();
  console.table(
    result.figures.map((f) => ({
      workload: f.workload,
      "unmetered ms": f.unmeteredMs.toFixed(1),
      "metered ms": f.meteredMs.toFixed(1),
      ratio: f.ratio.toFixed(2),
      instructions: f.instructions.toLocaleString("en-US"),
    })),
  );
  console.log(`worst ratio ${result.worstRatio.toFixed(2)} (bar: <= ${result.bar})`);
}
