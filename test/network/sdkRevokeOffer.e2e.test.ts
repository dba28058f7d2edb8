// client.revokeOffer (issue 11: "an EOA creator cannot revoke an unopened offer"): a job waiting for a provider is
// revoked on chain and ends with REVOKED, nothing locked or moved; its lane's number is raised and the client's
// next offers there are numbered above it; an opened deal cannot be revoked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import { devAccount } from "../../src/chain/devAccounts.ts";
import { depositToEscrow, escrowBalance } from "../../src/chain/market/escrow.ts";
import { laneStatus } from "../../src/chain/market/laneStatus.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { revokeOffers } from "../../src/chain/market/revokeOffers.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { DealState, Outcome } from "../../src/core/dealTypes.ts";
import { JobFailedError, OfferNotRevocableError } from "../../src/job-creator/errors.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { startTestNetwork, type TestNetwork } from "./helpers.ts";

const CREATOR = 13;
/** A creator whose client has one lane: every job it submits takes lane 0. */
const ONE_LANE_CREATOR = 16;
/** No provider has this address: a job targeted at it waits in the solver's queue. */
const NOBODY = devAccount(19).address;

describe("client.revokeOffer", { timeout: 120_000 }, () => {
  let t: TestNetwork;
  let client: LilypadClient;
  const conn = () => t.net.connect(CREATOR);

  before(async () => {
    t = await startTestNetwork();
    await depositToEscrow(conn(), parseEther("100"));
    client = await t.client(CREATOR, { keepInEscrow: 0n });
  });
  after(() => t?.close());

  it("revokes a job waiting for a deal: it ends REVOKED, nothing is locked, and its offer can no longer open", async () => {
    const before = await escrowBalance(conn());
    const handle = await client.submit("cowsay:v1", { Message: "never mind" }, { targetProvider: NOBODY });
    const revoked = await client.revokeOffer({ dealId: handle.dealId });
    await assert.rejects(handle.result, (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.equal(error.code, "REVOKED");
      return true;
    });
    const lane = await laneStatus(conn(), conn().address, revoked.lane);
    assert.equal(lane.state, DealState.None, "a lane never used stays unused");
    assert.equal(lane.seq, revoked.seq, "its number is the revoked offer's: that offer is stale");
    assert.deepEqual(await escrowBalance(conn()), before, "nothing was locked or moved");
    await assert.rejects(client.revokeOffer({ dealId: handle.dealId }), OfferNotRevocableError);

    // The client goes on: the next job runs (in a lane the solver is not still holding for the revoked job).
    const next = await client.run("cowsay:v1", { Message: "this one" });
    assert.equal(next.outcome, Outcome.Accepted);
    await assert.rejects(client.revokeOffer({ dealId: next.dealId }), (error: unknown) => {
      assert.ok(error instanceof OfferNotRevocableError);
      assert.equal(error.code, "OFFER_NOT_REVOCABLE");
      return true;
    });
  });

  it("revokes a lane's offers up to a number; the client's next offers in that lane are numbered above it", async () => {
    const first = await client.run("cowsay:v1", { Message: "first" });
    const { lane } = await laneOf(first.dealId);
    const { seq } = await laneStatus(conn(), conn().address, lane);
    await assert.rejects(client.revokeOffer({ lane, seq }), (error: unknown) => {
      assert.ok(error instanceof OfferNotRevocableError);
      assert.match(error.message, /used or revoked already/);
      return true;
    });
    const revoked = await client.revokeOffer({ lane, seq: seq + 5 });
    assert.deepEqual([revoked.lane, revoked.seq], [lane, seq + 5]);
    const again = await client.run("cowsay:v1", { Message: "again" });
    assert.equal(again.outcome, Outcome.Accepted);
    assert.equal((await laneOf(again.dealId)).lane, lane, "the lane was reused");
    assert.equal((await laneStatus(conn(), conn().address, lane)).seq, seq + 6);
  });

  it("a job whose offer is revoked elsewhere (another process with the key) ends REVOKED with the solver's reason, and its lane's next offer is numbered above the revocation", async () => {
    const other = t.net.connect(ONE_LANE_CREATOR);
    await depositToEscrow(other, parseEther("100"));
    const oneLane = await t.client(ONE_LANE_CREATOR, { keepInEscrow: 0n, lanes: 1 });
    const handle = await oneLane.submit("cowsay:v1", { Message: "revoked elsewhere" }, { targetProvider: NOBODY });
    const stored = t.net.solver.solver.getJob(handle.dealId);
    assert.ok(stored, "the solver has the job");
    const { lane, seq } = stored.body.offer;
    assert.equal(lane, 0);
    // Not through this client: it hears of it from the solver only.
    await revokeOffers(other, { lane, seq: seq + 3 });
    await assert.rejects(handle.result, (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.equal(error.code, "REVOKED");
      assert.match(error.message, new RegExp(`the creator revoked its offers of lane 0 up to seq ${seq + 3} on chain before any deal opened`));
      return true;
    });
    assert.equal(t.net.solver.solver.getJob(handle.dealId)?.record.status, "revoked");
    // The lane is free at the solver at once, and its next offer is numbered from the chain, above the revocation.
    const next = await oneLane.run("cowsay:v1", { Message: "after the revocation" });
    assert.equal(next.outcome, Outcome.Accepted);
    assert.equal((await laneOf(next.dealId, other)).lane, 0);
    assert.equal((await laneStatus(other, other.address, 0)).seq, seq + 4);
  });

  /** The lane a deal ran in (from its packed terms, as the market emitted them). */
  async function laneOf(dealId: `0x${string}`, reader = conn()) {
    const onChain = await readDeal(reader, dealId);
    assert.ok(onChain);
    return { lane: unpackDeal(onChain.deal).lane };
  }
});
