// The whole network on a chain that mines like a public one: a block every 2 s and no instant receipts, so every
// transaction of every role waits for its block. A plain job and a job the mediator re-runs both settle.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Outcome } from "../../src/core/dealTypes.ts";
import { startTestNetwork, type TestNetwork } from "./helpers.ts";

describe("a network on a chain with 2-second blocks", { timeout: 300_000 }, () => {
  let t: TestNetwork;
  before(async () => {
    t = await startTestNetwork({ blockTime: 2, instantMining: false });
  });
  after(() => t?.close());

  it("runs a job and a mediated job to their outcomes, every receipt waiting for its block", async () => {
    const client = await t.client();
    const started = performance.now();
    const plain = await client.run("cowsay:v1", { Message: "slow chain" });
    const plainMs = performance.now() - started;
    assert.equal(plain.outcome, Outcome.Accepted);
    assert.match(new TextDecoder().decode(plain.stdout), /< slow chain >/);
    // Opening, posting and accepting each wait for a block: a job cannot take less than about two block times.
    assert.ok(plainMs > 2_000, `a job took ${plainMs.toFixed(0)} ms on 2-second blocks`);
    const mediated = await client.run("cowsay:v1", { Message: "check me" }, { mediationChance: 1 });
    assert.equal(mediated.outcome, Outcome.ProviderRight);
    console.log(`# 2-second blocks: a job took ${plainMs.toFixed(0)} ms`);
  });
});
