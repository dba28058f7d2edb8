// Parties that go silent, on a real network: a provider that never answers, a creator that never judges, a
// mediator that never rules. Each deadline passes on the chain (moved forward by the test) and the deal settles
// exactly as the market's rules say, with nothing left locked.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEther, type Address, type Hex } from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { depositToEscrow } from "../../src/chain/market/escrow.ts";
import { laneStatus } from "../../src/chain/market/laneStatus.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { jobOfferDigest, signJobOffer } from "../../src/chain/offers.ts";
import { domainOf } from "../../src/chain/verifyOffers.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { DealState, Outcome } from "../../src/core/dealTypes.ts";
import { inputsHashOf, resolveInputs } from "../../src/core/moduleInputs.ts";
import { costOf } from "../../src/core/pricing.ts";
import { settlementOf } from "../../src/core/settlement.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import { buildJobOffer } from "../../src/job-creator/buildJobOffer.ts";
import { DEFAULT_JOB_TERMS, type LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { SolverClient } from "../../src/net/solverClient.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";
import { PARTIES, assertSettled, balancesOf, blockOf, closedOutcome } from "./helpers.ts";

const JC = DevAccountIndex.jobCreator;
/** A creator that submits a job and then walks away. */
const ABSENT_JC = 12;
const HONEST = devAccount(4).address;
const SILENT = devAccount(5).address;

/** Locked `unlock` more while the deal was in its last phase; now nothing locked, `available` moved by `credit - unlock`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("lazy parties: every deadline has a way out", () => {
  let t: TestNetwork;
  let client: LilypadClient;
  let conn: ChainConnection;

  /** Moves the chain's clock past the deadline of `creator`'s `lane` (whatever phase the deal is in). */
  async function passDeadline(creator: Address, lane: number): Promise<void> {
    const status = await laneStatus(conn, creator, lane);
    const block = await t.net.dev.publicClient.getBlock();
    const seconds = status.deadline - Number(block.timestamp) + 1;
    if (seconds > 0) await t.net.dev.testClient.increaseTime({ seconds });
    await t.net.dev.testClient.mine({ blocks: 1 });
  }

  before(async () => {
    const modules = [shippedModuleId("cowsay:v1")];
    t = await startTestNetwork({
      providers: [
        { account: 4, modules },
        { account: 5, modules, faults: { neverAnswer: true } },
      ],
      finalizeEveryMs: 250,
    });
    conn = t.net.connect(JC);
    // Deposit up front and never let the client deposit: the creator's escrow moves only by its deals.
    await depositToEscrow(conn, parseEther("100"));
    client = await t.client(JC, { keepInEscrow: 0n });
  });
  after(() => t.close());

  it("a provider that takes a deal and never answers: past the result deadline the creator is refunded and takes its timeout collateral", async () => {
    const who = { creator: conn.address, provider: SILENT, mediator: t.net.mediatorAddress };
    const before = await balancesOf(conn, who);
    const events: JobEvent[] = [];
    let moved: Promise<void> | undefined;
    let dealOpenedAt = 0;
    let failure: JobFailedError | undefined;
    await assert.rejects(
      client.run("cowsay:v1", { Message: "anyone there?" }, {
        targetProvider: SILENT,
        terms: { resultTimeout: 60 },
        onEvent: (e) => {
          events.push(e);
          if (e.type === "deal-opened") {
            dealOpenedAt = performance.now();
            moved = (async () => {
              const { dealId } = events[0] as { dealId: Hex };
              const onChain = await waitFor("the deal on chain", () => readDeal(conn, dealId), 5000);
              await passDeadline(conn.address, unpackDeal(onChain.deal).lane);
            })();
          }
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.code, "RESULT_TIMEOUT");
        failure = error;
        return true;
      },
    );
    await moved;
    const tookMs = performance.now() - dealOpenedAt;
    assert.ok(tookMs < 15_000, `the creator gave up ${tookMs.toFixed(0)} ms after the deal opened`);
    assert.ok(failure);
    assert.deepEqual(events.at(-1), { type: "closed", outcome: Outcome.ResultTimeout });
    assert.ok(!events.some((e) => e.type === "result-posted"));
    assert.equal(await closedOutcome(conn, failure.dealId), Outcome.ResultTimeout);

    const after = await balancesOf(conn, who);
    const onChain = await readDeal(conn, failure.dealId);
    assert.ok(onChain);
    assert.equal(onChain.provider, SILENT);
    const deal = unpackDeal(onChain.deal);
    assert.equal(deal.resultTimeout, 60);
    const s = settlementOf(deal, Outcome.ResultTimeout, 0n);
    assertSettled(s, before, await balancesOf(conn, who, await blockOf(conn, failure.dealId, "DealOpened")), after);
    // In words: the creator's payment came back, and the provider's timeout collateral went to it.
    assert.equal(after.creator.available - before.creator.available, deal.timeoutCollateral);
    assert.equal(after.provider.available - before.provider.available, -deal.timeoutCollateral);
    assert.equal(after.creator.locked, 0n);
  });

  it("a creator that never judges: past the judging window the provider finalizes the deal and is paid", async () => {
    const jc = t.net.connect(ABSENT_JC);
    await depositToEscrow(jc, parseEther("50"));
    const who = { creator: jc.address, provider: HONEST, mediator: t.net.mediatorAddress };
    const before = await balancesOf(conn, who);

    // Build, sign and submit the offer as the SDK does, then walk away: nobody follows the job.
    const blockstore = await createBlockstore({ path: join(t.home, "absent-jc", "blocks") });
    const resolve = createModuleResolver({ blockstore, workDir: join(t.home, "absent-jc", "work") });
    const { id, manifest } = await resolve("cowsay:v1");
    const inputs = resolveInputs({ manifest, given: { Message: "judge me, or don't" } });
    const lane = 0;
    const status = await laneStatus(jc, jc.address, lane);
    assert.equal(status.state, DealState.None);
    const now = Math.floor(Date.now() / 1000);
    const terms = { ...DEFAULT_JOB_TERMS, judgingWindow: 60 };
    const offer = buildJobOffer({
      creator: jc.address,
      moduleId: id.digest,
      inputsHash: inputsHashOf(inputs),
      terms,
      mediators: [t.net.mediatorAddress],
      targetProvider: HONEST,
      maxInstructions: BigInt(manifest.limits.instructions),
      submitter: (await new SolverClient({ url: t.net.solver.url, account: jc.account, scope: domainOf(jc) }).health()).solver,
      lane,
      seq: status.seq + 1,
      now,
    });
    const domain = domainOf(jc);
    const signature = await signJobOffer(jc.wallet, domain, offer);
    const dealId = jobOfferDigest(domain, offer);
    const solver = new SolverClient({ url: t.net.solver.url, account: jc.account, scope: domain });
    const submitted = await solver.submitJob({ offer, signature, inputs, resources: manifest.resources, deadline: now + terms.matchTimeout });
    assert.equal(submitted.dealId, dealId);

    const posted = await waitFor(
      "the result to be posted",
      async () => {
        const { record } = await solver.getJob(dealId);
        assert.notEqual(record.status, "failed", record.reason);
        return record.status === "result-posted" ? record : undefined;
      },
      15_000,
    );
    assert.equal(posted.provider, HONEST);
    assert.ok(posted.result);
    await passDeadline(jc.address, lane);
    const closed = await waitFor(
      "the provider to finalize the deal",
      async () => {
        const { record } = await solver.getJob(dealId);
        return record.status === "closed" ? record : undefined;
      },
      10_000,
    );
    assert.equal(closed.outcome, Outcome.Finalized);
    assert.equal(await closedOutcome(conn, dealId), Outcome.Finalized);

    const after = await balancesOf(conn, who);
    const onChain = await readDeal(conn, dealId);
    assert.ok(onChain);
    const deal = unpackDeal(onChain.deal);
    assert.equal(deal.judgingWindow, 60);
    const instructions = onChain.result.instructions;
    assert.equal(instructions, posted.result.instructions);
    const s = settlementOf(deal, Outcome.Finalized, instructions);
    assertSettled(s, before, await balancesOf(conn, who, await blockOf(conn, dealId, "ResultPosted")), after);
    const cost = costOf(deal, instructions);
    assert.equal(s.payment, cost);
    assert.equal(after.provider.available - before.provider.available, cost, "the provider was paid the job's cost");
    assert.equal(after.creator.available - before.creator.available, -cost);
  });

  it("a mediator that never rules: past the mediation deadline both sides are refunded and nothing is paid", async () => {
    await t.net.mediator.stop();
    const who = { creator: conn.address, provider: HONEST, mediator: t.net.mediatorAddress };
    const before = await balancesOf(conn, who);
    let moved: Promise<void> | undefined;
    let dealId: Hex | undefined;
    const events: JobEvent[] = [];
    const result = await client.run("cowsay:v1", { Message: "rule on me" }, {
      mediationChance: 1,
      targetProvider: HONEST,
      terms: { mediationTimeout: 600 },
      onEvent: (e) => {
        events.push(e);
        if (e.type === "submitted") dealId = e.dealId;
        if (e.type === "waiting") {
          moved = (async () => {
            assert.ok(dealId);
            const onChain = await readDeal(conn, dealId);
            assert.ok(onChain);
            await passDeadline(conn.address, unpackDeal(onChain.deal).lane);
          })();
        }
      },
    });
    await moved;
    assert.equal(result.outcome, Outcome.MediationTimeout);
    assert.equal(result.paid, 0n);
    assert.equal(result.provider, HONEST);
    assert.match(text(result.stdout), /< rule on me >/, "the result was good; only the ruling never came");
    assert.ok(events.some((e) => e.type === "challenged"));
    assert.equal(await closedOutcome(conn, result.dealId), Outcome.MediationTimeout);

    const after = await balancesOf(conn, who);
    const onChain = await readDeal(conn, result.dealId);
    assert.ok(onChain);
    const deal = unpackDeal(onChain.deal);
    assert.equal(deal.mediationTimeout, 600);
    const s = settlementOf(deal, Outcome.MediationTimeout, onChain.result.instructions);
    assertSettled(s, before, await balancesOf(conn, who, await blockOf(conn, result.dealId, "DealChallenged")), after);
    // In words: everyone is exactly where they started.
    for (const p of PARTIES) assert.deepEqual(after[p], before[p], p);
  });
});
