// Where the SDK downloads a result from (issue 11): only from the URL the deal's provider registered on chain (or its
// mediator's, after a ruling), never from a URL a message names; and off a devnet, never from a loopback, private or
// link-local address. The provider here announces a decoy URL in its `result.ready`; the decoy counts every request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ServiceRole, serviceUrlOf } from "../../src/chain/serviceRegistry.ts";
import { DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import { shippedModuleId, startDecoy, startTestNetwork, text, type Decoy, type TestNetwork } from "./helpers.ts";

describe("the SDK downloads results only from registered URLs", { timeout: 120_000 }, () => {
  let t: TestNetwork;
  let decoy: Decoy;

  before(async () => {
    decoy = await startDecoy();
    t = await startTestNetwork({ providers: [{ modules: [shippedModuleId("cowsay:v1")], faults: { announceResultsUrl: decoy.url } }] });
  });
  after(async () => {
    await t?.close();
    await decoy?.close();
  });

  it("a provider announcing another URL than it registered: the result comes from the registered one, the announced one is never asked", async () => {
    const client = await t.client();
    const events: JobEvent[] = [];
    const result = await client.run("cowsay:v1", { Message: "registered only" }, { onEvent: (e) => events.push(e) });
    assert.equal(result.outcome, Outcome.Accepted);
    assert.match(text(result.stdout), /< registered only >/);
    const provider = t.net.providers[0]!;
    const registered = await serviceUrlOf(t.net.connect(DevAccountIndex.jobCreator), { service: provider.address, role: ServiceRole.ResourceProvider });
    assert.equal(registered, provider.resultsUrl);
    const posted = events.find((e) => e.type === "result-posted");
    assert.equal(posted?.type === "result-posted" && posted.resultsUrl, decoy.url, "the provider did announce the decoy");
    assert.deepEqual(
      events.filter((e) => e.type === "downloaded"),
      [{ type: "downloaded", resultCid: result.resultCid, from: registered }],
    );
    assert.deepEqual(decoy.requests, [], "nothing was asked of the announced URL");
  });

  it("off a devnet, a provider and a mediator at loopback addresses are refused before any request; the job ends RESULT_UNAVAILABLE", async () => {
    // Account 12's client treats the devnet as a public network.
    const client = await t.client(12, { allowPrivateAddresses: false });
    const events: JobEvent[] = [];
    await assert.rejects(client.run("cowsay:v1", { Message: "not from loopback" }, { onEvent: (e) => events.push(e) }), (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.equal(error.code, "RESULT_UNAVAILABLE");
      return true;
    });
    const logs = events.flatMap((e) => (e.type === "log" ? [e.line] : []));
    const refusal = /refusing to connect to 127\.0\.0\.1: a loopback, private or link-local address, allowed only on a devnet/;
    assert.ok(logs.some((l) => /^could not download a valid result: /.test(l) && refusal.test(l)), logs.join("\n"));
    assert.ok(logs.some((l) => /^could not download the result from the mediator: /.test(l) && refusal.test(l)), logs.join("\n"));
    assert.ok(events.some((e) => e.type === "challenged" && /could not be downloaded/.test(e.reason)));
    assert.ok(!events.some((e) => e.type === "downloaded"));
    assert.deepEqual(decoy.requests, []);
  });
});
