// Cheats on a real network, and what they cost: every escrow account of the deal (creator, provider, mediator)
// moves by exactly what the market's settlement rules say, and no more.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { depositToEscrow } from "../../src/chain/market/escrow.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome, type Deal } from "../../src/core/dealTypes.ts";
import { costOf, resultsCollateralOf } from "../../src/core/pricing.ts";
import { providerStakeOf, settlementOf } from "../../src/core/settlement.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";
import { assertSettled, balancesOf, blockOf, type Balances, type Party } from "./helpers.ts";

const JC = DevAccountIndex.jobCreator;
const HONEST = devAccount(4).address;
const WRONG_RESULT = devAccount(6).address;
const INFLATES = devAccount(7).address;
const INFLATION = 1000n;
const OVER_LIMIT = devAccount(9).address;
const WRONG_HASH = devAccount(11).address;
/** Offers everything for free, then signs its proposals with an unfunded throwaway key (attack 5). */
const THROWAWAY_SIGNER = devAccount(12).address;
const THROWAWAY_KEY: Hex = `0x${"5a".repeat(32)}`;
/** Cannot run what it takes, and says so on chain. */
const DECLINES = devAccount(13).address;
const DECLINE_REASON = 'no module "bafkreifakefakefake"';
/** 10^12 instructions: a thousand times cowsay's own limit of 10^9. */
const OVER_LIMIT_INFLATION = 10n ** 12n;

describe("cheating parties lose exactly what the market's rules say", () => {
  let t: TestNetwork;
  let client: LilypadClient;
  let conn: ChainConnection;
  let who: (provider: Address) => Record<Party, Address>;

  before(async () => {
    const modules = [shippedModuleId("cowsay:v1")];
    t = await startTestNetwork({
      providers: [
        { account: 4, modules },
        { account: 5, modules, pricing: { basePrice: parseEther("0.005") } },
        { account: 6, modules, pricing: { basePrice: parseEther("0.02") }, faults: { wrongResult: true } },
        // Dear enough that its results collateral (2 x cost) exceeds its timeout collateral (raised to the 0.5 mediation
        // fee, which it must cover): the stake it loses.
        { account: 7, modules, pricing: { basePrice: parseEther("0.3"), timeoutCollateral: parseEther("0.2") }, faults: { inflateInstructions: INFLATION } },
        // Its escrow (kept at 2 x slots x timeout collateral) must cover the results collateral of a count priced at
        // the whole payment: 2 x 10 tokens.
        { account: 9, modules, pricing: { basePrice: parseEther("0.03"), timeoutCollateral: parseEther("5") }, faults: { inflateInstructions: OVER_LIMIT_INFLATION } },
        { account: 11, modules, pricing: { basePrice: parseEther("0.04") }, faults: { wrongOutputHash: true } },
        { account: 12, modules, pricing: { basePrice: 0n, pricePerMInstr: 0n }, faults: { signWithKey: THROWAWAY_KEY } },
        { account: 13, modules, pricing: { basePrice: parseEther("0.05") }, faults: { failToRun: DECLINE_REASON } },
      ],
    });
    conn = t.net.connect(JC);
    // Deposit up front and never let the client deposit: the creator's escrow moves only by its deals.
    await depositToEscrow(conn, parseEther("100"));
    client = await t.client(JC, { keepInEscrow: 0n });
    who = (provider) => ({ creator: conn.address, provider, mediator: t.net.mediatorAddress });
    // A warm-up job: modules loaded everywhere before anything is timed or measured.
    await client.run("cowsay:v1", { Message: "warm up" }, { targetProvider: HONEST });
  });
  after(() => t.close());

  /** The closed deal as the chain holds it, and its settlement under `outcome`, checked against every party's escrow. */
  async function settled(dealId: Hex, provider: Address, outcome: Outcome, before: Balances, after: Balances) {
    const onChain = await readDeal(conn, dealId);
    assert.ok(onChain);
    const deal: Deal = unpackDeal(onChain.deal);
    const posted = onChain.result.instructions;
    const s = settlementOf(deal, outcome, posted);
    const during = await balancesOf(conn, who(provider), await blockOf(conn, dealId, "DealChallenged"));
    assertSettled(s, before, during, after);
    return { onChain, deal, posted, s };
  }

  it("a provider that inflates its instruction count is caught: it loses its results collateral to the creator, who pays nothing for the job", async () => {
    const before = await balancesOf(conn, who(INFLATES));
    const result = await client.run("cowsay:v1", { Message: "count me" }, { mediationChance: 1, targetProvider: INFLATES });
    const after = await balancesOf(conn, who(INFLATES));
    assert.equal(result.outcome, Outcome.ProviderWrong);
    assert.equal(result.provider, INFLATES);
    assert.equal(result.paid, 0n);
    assert.match(text(result.stdout), /< count me >/, "the output itself was fine; only the count was a lie");

    const { deal, posted, s } = await settled(result.dealId, INFLATES, Outcome.ProviderWrong, before, after);
    assert.equal(posted, result.instructions);
    assert.ok(posted > INFLATION);

    // In words: the stake the RP lost is its results collateral (it exceeds the timeout collateral here), and it
    // went to the creator; the creator paid the mediator's fee and nothing for the job.
    const rc = resultsCollateralOf(deal, posted);
    assert.ok(rc > deal.timeoutCollateral);
    assert.equal(providerStakeOf(deal, posted), rc);
    assert.equal(after.provider.available - before.provider.available, -rc);
    assert.equal(after.creator.available - before.creator.available, rc - deal.mediationFee);
    assert.equal(after.mediator.available - before.mediator.available, deal.mediationFee);
    assert.equal(s.payment, 0n);
  });

  it("a provider that posts a wrong result CID: the creator cannot download it, challenges, and the provider loses", async () => {
    const before = await balancesOf(conn, who(WRONG_RESULT));
    const events: JobEvent[] = [];
    let failure: JobFailedError | undefined;
    await assert.rejects(client.run("cowsay:v1", { Message: "lie to me" }, { targetProvider: WRONG_RESULT, onEvent: (e) => events.push(e) }), (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.equal(error.code, "RESULT_UNAVAILABLE");
      failure = error;
      return true;
    });
    const after = await balancesOf(conn, who(WRONG_RESULT));
    assert.ok(failure);
    const dealId = failure.dealId;
    assert.deepEqual(events.at(-1), { type: "closed", outcome: Outcome.ProviderWrong });
    assert.ok(events.some((e) => e.type === "challenged"), "the creator challenged");
    assert.ok(!events.some((e) => e.type === "downloaded"), "the result could not be downloaded");

    const { onChain, deal, posted } = await settled(dealId, WRONG_RESULT, Outcome.ProviderWrong, before, after);
    assert.equal(onChain.provider, WRONG_RESULT);
    assert.equal(onChain.result.cidDigest, `0x${"ab".repeat(32)}`);
    // Here the timeout collateral is the larger stake, and the RP forfeits all of it (attack 6): being caught costs at
    // least what silence would.
    const stake = providerStakeOf(deal, posted);
    assert.equal(stake, deal.timeoutCollateral);
    assert.ok(resultsCollateralOf(deal, posted) < stake);
    assert.equal(after.provider.available - before.provider.available, -stake);
    assert.equal(after.creator.available - before.creator.available, stake - deal.mediationFee);
    assert.equal(after.mediator.available - before.mediator.available, deal.mediationFee);
  });

  it("a creator that challenges an honest result: the provider is right, is paid, and the creator pays the fee too", async () => {
    const before = await balancesOf(conn, who(HONEST));
    const result = await client.run("cowsay:v1", { Message: "check me" }, { mediationChance: 1, targetProvider: HONEST });
    const after = await balancesOf(conn, who(HONEST));
    assert.equal(result.outcome, Outcome.ProviderRight);
    assert.equal(result.provider, HONEST);
    assert.match(text(result.stdout), /< check me >/);

    const { deal, posted, s } = await settled(result.dealId, HONEST, Outcome.ProviderRight, before, after);
    const cost = costOf(deal, posted);
    assert.equal(result.paid, cost);
    assert.equal(s.payment, cost);
    assert.equal(after.creator.available - before.creator.available, -(cost + deal.mediationFee));
    assert.equal(after.provider.available - before.provider.available, cost);
    assert.equal(after.mediator.available - before.mediator.available, deal.mediationFee);
  });

  // Issue 11, attack 9: with no spot check asked for, the creator still checks every cheap thing before accepting.
  it("without a spot check, an output hash that is not the delivered stdout's is challenged and the provider loses its whole stake", async () => {
    const before = await balancesOf(conn, who(WRONG_HASH));
    const events: JobEvent[] = [];
    const result = await client.run("cowsay:v1", { Message: "check the cheap things" }, { targetProvider: WRONG_HASH, onEvent: (e) => events.push(e) });
    const after = await balancesOf(conn, who(WRONG_HASH));
    assert.equal(result.outcome, Outcome.ProviderWrong);
    assert.equal(result.paid, 0n);
    const challenged = events.find((e) => e.type === "challenged");
    assert.ok(challenged && challenged.type === "challenged" && /output hash/.test(challenged.reason), JSON.stringify(challenged));

    const { deal, posted, s } = await settled(result.dealId, WRONG_HASH, Outcome.ProviderWrong, before, after);
    const stake = providerStakeOf(deal, posted);
    assert.equal(after.provider.available - before.provider.available, -stake);
    assert.equal(after.creator.available - before.creator.available, stake - deal.mediationFee);
    assert.equal(after.mediator.available - before.mediator.available, deal.mediationFee);
    assert.equal(s.payment, 0n);
  });

  it("a free provider that signs with a throwaway key costs itself its place, never the job (attack 5)", async () => {
    const honestProviders = [HONEST, devAccount(5).address];
    for (const message of ["first", "second"]) {
      const result = await client.run("cowsay:v1", { Message: message });
      assert.equal(result.outcome, Outcome.Accepted);
      assert.ok(honestProviders.includes(result.provider), `${result.provider} ran the job`);
    }
    // No deal ever opened with the cheat, under either key.
    const opened = await conn.publicClient.getContractEvents({
      address: conn.network.contracts.market,
      abi: lilypadMarketAbi,
      eventName: "DealOpened",
      fromBlock: BigInt(conn.network.deployBlock),
    });
    const providers = new Set(opened.map((e) => e.args.provider));
    assert.ok(!providers.has(THROWAWAY_SIGNER) && !providers.has(privateKeyToAddress(THROWAWAY_KEY)));
  });

  it("a provider that cannot run a job declines it on chain: the creator hears why within seconds and is settled as on a timeout", async () => {
    const before = await balancesOf(conn, who(DECLINES));
    const started = performance.now();
    let failure: JobFailedError | undefined;
    const events: JobEvent[] = [];
    await assert.rejects(client.run("cowsay:v1", { Message: "can you?" }, { targetProvider: DECLINES, onEvent: (e) => events.push(e) }), (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.equal(error.code, "DECLINED");
      failure = error;
      return true;
    });
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 20_000, `took ${tookMs.toFixed(0)} ms`);
    assert.ok(failure);
    assert.ok(failure.message.includes(DECLINE_REASON), failure.message);
    assert.deepEqual(events.at(-1), { type: "closed", outcome: Outcome.Declined });
    const after = await balancesOf(conn, who(DECLINES));
    const onChain = await readDeal(conn, failure.dealId);
    assert.ok(onChain);
    const deal = unpackDeal(onChain.deal);
    const s = settlementOf(deal, Outcome.Declined, 0n);
    assertSettled(s, before, await balancesOf(conn, who(DECLINES), await blockOf(conn, failure.dealId, "DealOpened")), after);
    assert.equal(after.creator.available - before.creator.available, deal.timeoutCollateral);
    assert.equal(after.provider.available - before.provider.available, -deal.timeoutCollateral);
  });
  // Last: it moves the chain's clock past the deal's result timeout, and offers are dated by the wall clock.
  it("a count over the job offer's ceiling (cowsay's limit, 10^9) cannot even be posted: the market refuses it, and the provider pays as if silent", async () => {
    const before = await balancesOf(conn, who(OVER_LIMIT));
    let dealId: Hex | undefined;
    let moved: Promise<void> | undefined;
    await assert.rejects(
      client.run("cowsay:v1", { Message: "price me high" }, {
        targetProvider: OVER_LIMIT,
        onEvent: (e) => {
          if (e.type === "submitted") dealId = e.dealId;
          if (e.type === "deal-opened") {
            moved = (async () => {
              // The provider runs the job and has its post of 10^12 + n instructions refused; then time passes.
              await new Promise((r) => setTimeout(r, 4000));
              const onChain = await readDeal(conn, dealId!);
              await t.net.dev.testClient.increaseTime({ seconds: unpackDeal(onChain!.deal).resultTimeout + 1 });
              await t.net.dev.testClient.mine({ blocks: 1 });
            })();
          }
        },
      }),
      (error: unknown) => error instanceof JobFailedError && error.code === "RESULT_TIMEOUT",
    );
    await moved;
    const after = await balancesOf(conn, who(OVER_LIMIT));
    const onChain = await readDeal(conn, dealId!);
    assert.ok(onChain);
    const deal = unpackDeal(onChain.deal);
    assert.equal(deal.maxInstructions, 10n ** 9n, "the SDK signed cowsay's own limit as the ceiling");
    assert.equal(onChain.result.instructions, 0n, "no result was ever posted");
    const s = settlementOf(deal, Outcome.ResultTimeout, 0n);
    assertSettled(s, before, await balancesOf(conn, who(OVER_LIMIT), await blockOf(conn, dealId!, "DealOpened")), after);
    assert.equal(after.provider.available - before.provider.available, -deal.timeoutCollateral);
    assert.equal(after.creator.available - before.creator.available, deal.timeoutCollateral);
  });

});
