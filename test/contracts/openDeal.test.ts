import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeErrorResult, parseEther, parseEventLogs, zeroAddress, type Address } from "viem";
import { hostileSignerCreatorAbi, hostileSignerCreatorBytecode, lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { signJobOffer, signResourceOffer } from "../../src/chain/offers.ts";
import { DealState, resourceOfferCalldata, type JobOffer } from "../../src/core/dealTypes.ts";
import {
  balanceOf,
  dealCall,
  expectRevert,
  jobOffer,
  laneStatus,
  now,
  openDeal,
  openDealTx,
  resourceOffer,
  send,
  setup,
  signOffers,
  type Fixture,
  type SignedOffers,
} from "./fixture.ts";

describe("openDeal: signatures, replay, compatibility", () => {
  let f: Fixture;
  before(async () => {
    f = await setup();
  });
  after(() => f.dev.close());

  const openWith = async (jobOverrides: Parameters<typeof jobOffer>[1] = {}, resourceOverrides = {}) => {
    const job = await jobOffer(f, jobOverrides);
    return signOffers(f, job, await resourceOffer(f, job, resourceOverrides));
  };
  const sorted = (...addresses: Address[]) =>
    [...addresses].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));

  it("locks both collaterals and emits the packed terms", async () => {
    const jc0 = await balanceOf(f, f.jc.account.address);
    const rp0 = await balanceOf(f, f.rp.account.address);
    const o = await openWith();
    const d = await openDeal(f, o);
    assert.equal(d.deal.creator, f.jc.account.address);
    assert.equal(d.deal.provider, f.rp.account.address, "the provider is the resource offer's signer");
    assert.equal(d.deal.paymentCollateral, o.job.paymentCollateral);
    assert.equal(d.deal.resultTimeout, o.job.resultTimeout);
    assert.equal((await balanceOf(f, f.jc.account.address)).locked - jc0.locked, o.job.paymentCollateral);
    assert.equal((await balanceOf(f, f.rp.account.address)).locked - rp0.locked, o.resource.timeoutCollateral);
    const lane = await laneStatus(f, d.deal);
    assert.equal(lane.state, DealState.Open);
    assert.equal(lane.seq, 1);
  });

  it("refuses expired offers", async () => {
    const t = await now(f);
    const expiredJob = await openWith({ expiry: t - 1n });
    await expectRevert(() => openDealTx(f, expiredJob), "OfferExpired");
    const expiredResource = await openWith({}, { expiry: t - 1n });
    await expectRevert(() => openDealTx(f, expiredResource), "OfferExpired");
  });

  it("refuses a job offer signed by someone else than its creator", async () => {
    const job = await jobOffer(f);
    const o = await signOffers(f, job, await resourceOffer(f, job), { jc: f.stranger });
    const [signer] = await expectRevert(() => openDealTx(f, o), "InvalidSignature");
    assert.equal(signer, f.jc.account.address);
  });

  it("an offer signed for another chain or another market cannot be used here (EIP-712 domain)", async () => {
    const job = await jobOffer(f);
    const resource = await resourceOffer(f, job);
    for (const domain of [
      { chainId: 1, market: f.market },
      { chainId: f.domain.chainId, market: f.token },
    ]) {
      const o = {
        job,
        jobSignature: await signJobOffer(f.jc, domain, job),
        resource,
        resourceSignature: await signResourceOffer(f.rp, f.domain, resource),
      };
      await expectRevert(() => openDealTx(f, o), "InvalidSignature");
    }
  });

  it("a resource offer signed for another job offer does not commit the RP", async () => {
    const jobA = await jobOffer(f);
    const jobB = await jobOffer(f);
    const rp0 = await balanceOf(f, f.rp.account.address);
    const forA = await resourceOffer(f, jobA);
    const o = {
      job: jobB,
      jobSignature: await signJobOffer(f.jc, f.domain, jobB),
      resource: forA,
      resourceSignature: await signResourceOffer(f.rp, f.domain, forA),
    };
    // The signature recovers to an address that is not the RP (and holds nothing), so nothing of the RP moves.
    const [account] = await expectRevert(() => openDealTx(f, o), "InsufficientBalance");
    assert.notEqual(account, f.rp.account.address);
    assert.deepEqual(await balanceOf(f, f.rp.account.address), rp0);
  });

  it("a job offer opens at most one deal: replays are refused while open and after closing", async () => {
    const o = await openWith();
    const d = await openDeal(f, o);
    await expectRevert(() => openDealTx(f, o), "LaneBusy");
    await send(f, dealCall(f, f.rp, "postResult", d));
    await send(f, dealCall(f, f.jc, "accept", d));
    const [, lane, seq, last] = await expectRevert(() => openDealTx(f, o), "StaleSequence");
    assert.deepEqual([lane, seq, last], [o.job.lane, 1, 1]);
  });

  it("a lane is reused by the next deal with a higher sequence number", async () => {
    const first = await openDeal(f, await openWith());
    const next = await openWith({ lane: first.deal.lane, seq: 2 });
    await expectRevert(() => openDealTx(f, next), "LaneBusy");
    await send(f, dealCall(f, f.rp, "postResult", first));
    await send(f, dealCall(f, f.jc, "accept", first));
    const second = await openDeal(f, next);
    assert.equal((await laneStatus(f, second.deal)).seq, 2);
    const skipAhead = await openWith({ lane: first.deal.lane, seq: 9 });
    await expectRevert(() => openDealTx(f, skipAhead), "LaneBusy");
  });

  it("honours the JC's target provider", async () => {
    const o = await openWith({ targetProvider: f.otherRp.account.address });
    const [target, provider] = await expectRevert(() => openDealTx(f, o), "ProviderNotTargeted");
    assert.deepEqual([target, provider], [f.otherRp.account.address, f.rp.account.address]);
    const job = await jobOffer(f, { targetProvider: f.otherRp.account.address });
    const ok = await signOffers(f, job, await resourceOffer(f, job), { rp: f.otherRp });
    assert.equal((await openDeal(f, ok)).deal.provider, f.otherRp.account.address);
  });

  it("refuses a JC dealing with itself", async () => {
    const job = await jobOffer(f);
    const o = await signOffers(f, job, await resourceOffer(f, job), { rp: f.jc });
    await expectRevert(() => openDealTx(f, o), "SelfDeal");
  });

  it("refuses prices above the JC's maximum and collateral below its minimum", async () => {
    await expectRevert(async () => openDealTx(f, await openWith({}, { basePrice: parseEther("1.01") })), "PriceTooHigh");
    await expectRevert(async () => openDealTx(f, await openWith({}, { pricePerMInstr: parseEther("0.02") })), "PriceTooHigh");
    await expectRevert(async () => openDealTx(f, await openWith({}, { timeoutCollateral: parseEther("0.5") })), "CollateralTooLow");
    await expectRevert(async () => openDealTx(f, await openWith({}, { collateralMultiple: 1 })), "CollateralTooLow");
  });

  it("refuses timeouts under the protocol's floors (terms nobody can meet) and overlong ones", async () => {
    for (const bad of [{ resultTimeout: 59 }, { judgingWindow: 59 }, { mediationTimeout: 599 }, { mediationTimeout: 31 * 86400 }]) {
      const job = { ...(await jobOffer(f)), ...bad };
      const o = await signOffers(f, job, await resourceOffer(f, job));
      await expectRevert(() => openDealTx(f, o), "InvalidTimeout");
    }
    const atFloors = await openWith({ resultTimeout: 60, judgingWindow: 60, mediationTimeout: 600 });
    assert.equal((await openDeal(f, atFloors)).deal.mediationTimeout, 600);
  });

  it("refuses a timeout collateral below the mediation fee (a JC who catches a cheat must never end poorer)", async () => {
    const o = await openWith({ mediationFee: parseEther("3") }, { timeoutCollateral: parseEther("2") });
    await expectRevert(() => openDealTx(f, o), "CollateralTooLow");
  });

  it("draws the mediator from the job's whole list: the provider's signature accepts all of it, so neither party picks", async () => {
    const both = sorted(f.mediator.account.address, f.otherMediator.account.address);
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const j = await jobOffer(f, { mediators: both });
      seen.add((await openDeal(f, await signOffers(f, j, await resourceOffer(f, j)))).deal.mediator);
    }
    assert.deepEqual([...seen].sort(), [...both].sort(), "both mediators are drawn");
  });

  it("refuses a mediator who is a party to the deal", async () => {
    for (const party of [f.jc.account.address, f.rp.account.address]) {
      const job = await jobOffer(f, { mediators: sorted(f.mediator.account.address, party) });
      const [who] = await expectRevert(async () => openDealTx(f, await signOffers(f, job, await resourceOffer(f, job))), "MediatorIsParty");
      assert.equal(who, party);
    }
  });

  it("refuses unsorted, gapped or empty mediator lists, which could weigh the draw", async () => {
    const both = sorted(f.mediator.account.address, f.otherMediator.account.address);
    for (const [mediators, error] of [
      [[both[1]!, both[0]!, zeroAddress, zeroAddress], "MediatorsNotSorted"],
      [[both[0]!, both[0]!, zeroAddress, zeroAddress], "MediatorsNotSorted"],
      [[both[0]!, zeroAddress, both[1]!, zeroAddress], "MediatorsNotSorted"],
      [[zeroAddress, zeroAddress, zeroAddress, zeroAddress], "NoCommonMediator"],
    ] as const) {
      const job = { ...(await jobOffer(f)), mediators: [...mediators] as JobOffer["mediators"] };
      const o = await signOffers(f, job, await resourceOffer(f, job));
      await expectRevert(() => openDealTx(f, o), error);
    }
  });

  it("refuses a JC or RP without enough available balance", async () => {
    const [account] = await expectRevert(async () => openDealTx(f, await openWith({ paymentCollateral: parseEther("5000") })), "InsufficientBalance");
    assert.equal(account, f.jc.account.address);
    const [rp] = await expectRevert(
      async () => openDealTx(f, await openWith({}, { timeoutCollateral: parseEther("5000") })),
      "InsufficientBalance",
    );
    assert.equal(rp, f.rp.account.address);
  });

  const batchArgs = (list: readonly SignedOffers[]) =>
    [list.map((o) => o.job), list.map((o) => o.jobSignature), list.map((o) => resourceOfferCalldata(o.resource)), list.map((o) => o.resourceSignature)] as const;
  const openBatch = async (list: readonly SignedOffers[]) => {
    // Gas as the solver sets it (sendMarketTx: 80,000 + 140,000 per item), not estimated: a hostile creator's check
    // approves in the estimate's eth_call.
    const gas = 80_000n + 140_000n * BigInt(list.length);
    const receipt = await send(f, f.solver.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "openDeals", args: batchArgs(list), gas }));
    const skipped = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealSkipped" }).map((e) => ({
      dealId: e.args.dealId,
      error: decodeErrorResult({ abi: lilypadMarketAbi, data: e.args.reason }).errorName,
    }));
    const opened = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealOpened" }).map((e) => e.args.dealId);
    return { receipt, skipped, opened };
  };
  const dealIdOf = (o: SignedOffers) => o.resource.jobOfferHash;

  it("opens a batch around items a third party spoiled, skipping only those (attacks 5 and 7)", async () => {
    const good = [await openWith(), await openWith()];
    const expired = await openWith({ expiry: (await now(f)) - 1n });
    // The lane was taken after the solver's simulation (a front-runner, or the JC itself).
    const taken = await openWith();
    await openDeal(f, await signOffers(f, { ...taken.job, seq: 1, expiry: taken.job.expiry - 1n }, await resourceOffer(f, { ...taken.job, seq: 1, expiry: taken.job.expiry - 1n })));
    // A provider whose key holds nothing (an unfunded throwaway) cannot lock its timeout collateral.
    const throwaway = f.dev.wallet(12);
    const unfunded = await (async () => {
      const job = await jobOffer(f);
      return signOffers(f, job, await resourceOffer(f, job), { rp: throwaway });
    })();
    const jc0 = await balanceOf(f, f.jc.account.address);
    const { skipped, opened } = await openBatch([good[0]!, expired, taken, unfunded, good[1]!]);
    assert.deepEqual(opened, [dealIdOf(good[0]!), dealIdOf(good[1]!)]);
    assert.deepEqual(skipped, [
      { dealId: dealIdOf(expired), error: "OfferExpired" },
      { dealId: dealIdOf(taken), error: "LaneBusy" },
      { dealId: dealIdOf(unfunded), error: "InsufficientBalance" },
    ]);
    // The JC's collateral for the skipped unfunded deal was released again: only the two good deals hold any.
    assert.equal((await balanceOf(f, f.jc.account.address)).locked - jc0.locked, good[0]!.job.paymentCollateral + good[1]!.job.paymentCollateral);
    for (const o of good) assert.equal((await laneStatus(f, { creator: o.job.creator, lane: o.job.lane } as never)).state, DealState.Open);
  });

  it("reverts a batch whose offers are invalid in themselves (a simulation catches those)", async () => {
    const good = await openWith();
    const bad = await openWith({}, { basePrice: parseEther("2") });
    await expectRevert(
      () => f.solver.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "openDeals", args: batchArgs([good, bad]) }),
      "PriceTooHigh",
    );
    const [jobs, sigs, resources, resourceSigs] = batchArgs([good]);
    await expectRevert(
      () => f.solver.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "openDeals", args: [jobs, sigs.slice(1), resources, resourceSigs] }),
      "LengthMismatch",
    );
  });

  it("bounds what a contract creator's signature check may burn: its item is skipped, the rest open (attack 12)", async () => {
    const hash = await f.stranger.deployContract({ abi: hostileSignerCreatorAbi, bytecode: hostileSignerCreatorBytecode });
    const hostile = (await f.dev.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
    const alone = [await openWith()];
    const baseline = (await openBatch(alone)).receipt.gasUsed;
    const job = await jobOffer(f, { creator: hostile });
    const burner = { job, jobSignature: { r: `0x${"11".repeat(32)}`, vs: `0x${"22".repeat(32)}` }, resource: await resourceOffer(f, job), resourceSignature: await signResourceOffer(f.rp, f.domain, await resourceOffer(f, job)) } as SignedOffers;
    const withBurner = await openBatch([await openWith(), burner]);
    assert.deepEqual(withBurner.skipped.map((s) => s.error), ["InvalidSignature"]);
    assert.equal(withBurner.opened.length, 1);
    const extra = withBurner.receipt.gasUsed - baseline;
    // Two checks at most (the offer as signed for this submitter, then for anyone), 50,000 gas each.
    assert.ok(extra < 140_000n, `the burner's item cost ${extra} gas, more than its two 50,000 allowances and the item's own work`);
  });

  it("lets only the job offer's submitter open it: nobody can front-run the solver (attack 7)", async () => {
    const o = await openWith();
    // The market hashes the offer with its caller as the submitter: for anyone but the solver the JC's signature
    // does not match, alone or in a batch.
    const [creator] = await expectRevert(() => openDealTx(f, o, f.stranger), "InvalidSignature");
    assert.equal(creator, f.jc.account.address);
    await openDeal(f, o);
  });

  it("with no submitter named anyone may submit the deal, and the submitter gains nothing", async () => {
    const o = await openWith({ submitter: zeroAddress });
    const stranger0 = await balanceOf(f, f.stranger.account.address);
    await openDeal(f, o, f.stranger);
    assert.deepEqual(await balanceOf(f, f.stranger.account.address), stranger0);
  });
});
