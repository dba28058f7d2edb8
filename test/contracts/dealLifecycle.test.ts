import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther, parseEventLogs } from "viem";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { DealState, Outcome } from "../../src/core/dealTypes.ts";
import { costOf } from "../../src/core/pricing.ts";
import { packDeal } from "../../src/core/dealPacking.ts";
import {
  advance,
  assertConservation,
  balanceOf,
  dealCall,
  deposit,
  laneStatus,
  expectRevert,
  openDefaultDeal,
  RESULT,
  ruleTx,
  send,
  setup,
  type Fixture,
} from "./fixture.ts";

describe("deal lifecycle", () => {
  let f: Fixture;
  before(async () => {
    f = await setup();
  });
  after(() => f.dev.close());

  const parties = () => [f.jc, f.rp, f.mediator].map((w) => w.account.address);
  const everyone = () => [f.jc, f.rp, f.otherRp, f.mediator, f.otherMediator].map((w) => w.account.address);
  const snapshot = async () => Promise.all(parties().map((a) => balanceOf(f, a)));
  /** Each party's change in available balance since `before`; asserts that nothing stays locked. */
  const deltas = async (before: { available: bigint; locked: bigint }[]) => {
    const now = await snapshot();
    return now.map((b, i) => {
      assert.equal(b.locked, before[i]!.locked, "no funds stay locked once the deal closes");
      return b.available - before[i]!.available;
    });
  };

  it("happy path: open, post result, accept pays the RP and releases every lock", async () => {
    const [jc0, rp0] = await snapshot();
    const d = await openDefaultDeal(f);
    assert.equal(d.deal.mediator, f.mediator.account.address);
    const [jc1, rp1] = await snapshot();
    assert.equal(jc1!.locked - jc0!.locked, d.deal.paymentCollateral);
    assert.equal(rp1!.locked - rp0!.locked, d.deal.timeoutCollateral);
    assert.equal((await laneStatus(f, d.deal)).state, DealState.Open);

    await send(f, dealCall(f, f.rp, "postResult", d));
    const cost = costOf(d.deal, RESULT.instructions);
    assert.equal(cost, parseEther("0.1") + parseEther("0.0025"));
    const [, rp2] = await snapshot();
    // The timeout collateral already locked covers the results collateral (3 x cost), so nothing more is locked.
    assert.ok(cost * 3n < d.deal.timeoutCollateral);
    assert.equal(rp2!.locked - rp0!.locked, d.deal.timeoutCollateral);
    assert.equal((await laneStatus(f, d.deal)).state, DealState.ResultPosted);

    await send(f, dealCall(f, f.jc, "accept", d));
    assert.deepEqual(await deltas([jc0!, rp0!, (await snapshot())[2]!]), [-cost, cost, 0n]);
    assert.equal((await laneStatus(f, d.deal)).state, DealState.Closed);
    await assertConservation(f, everyone());
  });

  it("the cost is capped at the JC's payment collateral", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f, { paymentCollateral: parseEther("0.2"), maxInstructions: 10n ** 15n });
    const huge = { ...RESULT, instructions: 10n ** 15n };
    await send(f, dealCall(f, f.rp, "postResult", d, huge));
    await send(f, dealCall(f, f.jc, "accept", d, huge));
    assert.deepEqual(await deltas(before), [-parseEther("0.2"), parseEther("0.2"), 0n]);
  });

  it("challenge, provider wrong: the RP's whole stake goes to the JC, who pays nothing; mediator gets the fee", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f);
    await send(f, dealCall(f, f.rp, "postResult", d));
    await send(f, dealCall(f, f.jc, "challenge", d));
    assert.equal((await laneStatus(f, d.deal)).state, DealState.Challenged);
    await send(f, ruleTx(f, f.mediator, d, false));
    // 3 x cost is below the timeout collateral: the stake is the timeout collateral, all of it forfeited.
    const stake = d.deal.timeoutCollateral;
    assert.ok(costOf(d.deal, RESULT.instructions) * 3n < stake);
    const fee = d.deal.mediationFee;
    assert.deepEqual(await deltas(before), [stake - fee, -stake, fee]);
    await assertConservation(f, everyone());
  });

  it("junk with 0 instructions at price 0 costs the RP at least what silence would, and the JC never loses (attack 6)", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f, {}, { basePrice: 0n, pricePerMInstr: 0n });
    const junk = { ...RESULT, instructions: 0n };
    await send(f, dealCall(f, f.rp, "postResult", d, junk));
    await send(f, dealCall(f, f.jc, "challenge", d, junk));
    await send(f, ruleTx(f, f.mediator, d, false, junk));
    const [jc, rp, mediator] = await deltas(before);
    assert.equal(rp, -d.deal.timeoutCollateral, "caught costs exactly what a result timeout would");
    assert.equal(jc, d.deal.timeoutCollateral - d.deal.mediationFee);
    assert.ok(jc! >= 0n, "the JC who caught the cheat is not poorer");
    assert.equal(mediator, d.deal.mediationFee);
  });

  it("refuses a result that claims more instructions than the job's ceiling (attacks 1 and 9)", async () => {
    const d = await openDefaultDeal(f, { maxInstructions: 10n ** 9n });
    const [, claimed, ceiling] = await expectRevert(
      () => dealCall(f, f.rp, "postResult", d, { ...RESULT, instructions: 2n ** 64n - 1n }),
      "InstructionsAboveCeiling",
    );
    assert.equal(claimed, 2n ** 64n - 1n);
    assert.equal(ceiling, 10n ** 9n);
    await send(f, dealCall(f, f.rp, "postResult", d, { ...RESULT, instructions: 10n ** 9n }));
  });

  it("decline: the RP says it cannot run the job; the JC is settled at once, as on a result timeout", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f);
    await expectRevert(() => f.jc.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "decline", args: [d.dealId, d.packed] }), "Unauthorized");
    const receipt = await send(f, f.rp.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "decline", args: [d.dealId, d.packed] }));
    const [closed] = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealClosed" });
    assert.equal(closed?.args.outcome, Outcome.Declined);
    const tc = d.deal.timeoutCollateral;
    assert.deepEqual(await deltas(before), [tc, -tc, 0n]);
    await expectRevert(() => f.rp.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "decline", args: [d.dealId, d.packed] }), "WrongState");
  });

  it("challenge, provider right: the RP is paid and the JC pays the mediation fee", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f);
    await send(f, dealCall(f, f.rp, "postResult", d));
    await send(f, dealCall(f, f.jc, "challenge", d));
    await send(f, ruleTx(f, f.mediator, d, true));
    const cost = costOf(d.deal, RESULT.instructions);
    const fee = d.deal.mediationFee;
    assert.deepEqual(await deltas(before), [-cost - fee, cost, fee]);
  });

  it("timeout: the RP never posts; after the deadline anyone refunds the JC plus the RP's timeout collateral", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f);
    await expectRevert(() => dealCall(f, f.stranger, "finalize", d), "DeadlineNotReached");
    await advance(f, 601);
    await expectRevert(() => dealCall(f, f.rp, "postResult", d), "DeadlinePassed");
    await send(f, dealCall(f, f.stranger, "finalize", d));
    const tc = d.deal.timeoutCollateral;
    assert.deepEqual(await deltas(before), [tc, -tc, 0n]);
  });

  it("timeout: the JC never judges; after the window anyone finalizes and the RP is paid", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f);
    await send(f, dealCall(f, f.rp, "postResult", d));
    await expectRevert(() => dealCall(f, f.stranger, "finalize", d), "DeadlineNotReached");
    await advance(f, 601);
    await expectRevert(() => dealCall(f, f.jc, "challenge", d), "DeadlinePassed");
    await send(f, dealCall(f, f.stranger, "finalize", d));
    const cost = costOf(d.deal, RESULT.instructions);
    assert.deepEqual(await deltas(before), [-cost, cost, 0n]);
  });

  it("timeout: the mediator never rules; everyone is refunded and the fee returns to the JC", async () => {
    const before = await snapshot();
    const d = await openDefaultDeal(f);
    await send(f, dealCall(f, f.rp, "postResult", d));
    await send(f, dealCall(f, f.jc, "challenge", d));
    await advance(f, 601);
    await expectRevert(() => ruleTx(f, f.mediator, d, true), "DeadlinePassed");
    await send(f, dealCall(f, f.stranger, "finalize", d));
    assert.deepEqual(await deltas(before), [0n, 0n, 0n]);
    await assertConservation(f, everyone());
  });


  it("only the right party may act at each step", async () => {
    const d = await openDefaultDeal(f);
    await expectRevert(() => dealCall(f, f.stranger, "postResult", d), "Unauthorized");
    await expectRevert(() => dealCall(f, f.jc, "postResult", d), "Unauthorized");
    await expectRevert(() => dealCall(f, f.jc, "accept", d), "WrongState");
    await send(f, dealCall(f, f.rp, "postResult", d));
    await expectRevert(() => dealCall(f, f.rp, "postResult", d), "WrongState");
    await expectRevert(() => dealCall(f, f.rp, "accept", d), "Unauthorized");
    await expectRevert(() => dealCall(f, f.stranger, "challenge", d), "Unauthorized");
    await expectRevert(() => ruleTx(f, f.mediator, d, true), "WrongState");
    await send(f, dealCall(f, f.jc, "challenge", d));
    await expectRevert(() => dealCall(f, f.jc, "accept", d), "WrongState");
    await expectRevert(() => ruleTx(f, f.otherMediator, d, false), "Unauthorized");
    await expectRevert(() => ruleTx(f, f.jc, d, false), "Unauthorized");
    await send(f, ruleTx(f, f.mediator, d, true));
    await expectRevert(() => ruleTx(f, f.mediator, d, true), "WrongState");
    await expectRevert(() => dealCall(f, f.stranger, "finalize", d), "WrongState");
  });

  it("terms or results passed back must match the stored commitment", async () => {
    const d = await openDefaultDeal(f);
    const richer = { ...d, packed: packDeal({ ...d.deal, basePrice: d.deal.basePrice + 1n }) };
    await expectRevert(() => dealCall(f, f.rp, "postResult", richer), "DealMismatch");
    await expectRevert(() => dealCall(f, f.rp, "postResult", d, { ...RESULT, cidDigest: `0x${"0".repeat(64)}` }), "InvalidResult");
    await send(f, dealCall(f, f.rp, "postResult", d));
    // Accepting a smaller instruction count than was posted would underpay the RP.
    await expectRevert(() => dealCall(f, f.jc, "accept", d, { ...RESULT, instructions: 1n }), "DealMismatch");
    await expectRevert(() => dealCall(f, f.jc, "accept", { ...d, dealId: `0x${"11".repeat(32)}` }), "DealMismatch");
    await send(f, dealCall(f, f.jc, "accept", d));
  });

  it("the JC cannot challenge without the mediation fee available", async () => {
    const d = await openDefaultDeal(f);
    // The JC spends the rest of its escrow meanwhile.
    const { available } = await balanceOf(f, f.jc.account.address);
    await send(f, f.jc.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "withdraw", args: [available] }));
    await send(f, dealCall(f, f.rp, "postResult", d));
    await expectRevert(() => dealCall(f, f.jc, "challenge", d), "InsufficientBalance");
    await deposit(f, f.jc, available);
  });

  it("the RP cannot post a result without the results collateral available", async () => {
    const d = await openDefaultDeal(f, { paymentCollateral: parseEther("500"), maxInstructions: 10n ** 12n }, { collateralMultiple: 10 });
    await expectRevert(() => dealCall(f, f.rp, "postResult", d, { ...RESULT, instructions: 10n ** 12n }), "InsufficientBalance");
  });
});
