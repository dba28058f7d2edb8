// LilypadClient.collect: a job submitted by one client (which then went away) is collected by another with the
// same key. Within the judging window the collector judges it; after it, the provider has finalized the deal and the
// collector only verifies the result, refusing one that does not match its CID (too late to challenge).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { devAccount } from "../../src/chain/devAccounts.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { DEFAULT_JOB_TERMS } from "../../src/job-creator/jobTerms.ts";
import { startTestNetwork, text, type TestNetwork } from "./helpers.ts";

const TAMPERER = devAccount(5).address;

describe("LilypadClient.collect", () => {
  let t: TestNetwork;
  let honest: Hex;
  before(async () => {
    t = await startTestNetwork({ providers: [{}, { account: 5, faults: { wrongResult: true } }] });
    honest = t.net.providers[0]!.address;
  });
  after(async () => t?.close());

  /** Submits from a client that then closes, as `run --detach` does, and waits until the result is posted. */
  const submitAndLeave = async (message: string, targetProvider: Hex): Promise<Hex> => {
    const submitter = await t.client();
    const handle = await submitter.submit("cowsay:v1", { Message: message }, { targetProvider });
    handle.result.catch(() => {});
    await submitter.close();
    const watcher = await t.client();
    for (let i = 0; i < 200; i++) {
      const { record } = await watcher.solver.getJob(handle.dealId);
      if (record.status === "result-posted") return handle.dealId;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`job ${handle.dealId} posted no result`);
  };
  const passJudgingWindow = async () => {
    await t.net.dev.testClient.increaseTime({ seconds: DEFAULT_JOB_TERMS.judgingWindow + 5 });
    await t.net.dev.testClient.mine({ blocks: 1 });
  };
  const waitClosed = async (client: LilypadClient, dealId: Hex) => {
    for (let i = 0; i < 200; i++) {
      if ((await client.solver.getJob(dealId)).record.status === "closed") return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`deal ${dealId} was not finalized`);
  };

  it("judges a result within the window: accepted, the provider paid", async () => {
    const dealId = await submitAndLeave("collect me", honest);
    const collector = await t.client();
    const events: string[] = [];
    const result = await collector.collect(dealId, { onEvent: (e) => events.push(e.type) });
    assert.equal(result.outcome, Outcome.Accepted);
    assert.match(text(result.stdout), /< collect me >/);
    assert.ok(result.paid > 0n);
    assert.ok(events.includes("downloaded") && events.includes("accepted"), events.join(","));
    // Collecting a closed deal again verifies it and judges nothing.
    const again = await collector.collect(dealId);
    assert.deepEqual([again.outcome, again.resultCid], [Outcome.Accepted, result.resultCid]);
  });

  it("after the window: the provider finalized the deal, and the result is only verified", async () => {
    const dealId = await submitAndLeave("too late to judge", honest);
    await passJudgingWindow();
    const collector = await t.client();
    await waitClosed(collector, dealId);
    const result = await collector.collect(dealId);
    assert.equal(result.outcome, Outcome.Finalized);
    assert.equal(result.challenged, false);
    assert.match(text(result.stdout), /< too late to judge >/);
  });

  it("after the window, a tampered result is refused: it no longer matches, and cannot be challenged", async () => {
    const dealId = await submitAndLeave("tampered", TAMPERER);
    await passJudgingWindow();
    const collector = await t.client();
    await waitClosed(collector, dealId);
    await assert.rejects(collector.collect(dealId), (error: unknown) => {
      assert.ok(error instanceof JobFailedError);
      assert.equal(error.code, "RESULT_UNAVAILABLE");
      assert.match(error.message, /closed \(finalized\) and its result could not be downloaded or did not match its CID on chain .*too late to challenge it/);
      return true;
    });
  });

  it("refuses another account's job", async () => {
    const dealId = await submitAndLeave("mine", honest);
    const stranger = await t.client(12);
    await assert.rejects(stranger.collect(dealId), /not a party|only its creator collects it/);
  });
});
