// Hostile and non-deterministic modules through the whole network: a real chain, solver, resource provider and
// mediator on loopback, sharing one block store so that modules this test packages from
// test/fixtures/scenarios/<name> (copied to a temporary folder first: packaging writes build/ into the folder) can
// run on the provider and be re-run by the mediator. The wasm fixtures reuse the AssemblyScript hostile programs
// of test/fixtures/hostile (their build/*.wasm, or compiled here when not built); the js ones are ES modules.
//
// What is asserted is what the network does today:
// - a module that is not deterministic but claims to be (one that admits it is refused on the network): the
//   mediator's re-run differs from the provider's result, and the provider is ruled wrong (it loses its results
//   collateral, the creator pays nothing);
// - a module that ends on its own, however hostile (escape attempts, a permission error), gives a result recording
//   what happened (its stdout, stderr and exit code), accepted and paid like any other;
// - a wasm module that runs into a limit every honest run reaches identically (instructions, memory, output:
//   src/core/sandboxLimits.ts) is stopped by the provider's sandbox, and the provider posts a result recording
//   which limit (exit code 137, a `limit` file): an honest re-run writes the same bytes, so the mediator agrees,
//   and the creator pays (for the whole instruction budget when that was the limit);
// - a module stopped where another honest run might not have been (the wall clock, any limit of the js engine,
//   which is not metered exactly) gives no result: the provider posts nothing and says why, and the deal ends at
//   its result timeout (the creator takes the provider's timeout collateral, until the market has a decline call);
// - the provider keeps serving: a cowsay job right after all of that runs on it and is accepted.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import type { Address, Hex } from "viem";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { escrowBalance } from "../../src/chain/market/escrow.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { laneStatus } from "../../src/chain/market/laneStatus.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { inputsHashOf } from "../../src/core/moduleInputs.ts";
import { settlementOf } from "../../src/core/settlement.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import type { Abstention, Ruling } from "../../src/mediator/mediator.ts";
import { compileModule, repoRoot } from "../../src/modules/compileAssemblyScript.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { readFileBytes } from "../../src/storage/readFileBytes.ts";
import { startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";
import { closedOutcome } from "./helpers.ts";

const FIXTURES = join(repoRoot, "test", "fixtures", "scenarios");
const PROVIDER_INDEX = 4;
const PROVIDER = devAccount(PROVIDER_INDEX).address;
const MEDIATOR = devAccount(DevAccountIndex.mediator).address;

/** Each scenario fixture, and the hostile AssemblyScript program (test/fixtures/hostile/<name>.ts) of the wasm ones. */
const FIXTURE_MODULES: Record<string, string | undefined> = {
  nondeterministic: undefined,
  "seeded-random": undefined,
  "hostile-wasm-loop": "loop",
  "hostile-wasm-spin": "loop",
  "hostile-wasm-membomb": "membomb",
  "hostile-wasm-stdoutflood": "stdoutflood",
  "hostile-wasm-escape": "escape",
  "hostile-js-spin": undefined,
  "hostile-js-membomb": undefined,
  "hostile-js-stdoutflood": undefined,
  "hostile-js-read-passwd": undefined,
  "slow-on-mediator": undefined,
};

async function hostileWasm(name: string): Promise<Uint8Array> {
  const built = join(repoRoot, "test", "fixtures", "hostile", "build", `${name}.wasm`);
  return existsSync(built) ? readFile(built) : compileModule({ entry: `test/fixtures/hostile/${name}.ts` });
}

/** Copies the fixture folder (with its wasm program, if any) to `work` and packages it into the block store. */
async function packageFixture(name: string, work: string, blockstore: Blockstore): Promise<{ cid: string; artifactCid: string }> {
  const dir = join(work, "modules", name);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  const program = FIXTURE_MODULES[name];
  if (program) await writeFile(join(dir, "module.wasm"), await hostileWasm(program));
  const { cid, manifest } = await packageModule({ dir, blockstore });
  return { cid, artifactCid: manifest.artifact.cid };
}

/** A file of a result directory, read from the block store (verified block by block). */
async function resultFile(blockstore: Blockstore, resultCid: string, name: string): Promise<string> {
  const entry = await exporter(`${resultCid}/${name}`, blockstore);
  return text(await readFileBytes({ blockstore, cid: CID.parse(entry.cid.toString()), maxBytes: 4 << 20 }));
}

/** available + locked: what an account owns in the market. */
async function escrowTotal(t: TestNetwork, who: Address): Promise<bigint> {
  const { available, locked } = await escrowBalance(t.net.connect(DevAccountIndex.jobCreator), who);
  return available + locked;
}

describe("hostile and non-deterministic modules through the network", () => {
  let t: TestNetwork;
  let work: string;
  let blockstore: Blockstore;
  let client: LilypadClient;
  const cids: Record<string, string> = {};
  const artifactCids: Record<string, string> = {};
  const rulings: Ruling[] = [];
  const abstentions: Abstention[] = [];
  const rulingWaiters = new Set<() => void>();
  /**
   * The mediator's ruling on a deal, once its listener has run: the creator may see the deal closed (through the
   * solver, from the chain) before the mediator has its own receipt back and tells its listeners.
   */
  const rulingOf = (dealId: string) =>
    new Promise<Ruling | undefined>((resolve) => {
      const check = () => {
        const found = rulings.find((r) => r.dealId === dealId);
        if (found === undefined) return;
        clearTimeout(timer);
        rulingWaiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        rulingWaiters.delete(check);
        resolve(undefined);
      }, 10_000);
      rulingWaiters.add(check);
      check();
    });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "lilypad-hostile-"));
    blockstore = await createBlockstore({ path: join(work, "blocks") });
    for (const name of Object.keys(FIXTURE_MODULES)) {
      const packaged = await packageFixture(name, work, blockstore);
      cids[name] = packaged.cid;
      artifactCids[name] = packaged.artifactCid;
    }
    t = await startTestNetwork({ blockstore, providers: [{ account: PROVIDER_INDEX, slots: 8 }], sandboxSize: 2 });
    t.net.mediator.onRuling((ruling) => {
      rulings.push(ruling);
      for (const waiter of [...rulingWaiters]) waiter();
    });
    t.net.mediator.onAbstention((abstention) => abstentions.push(abstention));
    client = await t.client(DevAccountIndex.jobCreator, { blockstore, resolveModule: createModuleResolver({ blockstore, workDir: join(work, "resolver") }) });
    // The creator's first job deposits its escrow: done here so that the escrow figures below see only the jobs.
    await client.run("cowsay:v1", { Message: "warm up" });
  });

  after(async () => {
    await t?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("a module that is not deterministic: the mediator's re-run differs and the provider is ruled wrong", async () => {
    // The rule: the mediator's only check is re-execution, so whoever posted a result nobody can reproduce is
    // charged for it, and that is the provider. A module whose manifest admits `deterministic: false` is refused on
    // the network (NotMediableModuleError); one that claims determinism falsely is not caught until a challenge, so
    // the provider bears it: on every challenged deal of such a module it loses its results collateral while the
    // creator pays nothing. Providers should list the modules they run.
    assert.equal(JSON.parse(await readFile(join(FIXTURES, "nondeterministic", "manifest.json"), "utf8")).deterministic, true);
    const providerBefore = await escrowTotal(t, PROVIDER);
    const mediatorBefore = await escrowTotal(t, MEDIATOR);
    const result = await client.run(cids.nondeterministic!, {}, { mediationChance: 1, targetProvider: PROVIDER });
    assert.equal(result.provider, PROVIDER);
    assert.equal(result.outcome, Outcome.ProviderWrong);
    assert.equal(result.paid, 0n);
    // What the provider ran prints what the js engine leaves unpinned.
    assert.match(text(result.stdout), /^crypto\.getRandomValues [0-9a-f]{32}\nDate\.now \d+\nperformance\.now [\d.]+\nprocess\.hrtime \d+\n$/);

    const ruling = await rulingOf(result.dealId);
    assert.ok(ruling, "the mediator ruled");
    assert.equal(ruling.providerRight, false);
    // Other bytes give another result CID and another stdout hash; js is priced per run, so both counts are 0.
    assert.match(ruling.reason ?? "", /result CID digest/);
    assert.match(ruling.reason ?? "", /output hash/);
    assert.doesNotMatch(ruling.reason ?? "", /instructions/);

    // The market settled it as the rules say: the provider loses its results collateral, the mediator earns its fee.
    const onChain = await readDeal(t.net.connect(DevAccountIndex.jobCreator), result.dealId);
    assert.ok(onChain);
    const settlement = settlementOf(unpackDeal(onChain.deal), Outcome.ProviderWrong, result.instructions);
    const providerDelta = settlement.provider.credit - settlement.provider.unlock;
    assert.ok(providerDelta < 0n, "the provider pays");
    assert.equal((await escrowTotal(t, PROVIDER)) - providerBefore, providerDelta);
    assert.equal((await escrowTotal(t, MEDIATOR)) - mediatorBefore, settlement.mediator.credit);
  });

  it("control: a js module whose randomness is seeded by the deal is reproduced exactly, and the provider is ruled right", async () => {
    const result = await client.run(cids["seeded-random"]!, {}, { mediationChance: 1, targetProvider: PROVIDER });
    assert.equal(result.outcome, Outcome.ProviderRight);
    assert.ok(result.paid > 0n);
    const lines = text(result.stdout).trimEnd().split("\n");
    // The job's seed is the deal's inputs hash, whoever runs it.
    assert.equal(lines[0], `seed ${inputsHashOf({}).slice(2)}`);
    assert.equal(lines.length, 5);
    for (const line of lines.slice(1)) assert.match(line, /^Math\.random 0\.\d+/);
    const ruling = await rulingOf(result.dealId);
    assert.deepEqual(ruling, { dealId: result.dealId, providerRight: true, reason: undefined });
  });

  it("hostile modules that end on their own give a result recording what they did, accepted and paid", async () => {
    const [escape, passwd] = await Promise.all([
      client.run(cids["hostile-wasm-escape"]!, {}, { targetProvider: PROVIDER }),
      client.run(cids["hostile-js-read-passwd"]!, {}, { targetProvider: PROVIDER }),
    ]);

    // wasm: every try to open /etc/passwd from a preopen is refused by the WASI layer; the program exits 0.
    assert.equal(escape.outcome, Outcome.Accepted);
    assert.ok(escape.paid > 0n);
    assert.ok(escape.instructions > 0n);
    const tries = text(escape.stdout).trimEnd().split("\n");
    assert.equal(tries.at(-1), "escaped: no");
    assert.ok(tries.length > 1);
    for (const line of tries.slice(0, -1)) assert.match(line, /^open ".*": denied \(NOTCAPABLE\)$/);
    assert.equal(await resultFile(blockstore, escape.resultCid, "exitCode"), "0\n");

    // js: Node's permission model refuses the read; the thrown error makes exit code 1, with the reason on stderr.
    assert.equal(passwd.outcome, Outcome.Accepted);
    assert.ok(passwd.paid > 0n, "a job that fails by itself is still a job run: the creator pays for it");
    assert.equal(text(passwd.stdout), "");
    assert.equal(await resultFile(blockstore, passwd.resultCid, "exitCode"), "1\n");
    assert.match(await resultFile(blockstore, passwd.resultCid, "stderr"), /permission denied \(FileSystemRead \/etc\/passwd\)/);
  });

  /**
   * Runs one job of each module at once (at most 4: the provider offers 4 CPUs and each job asks for one). Each
   * stops at a sandbox limit, and the provider posts that as the result: a record naming the limit, the same bytes
   * an honest re-run writes (so a creator cannot drain the provider's timeout collateral with a job built to hit
   * its own limits). A job stopped at its instruction budget is paid for the whole budget.
   */
  async function runIntoLimits(cases: { module: string; limit: string; mediate?: boolean }[]): Promise<void> {
    const results = await Promise.all(
      cases.map(async ({ module, mediate }) =>
        client.run(cids[module]!, {}, { targetProvider: PROVIDER, mediationChance: mediate ? 1 : 0 }),
      ),
    );
    for (const [i, { module, limit, mediate }] of cases.entries()) {
      const result = results[i]!;
      assert.equal(result.outcome, mediate ? Outcome.ProviderRight : Outcome.Accepted, module);
      assert.equal(await resultFile(blockstore, result.resultCid, "limit"), `${limit}\n`, module);
      assert.equal(await resultFile(blockstore, result.resultCid, "exitCode"), "137\n", module);
      assert.equal(text(result.stdout), "", module);
      if (limit === "INSTRUCTION_BUDGET_EXCEEDED") assert.equal(result.instructions, 100_000_000n, module);
      else assert.equal(result.instructions, 0n, module);
      assert.ok(result.paid > 0n, module);
    }
  }

  it("wasm modules that run into a limit: the result records the limit, and a re-run by the mediator agrees", async () => {
    await runIntoLimits([
      { module: "hostile-wasm-loop", limit: "INSTRUCTION_BUDGET_EXCEEDED", mediate: true },
      // The 16 MiB cap refuses every memory.grow past it; the program retries for ever, so the budget ends it.
      { module: "hostile-wasm-membomb", limit: "INSTRUCTION_BUDGET_EXCEEDED" },
      // Writes past 1 MiB are refused; the program ignores the errors and writes on, so the budget ends it too
      // (the sandbox reports the budget before the output limit when both were hit).
      { module: "hostile-wasm-stdoutflood", limit: "INSTRUCTION_BUDGET_EXCEEDED" },
    ]);
  });

  it("a wall-clock limit, or any limit of the js engine, is no result: the provider posts nothing and declines the deal", async () => {
    // How far a job gets before a wall clock or a sampled watchdog stops it depends on the machine and its load: a
    // TIMEOUT record would be a result that an honest re-run, alone on its machine, does not reproduce (issue 11,
    // attack 11). So the provider says why in the job's log, posts nothing, and declines the deal on chain: the
    // creator is settled at once as on a result timeout, with the provider's timeout collateral.
    const conn = t.net.connect(DevAccountIndex.jobCreator);
    const providerBefore = await escrowTotal(t, PROVIDER);
    const cases = [
      { module: "hostile-wasm-spin", reason: "TIMEOUT" },
      { module: "hostile-js-spin", reason: "TIMEOUT" },
      // The js engine's memory limit is a watchdog on resident memory, sampled every 50 ms.
      { module: "hostile-js-membomb", reason: "MEMORY_LIMIT_EXCEEDED" },
      // Its output limit is exact, but whether a js run gets that far before its wall clock is not.
      { module: "hostile-js-stdoutflood", reason: "OUTPUT_LIMIT_EXCEEDED" },
    ];
    const failures = await Promise.all(
      cases.map(async ({ module }) => {
        let dealId: Hex | undefined;
        const logs: string[] = [];
        const events: string[] = [];
        const error = await client
          .run(cids[module]!, {}, {
            targetProvider: PROVIDER,
            mediationChance: 1,
            onEvent: (e) => {
              events.push(e.type);
              if (e.type === "submitted") dealId = e.dealId;
              if (e.type === "log" && e.line.startsWith("failed:")) logs.push(e.line);
            },
          })
          .then(
            () => assert.fail(`${module}: the job gave a result`),
            (e: unknown) => e,
          );
        return { module, error, dealId, logs, events };
      }),
    );
    let providerDelta = 0n;
    for (const [i, { module, error, dealId, logs, events }] of failures.entries()) {
      assert.ok(error instanceof JobFailedError, `${module}: ${String(error)}`);
      assert.equal(error.code, "DECLINED", module);
      assert.ok(error.message.includes(cases[i]!.reason), `${module}: ${error.message}`);
      assert.ok(!events.includes("result-posted"), `${module}: nothing was posted`);
      assert.equal(logs.length, 1, `${module}: the provider said why`);
      assert.ok(logs[0]!.startsWith(`failed: ${cases[i]!.reason}: `), `${module}: ${logs[0]}`);
      assert.ok(dealId);
      const onChain = await readDeal(conn, dealId);
      assert.ok(onChain);
      const deal = unpackDeal(onChain.deal);
      assert.equal(await closedOutcome(conn, dealId), Outcome.Declined);
      const settlement = settlementOf(deal, Outcome.Declined, 0n);
      assert.equal(settlement.provider.credit - settlement.provider.unlock, -deal.timeoutCollateral);
      providerDelta += settlement.provider.credit - settlement.provider.unlock;
    }
    // No mediator was asked: there was nothing to judge. The provider lost exactly its timeout collateral per deal.
    assert.equal((await escrowTotal(t, PROVIDER)) - providerBefore, providerDelta);
  });

  it("a mediator whose re-run the wall clock stops, even given 4x as long, does not rule: both sides are refunded", async () => {
    // The provider's run prints "done". The mediator's copy of the module stalls (a file beside it says so), as a
    // job would on a mediator too busy or too slow to finish it: its re-run is stopped by the wall clock, and again
    // with RETRY_WALL_CLOCK_FACTOR times the clock. That says nothing about the provider, so the mediator abstains
    // and the deal closes at its mediation timeout (moved here with the chain's clock) with everyone refunded.
    const name = "slow-on-mediator";
    const mediatorCopy = join(t.home, "mediator", "work", "artifacts", artifactCids[name]!);
    await cp(join(FIXTURES, name, "main.mjs"), join(mediatorCopy, "main.mjs"));
    await writeFile(join(mediatorCopy, "stall"), "");
    const conn = t.net.connect(DevAccountIndex.jobCreator);
    const providerBefore = await escrowTotal(t, PROVIDER);
    const mediatorBefore = await escrowTotal(t, MEDIATOR);
    let dealId: Hex | undefined;
    let moved: Promise<void> | undefined;
    const result = await client.run(cids[name]!, {}, {
      mediationChance: 1,
      targetProvider: PROVIDER,
      terms: { mediationTimeout: 600 },
      onEvent: (e) => {
        if (e.type === "submitted") dealId = e.dealId;
        if (e.type === "waiting") {
          moved = (async () => {
            const deadline = Date.now() + 60_000;
            while (!abstentions.some((a) => a.dealId === dealId)) {
              assert.ok(Date.now() < deadline, "the mediator neither ruled nor abstained");
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            assert.ok(dealId);
            const onChain = await readDeal(conn, dealId);
            assert.ok(onChain);
            const lane = await laneStatus(conn, conn.address, unpackDeal(onChain.deal).lane);
            const now = Number((await t.net.dev.publicClient.getBlock()).timestamp);
            if (lane.deadline >= now) await t.net.dev.testClient.increaseTime({ seconds: lane.deadline - now + 1 });
            await t.net.dev.testClient.mine({ blocks: 1 });
          })();
        }
      },
    });
    await moved;
    assert.equal(result.outcome, Outcome.MediationTimeout);
    assert.equal(result.paid, 0n);
    assert.equal(text(result.stdout), "done\n", "the provider's result was good; the mediator could not check it");
    const abstention = abstentions.find((a) => a.dealId === result.dealId);
    assert.ok(abstention);
    assert.match(abstention.reason, /TIMEOUT/);
    assert.equal(rulings.find((r) => r.dealId === result.dealId), undefined, "no ruling");
    // Exactly as the rules say for a mediation timeout: the provider and the mediator end where they started.
    const onChain = await readDeal(conn, result.dealId);
    assert.ok(onChain);
    const settlement = settlementOf(unpackDeal(onChain.deal), Outcome.MediationTimeout, result.instructions);
    assert.equal(settlement.provider.credit - settlement.provider.unlock, 0n);
    assert.equal((await escrowTotal(t, PROVIDER)) - providerBefore, 0n);
    assert.equal((await escrowTotal(t, MEDIATOR)) - mediatorBefore, 0n);
  });

  it("the provider keeps serving: a cowsay job right after all of that runs on it and is accepted", async () => {
    const result = await client.run("cowsay:v1", { Message: "still here" }, { targetProvider: PROVIDER });
    assert.equal(result.provider, PROVIDER);
    assert.equal(result.outcome, Outcome.Accepted);
    assert.match(text(result.stdout), /< still here >/);
    // And a wasm job on the same provider after its sandbox child was killed at the wall clock, checked by the mediator.
    const checked = await client.run("cowsay:v1", { Message: "checked" }, { targetProvider: PROVIDER, mediationChance: 1 });
    assert.equal(checked.outcome, Outcome.ProviderRight);
  });
});

