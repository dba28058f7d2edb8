// revokeOffers: a job creator takes back signed offers that have not opened a deal, by raising its lane's sequence
// number. Nothing moves; busy lanes and other creators' lanes are out of its reach; the number never goes down.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeErrorResult, parseEventLogs, type Address } from "viem";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { DealState, resourceOfferCalldata } from "../../src/core/dealTypes.ts";
import {
  balanceOf,
  dealCall,
  expectRevert,
  jobOffer,
  openDeal,
  openDealTx,
  resourceOffer,
  send,
  setup,
  signOffers,
  type Fixture,
  type SignedOffers,
  type Wallet,
} from "./fixture.ts";

describe("revokeOffers: a creator takes back its unopened offers", () => {
  let f: Fixture;
  before(async () => {
    f = await setup();
  });
  after(() => f.dev.close());

  const offers = async (overrides: Parameters<typeof jobOffer>[1] = {}): Promise<SignedOffers> => {
    const job = await jobOffer(f, overrides);
    return signOffers(f, job, await resourceOffer(f, job));
  };
  const revokeTx = (by: Wallet, lane: number, seq: number) =>
    by.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "revokeOffers", args: [lane, seq] });
  const lane = async (creator: Address, id: number) => {
    const [state, deadline, seq] = await f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "laneStatus", args: [creator, id] });
    return { state, deadline, seq };
  };
  const balances = async () => ({ jc: await balanceOf(f, f.jc.account.address), rp: await balanceOf(f, f.rp.account.address) });

  it("revoking a lane never used makes its offers stale, moves nothing, and later offers still open", async () => {
    const signed = await offers({ seq: 3 });
    const before = await balances();
    const receipt = await send(f, revokeTx(f.jc, signed.job.lane, 3));
    const [event] = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "OffersRevoked" });
    assert.deepEqual(event?.args, { creator: f.jc.account.address, lane: signed.job.lane, seq: 3 });
    assert.deepEqual(await lane(f.jc.account.address, signed.job.lane), { state: DealState.None, deadline: 0, seq: 3 });

    const [creator, laneId, seq, lastSeq] = await expectRevert(() => openDealTx(f, signed), "StaleSequence");
    assert.deepEqual([creator, laneId, seq, lastSeq], [f.jc.account.address, signed.job.lane, 3, 3]);
    const lower = await offers({ lane: signed.job.lane, seq: 1 });
    await expectRevert(() => openDealTx(f, lower), "StaleSequence");
    assert.deepEqual(await balances(), before, "no balance moved");

    // The revoked lane is still a lane: an offer above the revoked number opens there, and settles as usual.
    const next = await openDeal(f, await offers({ lane: signed.job.lane, seq: 4 }));
    const opened = await lane(f.jc.account.address, signed.job.lane);
    assert.deepEqual([opened.state, opened.seq], [DealState.Open, 4]);
    await send(f, dealCall(f, f.rp, "postResult", next));
    await send(f, dealCall(f, f.jc, "accept", next));
    assert.equal((await lane(f.jc.account.address, signed.job.lane)).state, DealState.Closed);
  });

  it("revoking a closed lane keeps it closed and only raises its sequence number", async () => {
    const first = await openDeal(f, await offers());
    await send(f, dealCall(f, f.rp, "postResult", first));
    await send(f, dealCall(f, f.jc, "accept", first));
    const pending = await offers({ lane: first.deal.lane, seq: 2 });
    const before = await balances();
    await send(f, revokeTx(f.jc, first.deal.lane, 2));
    assert.deepEqual(await lane(f.jc.account.address, first.deal.lane), { state: DealState.Closed, deadline: 0, seq: 2 });
    await expectRevert(() => openDealTx(f, pending), "StaleSequence");
    assert.deepEqual(await balances(), before, "no balance moved");
    const third = await openDeal(f, await offers({ lane: first.deal.lane, seq: 3 }));
    assert.equal((await lane(f.jc.account.address, first.deal.lane)).seq, 3);
    await send(f, dealCall(f, f.rp, "postResult", third));
    await send(f, dealCall(f, f.jc, "accept", third));
  });

  it("a revoked offer in a batch is skipped; the others open", async () => {
    const revoked = await offers();
    const good = await offers();
    await send(f, revokeTx(f.jc, revoked.job.lane, revoked.job.seq));
    const list = [revoked, good];
    const receipt = await send(
      f,
      f.solver.writeContract({
        address: f.market,
        abi: lilypadMarketAbi,
        functionName: "openDeals",
        args: [list.map((o) => o.job), list.map((o) => o.jobSignature), list.map((o) => resourceOfferCalldata(o.resource)), list.map((o) => o.resourceSignature)],
        gas: 80_000n + 140_000n * 2n,
      }),
    );
    const skipped = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealSkipped" });
    assert.deepEqual(
      skipped.map((e) => [e.args.dealId, decodeErrorResult({ abi: lilypadMarketAbi, data: e.args.reason }).errorName]),
      [[revoked.resource.jobOfferHash, "StaleSequence"]],
    );
    const opened = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealOpened" });
    assert.deepEqual(opened.map((e) => e.args.dealId), [good.resource.jobOfferHash]);
  });

  it("cannot revoke a lane whose deal is open, posted or challenged", async () => {
    const d = await openDeal(f, await offers());
    const id = d.deal.lane;
    const check = async (state: DealState) => {
      const status = await lane(f.jc.account.address, id);
      assert.equal(status.state, state);
      const before = await balances();
      const [creator, laneId] = await expectRevert(() => revokeTx(f.jc, id, 9), "LaneBusy");
      assert.deepEqual([creator, laneId], [f.jc.account.address, id]);
      assert.deepEqual(await lane(f.jc.account.address, id), status, "the lane is unchanged");
      assert.deepEqual(await balances(), before);
    };
    await check(DealState.Open);
    await send(f, dealCall(f, f.rp, "postResult", d));
    await check(DealState.ResultPosted);
    await send(f, dealCall(f, f.jc, "challenge", d));
    await check(DealState.Challenged);
  });

  it("never lowers the sequence number, and refuses a revocation that would not raise it", async () => {
    const signed = await offers({ seq: 1 });
    const id = signed.job.lane;
    await send(f, revokeTx(f.jc, id, 5));
    for (const seq of [5, 4, 0]) {
      const args = await expectRevert(() => revokeTx(f.jc, id, seq), "NothingToRevoke");
      assert.deepEqual(args, [f.jc.account.address, id, seq, 5]);
    }
    assert.equal((await lane(f.jc.account.address, id)).seq, 5);
    // The offer whose deal opened cannot be revoked after it closes: its number is the lane's already.
    const d = await openDeal(f, await offers({ lane: id, seq: 6 }));
    await send(f, dealCall(f, f.rp, "postResult", d));
    await send(f, dealCall(f, f.jc, "accept", d));
    await expectRevert(() => revokeTx(f.jc, id, 6), "NothingToRevoke");
    await send(f, revokeTx(f.jc, id, 2 ** 32 - 1));
    assert.deepEqual(await lane(f.jc.account.address, id), { state: DealState.Closed, deadline: 0, seq: 2 ** 32 - 1 });
  });

  it("only reaches the caller's own lanes: a stranger revoking the same lane number leaves the creator's offers valid", async () => {
    const signed = await offers({ seq: 2 });
    const before = await balances();
    const receipt = await send(f, revokeTx(f.stranger, signed.job.lane, 1000));
    const [event] = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "OffersRevoked" });
    assert.equal(event?.args.creator, f.stranger.account.address, "the revocation is the stranger's own lane");
    assert.equal((await lane(f.stranger.account.address, signed.job.lane)).seq, 1000);
    assert.deepEqual(await lane(f.jc.account.address, signed.job.lane), { state: DealState.None, deadline: 0, seq: 0 });
    assert.deepEqual(await balances(), before);
    // The solver cannot revoke for the creator either: the lane is keyed by the caller.
    await send(f, revokeTx(f.solver, signed.job.lane, 1000));
    const d = await openDeal(f, signed);
    assert.equal(d.deal.creator, f.jc.account.address);
    assert.equal((await lane(f.jc.account.address, signed.job.lane)).seq, 2);
  });

  it("costs little: one slot written, one event", async () => {
    const signed = await offers();
    const receipt = await send(f, revokeTx(f.jc, signed.job.lane, 7));
    assert.ok(receipt.gasUsed < 50_000n, `revokeOffers used ${receipt.gasUsed} gas`);
  });
});
