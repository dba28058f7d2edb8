// A deal's job as every party runs it (runDealJob): a run that ended on its own or at a limit every honest run
// reaches identically is a result, stored under the same CID by every run; a run the sandbox stopped where another
// might not have been (the wall clock, the host's stack, any limit of the js engine) is `failed`, with nothing
// stored, for the provider to post nothing and the mediator not to rule on it (issue 11, attack 11).
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { InvalidArgumentError, InvalidInputError } from "../../src/core/errors.ts";
import { inputsHashOf } from "../../src/core/moduleInputs.ts";
import type { ModuleManifestInput } from "../../src/core/moduleManifest.ts";
import { LIMIT_EXIT_CODE } from "../../src/core/sandboxLimits.ts";
import { compileModule, repoRoot } from "../../src/modules/compileAssemblyScript.ts";
import { NotMediableModuleError } from "../../src/modules/errors.ts";
import type { LoadModuleResult } from "../../src/modules/loadModule.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { runDealJob, type DealJobResult, type DealJobRunReport, type RunDealJobResult } from "../../src/modules/runDealJob.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { readFileBytes } from "../../src/storage/readFileBytes.ts";
import { countTo, deepRecursion } from "../sandbox/watModules.ts";

const SCENARIOS = join(repoRoot, "test", "fixtures", "scenarios");

function wasmManifest(name: string, limits: NonNullable<ModuleManifestInput["limits"]>): ModuleManifestInput {
  return {
    manifestVersion: 1,
    name,
    version: "v1",
    description: "a runDealJob test module",
    author: "tests",
    engine: "wasm",
    artifact: { cid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am" },
    invocation: { args: [name] },
    limits: { memoryMiB: 1, outputBytes: 1 << 20, ...limits },
    deterministic: true,
    pricing: "metered",
  };
}

describe("runDealJob: which runs are results", () => {
  let root: string;
  let blockstore: Blockstore;
  let pool: SandboxPool;
  const ids: Record<string, Hex> = {};
  const cache = new Map<string, Promise<LoadModuleResult>>();
  const noInputs = inputsHashOf({});

  async function packageWasm(name: string, wasm: Uint8Array, limits: NonNullable<ModuleManifestInput["limits"]>, deterministic = true): Promise<void> {
    const dir = join(root, "modules", name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "module.wasm"), wasm);
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...wasmManifest(name, limits), deterministic }));
    ids[name] = (await packageModule({ dir, blockstore })).digest;
  }

  async function packageScenario(name: string): Promise<void> {
    const dir = join(root, "modules", name);
    await cp(join(SCENARIOS, name), dir, { recursive: true });
    ids[name] = (await packageModule({ dir, blockstore })).digest;
  }

  const run = (name: string, options: { wallClockFactor?: number; onRun?: (report: DealJobRunReport) => void } = {}) =>
    runDealJob({ moduleId: ids[name]!, inputs: {}, inputsHash: noInputs, blockstore, pool, workRoot: join(root, "work"), moduleCache: cache, ...options });

  function asResult(run: RunDealJobResult): DealJobResult {
    assert.equal(run.kind, "result", run.kind === "failed" ? `failed: ${run.reason}: ${run.message}` : "");
    return run as DealJobResult;
  }

  async function resultFile(run: DealJobResult, name: string): Promise<string> {
    const entry = await exporter(`${run.resultCid}/${name}`, blockstore);
    return new TextDecoder().decode(await readFileBytes({ blockstore, cid: CID.parse(entry.cid.toString()), maxBytes: 1 << 20 }));
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-deal-job-"));
    blockstore = await createBlockstore({ path: join(root, "blocks") });
    pool = new SandboxPool({ workRoot: join(root, "work"), size: 2 });
    // 30 million iterations take tens of milliseconds or more: far past a 20 ms wall clock, far within 20 s.
    // Long enough (hundreds of ms) that a 20 ms clock stops it even when a loaded machine fires the timer late.
    await packageWasm("slow-count", countTo(300_000_000), { instructions: "100000000000", timeoutMs: 20 });
    await packageWasm("loop", await compileModule({ entry: "test/fixtures/hostile/loop.ts" }), { instructions: "10000000", timeoutMs: 30_000 });
    await packageWasm("deep", deepRecursion, { instructions: "100000000000", timeoutMs: 30_000 });
    await packageWasm("unreproducible", countTo(10), { instructions: "1000000", timeoutMs: 30_000 }, false);
    for (const name of ["hostile-js-spin", "hostile-js-stdoutflood", "seeded-random"]) await packageScenario(name);
  });

  after(async () => {
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("a job stopped at its instruction budget is a result: the same limit record, CID and count in every run", async () => {
    const first = asResult(await run("loop"));
    const second = asResult(await run("loop"));
    assert.equal(first.limit, "INSTRUCTION_BUDGET_EXCEEDED");
    assert.equal(first.exitCode, LIMIT_EXIT_CODE);
    assert.equal(first.result.instructions, 10_000_000n, "paid for the whole budget");
    assert.deepEqual(second.result, first.result);
    assert.equal(second.resultCid.toString(), first.resultCid.toString());
    assert.equal(await resultFile(first, "limit"), "INSTRUCTION_BUDGET_EXCEEDED\n");
    assert.equal(await resultFile(first, "exitCode"), "137\n");
  });

  it("the same job is a result with room on the clock and `failed` (never a TIMEOUT record) when the clock runs out", async () => {
    // As on a busy machine: the module's 20 ms are not enough. Nothing is recorded for anyone to post.
    const rushed = await run("slow-count");
    assert.equal(rushed.kind, "failed");
    assert.equal(rushed.kind === "failed" && rushed.reason, "TIMEOUT");
    // The same job with a longer wall clock (a mediator's retry): the result, whatever the clock.
    const calm = asResult(await run("slow-count", { wallClockFactor: 1000 }));
    assert.equal(calm.exitCode, 0);
    assert.equal(calm.limit, undefined);
    assert.equal(await resultFile(calm, "stdout"), "done\n");
    const again = asResult(await run("slow-count", { wallClockFactor: 1000 }));
    assert.deepEqual(again.result, calm.result);
  });

  it("a module whose manifest says it is not deterministic is refused by whoever runs a deal for it", async () => {
    // A creator running its own code can open such a deal; no mediator could rule on it, so no provider runs it.
    await assert.rejects(run("unreproducible"), (error: unknown) => error instanceof NotMediableModuleError && /not deterministic/.test(error.message));
  });

  it("a stack overflow is `failed`: how deep a module may recurse depends on the host", async () => {
    const deep = await run("deep");
    assert.equal(deep.kind, "failed");
    assert.equal(deep.kind === "failed" && deep.reason, "STACK_OVERFLOW");
  });

  it("no limit of the js engine is a result (it is not metered exactly); a js run that ends on its own is", async () => {
    const [spin, flood] = await Promise.all([run("hostile-js-spin"), run("hostile-js-stdoutflood")]);
    assert.equal(spin.kind === "failed" && spin.reason, "TIMEOUT");
    assert.equal(flood.kind === "failed" && flood.reason, "OUTPUT_LIMIT_EXCEEDED");
    const seeded = asResult(await run("seeded-random"));
    assert.equal(seeded.result.instructions, 0n, "priced per run");
    assert.equal(seeded.limit, undefined);
    assert.deepEqual(asResult(await run("seeded-random")).result, seeded.result);
  });

  it("reports each run to onRun, however it ended: the module, its engine, the outcome and the sandbox's time", async () => {
    const reports: DealJobRunReport[] = [];
    const onRun = (report: DealJobRunReport) => reports.push(report);
    const calm = asResult(await run("slow-count", { wallClockFactor: 1000, onRun }));
    await run("loop", { onRun });
    await run("deep", { onRun });
    await run("seeded-random", { onRun });
    const extra = { Extra: "x" };
    await assert.rejects(runDealJob({ moduleId: ids.loop!, inputs: extra, inputsHash: inputsHashOf(extra), blockstore, pool, workRoot: join(root, "work"), onRun }), InvalidInputError);
    await assert.rejects(runDealJob({ moduleId: `0x${"00".repeat(32)}`, inputs: {}, inputsHash: noInputs, blockstore, pool, workRoot: join(root, "work"), onRun }));
    assert.deepEqual(
      reports.map(({ module, engine, outcome }) => ({ module, engine, outcome })),
      [
        { module: "slow-count:v1", engine: "wasm", outcome: "ok" },
        { module: "loop:v1", engine: "wasm", outcome: "INSTRUCTION_BUDGET_EXCEEDED" },
        { module: "deep:v1", engine: "wasm", outcome: "STACK_OVERFLOW" },
        { module: "seeded-random:v1", engine: "js", outcome: "ok" },
        // Refused before the sandbox: the module is known, and takes no such input.
        { module: "loop:v1", engine: "wasm", outcome: "error" },
        // No such module: nothing to name.
        { module: "unknown", engine: "unknown", outcome: "error" },
      ],
    );
    assert.equal(reports[0]!.seconds, calm.durationMs / 1000, "a run's time is the sandbox's");
    for (const report of reports) assert.ok(report.seconds >= 0 && report.seconds < 60, String(report.seconds));
    // A report that throws costs the run nothing.
    asResult(await run("loop", { onRun: () => { throw new Error("a broken metric"); } }));
  });

  it("refuses a wall clock shorter than the module's, and inputs that are not the deal's", async () => {
    for (const wallClockFactor of [0.5, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(run("loop", { wallClockFactor }), InvalidArgumentError, String(wallClockFactor));
    }
    await assert.rejects(
      runDealJob({ moduleId: ids.loop!, inputs: { Extra: "x" }, inputsHash: noInputs, blockstore, pool, workRoot: join(root, "work") }),
      InvalidInputError,
    );
  });
});
