// The deal tracker every role follows deals with, against a real dev chain and real deals: trackDeals keeps only the
// deals a role asks for and hands out each change once, in chain order; a role restarted from a cursor reads back
// the deals it still follows; followDeals reads only named deals, knows a deal before it opens (by its offer's
// digest) and resolves when it closes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Address, Hex } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { followDeals, trackDeals, type DealChange, type DealTracker } from "../../src/chain/market/dealTracker.ts";
import { jobOfferDigest } from "../../src/chain/offers.ts";
import { DealState, emptyResult, Outcome } from "../../src/core/dealTypes.ts";
import { createLogger } from "../../src/core/logger.ts";
import { dealCall, jobOffer, openDeal, openDefaultDeal, resourceOffer, RESULT, ruleTx, send, setup, signOffers, type Fixture, type OpenedDeal } from "../contracts/fixture.ts";

const log = createLogger({ role: "test", level: "silent" });

describe("deal tracker", () => {
  let f: Fixture;
  let conn: ChainConnection;
  const trackers: DealTracker[] = [];

  before(async () => {
    f = await setup();
    conn = connectChain({ network: f.dev.network, privateKey: devPrivateKey(DevAccountIndex.solver), transport: f.dev.transport });
  });
  after(async () => {
    for (const t of trackers) t.watcher.stop();
    await f.dev.close();
  });

  const track = async (params: Omit<Parameters<typeof trackDeals>[1], "log" | "onChanges">, changes: DealChange[]) => {
    const tracker = await trackDeals(conn, { ...params, log, pollMs: 50, onChanges: (c) => void changes.push(...c) });
    trackers.push(tracker);
    return tracker;
  };
  const head = () => f.dev.publicClient.getBlockNumber({ cacheTime: 0 });
  const kinds = (changes: DealChange[], dealId: Hex) => changes.filter((c) => c.deal.dealId === dealId).map((c) => c.kind);
  const challengeAndRule = async (d: OpenedDeal, providerRight: boolean) => {
    await send(f, dealCall(f, f.jc, "challenge", d));
    await send(f, ruleTx(f, f.mediator, d, providerRight));
  };

  it("follows only the deals a role keeps, each change once, in chain order, with the chain's terms", async () => {
    const changes: DealChange[] = [];
    const tracker = await track({ keep: (deal) => deal.provider === f.rp.account.address, fromBlock: await head() }, changes);
    const mine = await openDefaultDeal(f);
    const job = await jobOffer(f);
    const theirs = await openDeal(f, await signOffers(f, job, await resourceOffer(f, job), { rp: f.otherRp }));
    await send(f, dealCall(f, f.rp, "postResult", mine));
    await send(f, dealCall(f, f.otherRp, "postResult", theirs));
    await tracker.watcher.poll();
    assert.deepEqual(kinds(changes, mine.dealId), ["opened", "posted"]);
    assert.deepEqual(kinds(changes, theirs.dealId), [], "another provider's deal is not kept");
    const held = tracker.book.get(mine.dealId);
    assert.equal(held?.state, DealState.ResultPosted);
    assert.deepEqual(held?.deal, mine.packed);
    assert.deepEqual(held?.result, RESULT);
    assert.equal(held?.provider, f.rp.account.address);

    await challengeAndRule(mine, true);
    await send(f, dealCall(f, f.jc, "accept", theirs));
    await tracker.watcher.poll();
    assert.deepEqual(kinds(changes, mine.dealId), ["opened", "posted", "challenged", "closed"]);
    const [challenged, closed] = changes.slice(-2);
    assert.equal(challenged?.deal.mediator, f.mediator.account.address);
    assert.equal(closed?.deal.outcome, Outcome.ProviderRight);
    assert.equal(closed?.deal.state, DealState.Closed);
    assert.equal(tracker.book.get(mine.dealId), undefined, "a closed deal leaves the book");
    assert.equal(tracker.book.size, 0);
    // Each change names its own transaction, in increasing blocks.
    const blocks = changes.map((c) => c.blockNumber);
    assert.deepEqual(blocks, [...blocks].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.equal(new Set(changes.map((c) => c.txHash)).size, changes.length);
  });

  it("resumes from a cursor with the deals it still follows read back, and ignores deals it never met", async () => {
    const posted = await openDefaultDeal(f);
    await send(f, dealCall(f, f.rp, "postResult", posted));
    const open = await openDefaultDeal(f);
    const unknown = await openDefaultDeal(f);
    const closedBefore = await openDefaultDeal(f);
    await send(f, dealCall(f, f.rp, "postResult", closedBefore));
    await send(f, dealCall(f, f.jc, "accept", closedBefore));
    const cursor = (await head()) + 1n;

    const changes: DealChange[] = [];
    const cursors: bigint[] = [];
    const tracker = await trackDeals(conn, {
      fromBlock: cursor,
      resume: [posted.dealId, open.dealId, closedBefore.dealId],
      onChanges: (c) => void changes.push(...c),
      onCursor: (next) => void cursors.push(next),
      log,
      pollMs: 50,
    });
    trackers.push(tracker);
    assert.equal(tracker.book.get(posted.dealId)?.state, DealState.ResultPosted);
    assert.deepEqual(tracker.book.get(posted.dealId)?.result, RESULT);
    assert.equal(tracker.book.get(open.dealId)?.state, DealState.Open);
    assert.deepEqual(tracker.book.get(open.dealId)?.result, emptyResult);
    assert.equal(tracker.book.get(closedBefore.dealId), undefined, "a deal closed before the restart is not followed");

    await send(f, dealCall(f, f.jc, "accept", posted));
    await send(f, dealCall(f, f.rp, "postResult", open));
    await send(f, dealCall(f, f.rp, "postResult", unknown));
    await tracker.watcher.poll();
    assert.deepEqual(kinds(changes, posted.dealId), ["closed"]);
    assert.equal(changes.find((c) => c.deal.dealId === posted.dealId)?.deal.outcome, Outcome.Accepted);
    assert.deepEqual(kinds(changes, open.dealId), ["posted"]);
    assert.deepEqual(kinds(changes, unknown.dealId), [], "opened before the cursor and not resumed");
    assert.equal(cursors.at(-1), (await head()) + 1n, "the cursor passed to the role is the next block to read");
  });

  it("follows named deals from before they open until they close, reading nothing else", async () => {
    const follower = followDeals(conn, { log, pollMs: 50 });
    try {
      const job = await jobOffer(f);
      const dealId = jobOfferDigest(f.domain, job);
      follower.follow(dealId, await head());
      const seen: DealChange[] = [];
      const other = followDeals(conn, { log, pollMs: 50, onChanges: (c) => void seen.push(...c) });
      const bystander = await openDefaultDeal(f);
      other.follow(dealId, await head());

      const d = await openDeal(f, await signOffers(f, job, await resourceOffer(f, job)));
      assert.equal(d.dealId, dealId, "a deal's id is its job offer's digest");
      await send(f, dealCall(f, f.rp, "postResult", d));
      const closed = follower.closed(dealId, { tick: async () => {} });
      await challengeAndRule(d, false);
      const deal = await closed;
      assert.equal(deal.outcome, Outcome.ProviderWrong);
      assert.equal(deal.mediator, f.mediator.account.address);
      assert.deepEqual(deal.result, RESULT);
      assert.equal(follower.get(dealId)?.state, DealState.Closed);
      // Once closed, waiting again answers at once.
      assert.equal((await follower.closed(dealId)).outcome, Outcome.ProviderWrong);

      await other.closed(dealId);
      other.stop();
      assert.deepEqual(
        seen.map((c) => c.kind),
        ["opened", "posted", "challenged", "closed"],
      );
      assert.ok(seen.every((c) => c.deal.dealId === dealId), `only the followed deal: ${bystander.dealId} is not`);
    } finally {
      follower.stop();
    }
  });

  it("stops waiting when its signal aborts, and refuses to wait for a deal it does not follow", async () => {
    const follower = followDeals(conn, { log, pollMs: 50 });
    try {
      const job = await jobOffer(f);
      const dealId = jobOfferDigest(f.domain, job);
      follower.follow(dealId, await head());
      const controller = new AbortController();
      const waiting = follower.closed(dealId, { signal: controller.signal });
      controller.abort(new Error("closing"));
      await assert.rejects(waiting, /closing/);
      const stranger: Address = f.stranger.account.address;
      await assert.rejects(follower.closed(`0x${stranger.slice(2).padEnd(64, "0")}`), /not followed/);
    } finally {
      follower.stop();
    }
  });
});
