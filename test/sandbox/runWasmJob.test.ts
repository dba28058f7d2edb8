import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { limitIsResult } from "../../src/core/sandboxLimits.ts";
import {
  InstructionBudgetExceededError,
  InvalidModuleError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  StackOverflowError,
  WallClockTimeoutError,
} from "../../src/sandbox/errors.ts";
import { FIXED_REALTIME_NS } from "../../src/sandbox/deterministicWasi.ts";
import { runWasmJob, TRAP_EXIT_CODE } from "../../src/sandbox/runWasmJob.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { manifestOf } from "./testManifest.ts";
import { instrumentEveryInstruction, ORACLE_EXPORT } from "./metering/oracle.ts";
import * as modules from "./watModules.ts";

describe("wasm sandbox", () => {
  let root: string;
  let pool: SandboxPool;
  let jobs = 0;
  const logs: string[] = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-sandbox-"));
    pool = new SandboxPool({ workRoot: root, size: 2, log: (l) => logs.push(l) });
  });
  after(async () => {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  });

  const run = (wasm: Uint8Array, options: { seed?: string; limits?: Parameters<typeof manifestOf>[0]; cid?: string } = {}) =>
    runWasmJob({
      pool,
      manifest: manifestOf(options.limits),
      moduleCid: options.cid ?? createHash("sha256").update(wasm).digest("hex"),
      wasm,
      inputs: {},
      jobDir: join(root, `job-${++jobs}`),
      seed: Buffer.from(options.seed ?? "seed"),
      cacheDir: join(root, "cache"),
    });

  it("says in the logs which isolation is in force", () => {
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, pool.isolation.isolated ? /bubblewrap \(no network/ : /without network isolation/);
  });

  it("runs a WASI module, lays out the result directory, and meters it exactly and repeatably", async () => {
    const first = await run(modules.hello);
    assert.equal(first.exitCode, 0);
    assert.equal(await readFile(join(first.resultDir, "stdout"), "utf8"), "hello\n");
    assert.equal(await readFile(join(first.resultDir, "stderr"), "utf8"), "");
    assert.equal(await readFile(join(first.resultDir, "exitCode"), "utf8"), "0\n");
    // The loop body (10 instructions) runs 1000 times, plus the code around it: the count is the program's.
    assert.equal(first.instructions, 1000n * 10n + 22n);
    const second = await run(modules.hello);
    assert.equal(second.instructions, first.instructions);
    assert.equal(second.compiledCached || !first.compiledCached, true);
  });

  it("a second run of the same module skips compilation (cached by CID in the warm child)", async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await run(modules.hello, { cid: "cached-hello" }));
    assert.equal(results[0]!.compiledCached, false);
    assert.ok(results.slice(1).some((r) => r.compiledCached), "a warm child reused the compiled module");
  });

  it("fixes the clock and seeds the random source: same seed, same bytes; sleeping costs no wall-clock time", async () => {
    const started = performance.now();
    const a = await readFile(join((await run(modules.clockAndRandom, { seed: "deal-1" })).resultDir, "stdout"));
    const b = await readFile(join((await run(modules.clockAndRandom, { seed: "deal-1" })).resultDir, "stdout"));
    const c = await readFile(join((await run(modules.clockAndRandom, { seed: "deal-2" })).resultDir, "stdout"));
    assert.ok(performance.now() - started < 3000, "a 5 s sleep did not take 5 s");
    assert.deepEqual(a, b);
    assert.equal(a.readBigUInt64LE(0), FIXED_REALTIME_NS);
    assert.equal(a.readBigUInt64LE(8), 5_000_000_000n, "the monotonic clock advanced by exactly the sleep");
    assert.deepEqual(a.subarray(0, 16), c.subarray(0, 16));
    assert.notDeepEqual(a.subarray(16), c.subarray(16), "another seed gives other random bytes");
  });

  it("records a non-zero exit and a trap as results", async () => {
    const exited = await run(modules.exitSeven);
    assert.equal(exited.exitCode, 7);
    assert.equal(await readFile(join(exited.resultDir, "stderr"), "utf8"), "bad input\n");
    const trapped = await run(modules.trap);
    assert.equal(trapped.exitCode, TRAP_EXIT_CODE);
    assert.match(await readFile(join(trapped.resultDir, "stderr"), "utf8"), /trapped: unreachable/);
  });

  it("prices a trap by the counting rule: the job runs again with the binary whose count is exact at a trap", async () => {
    const wasm = modules.loopThenTrap(100_000);
    const trapped = await run(wasm);
    assert.equal(trapped.exitCode, TRAP_EXIT_CODE);
    assert.equal(await readFile(join(trapped.resultDir, "stdout"), "utf8"), "working\n", "the output of one run, not two");
    // The trap is the last instruction of its segment, so the rule's count is every instruction that executed:
    // what the naive reference counter finds, running the module in this process.
    const reference = await WebAssembly.instantiate(instrumentEveryInstruction(wasm), {
      wasi_snapshot_preview1: new Proxy({}, { get: () => () => 0 }),
    });
    assert.throws(() => (reference.instance.exports._start as () => void)(), WebAssembly.RuntimeError);
    const expected = BigInt((reference.instance.exports[ORACLE_EXPORT] as WebAssembly.Global).value as bigint);
    assert.ok(expected > 500_000n, `${expected}`);
    assert.equal(trapped.instructions, expected);
    assert.equal((await run(wasm)).instructions, expected, "and every time");
  });

  it("stops an infinite loop at the instruction budget, deterministically", async () => {
    await assert.rejects(run(modules.infiniteLoop), (e: unknown) => e instanceof InstructionBudgetExceededError && e.code === "INSTRUCTION_BUDGET_EXCEEDED");
  });

  it("a sleeper that sleeps forever runs into the budget instead of hanging", async () => {
    await assert.rejects(run(modules.sleeper), InstructionBudgetExceededError);
  });

  it("stops a memory bomb at the memory limit", async () => {
    await assert.rejects(run(modules.memoryBomb, { limits: { memoryMiB: 4 } }), (e: unknown) => e instanceof MemoryLimitExceededError && e.memoryMiB === 4);
  });

  it("a program that handles a refused memory.grow itself is not stopped", async () => {
    const r = await run(modules.politeAllocator, { limits: { memoryMiB: 4 } });
    assert.equal(r.exitCode, 0);
  });

  it("stops output floods on stdout and in /outputs at the output limit", async () => {
    await assert.rejects(run(modules.stdoutFlood, { limits: { outputBytes: 100_000 } }), OutputLimitExceededError);
    await assert.rejects(run(modules.fileFlood, { limits: { outputBytes: 100_000 } }), OutputLimitExceededError);
  });

  it("gives the guest no file system beyond its preopens", async () => {
    const r = await run(modules.escape);
    const errnos = [...(await readFile(join(r.resultDir, "stdout")))];
    assert.equal(errnos.length, 4);
    for (const errno of errnos.slice(0, 3)) assert.notEqual(errno, 0, "every escape attempt failed");
    assert.equal(errnos[3], 0, "while creating a file in /outputs works");
  });

  it("kills a job at its wall-clock limit and keeps serving the next one", async () => {
    await assert.rejects(
      run(modules.infiniteLoop, { limits: { instructions: "9000000000000000000", timeoutMs: 300 } }),
      (e: unknown) => e instanceof WallClockTimeoutError && e.code === "TIMEOUT",
    );
    assert.equal((await run(modules.hello)).exitCode, 0);
  });

  it("bulk memory costs by size: big fills in a loop count by their bytes, identically in every run", async () => {
    // 40 fills of 60 KiB: the loop's own instructions plus 40 x 7680 (one per 8 bytes); of 8 bytes: plus 40 x 1.
    const big = modules.bulkFiller(61_440, 40);
    const small = modules.bulkFiller(8, 40);
    const limits = { instructions: "10000000", memoryMiB: 1 };
    const runs = [await run(big, { limits }), await run(big, { limits }), await run(big, { limits, cid: "another-cache-entry" })];
    for (const r of runs) {
      assert.equal(r.exitCode, 0);
      assert.equal(await readFile(join(r.resultDir, "stdout"), "utf8"), "filled\n");
    }
    assert.equal(new Set(runs.map((r) => r.instructions)).size, 1, `counts differ: ${runs.map((r) => r.instructions)}`);
    const smallRun = await run(small, { limits });
    assert.equal(runs[0]!.instructions - smallRun.instructions, 40n * (7680n - 1n));
    // A budget that pays for 10 of the big fills, not 40: the budget stops the job, not the wall clock.
    await assert.rejects(run(big, { limits: { ...limits, instructions: String(smallRun.instructions + 10n * 7680n) } }), InstructionBudgetExceededError);
  });

  it("a stack overflow is the host's limit, not the job's: typed, and no result", async () => {
    await assert.rejects(run(modules.deepRecursion, { limits: { instructions: "100000000000" } }), (e: unknown) => {
      assert.ok(e instanceof StackOverflowError, String(e));
      assert.equal(e.code, "STACK_OVERFLOW");
      assert.equal(e.reproducible, false);
      assert.equal(limitIsResult(e.limit, "wasm"), false);
      return true;
    });
    assert.equal((await run(modules.hello)).exitCode, 0, "the child keeps serving");
  });

  it("refuses a module that imports anything but WASI", async () => {
    await assert.rejects(run(modules.foreignImport), InvalidModuleError);
  });
});
