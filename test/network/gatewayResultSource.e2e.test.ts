// The gateway downloads an app's results as the SDK does (issue 11): only from the URL the deal's provider registered
// on chain, never from the URL it announces, and off a devnet never from a loopback, private or link-local address.
// The provider here announces a decoy URL; the decoy counts every request.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import { gatewayJobSchema, type GatewayJob } from "../../src/core/api/gatewayProtocol.ts";
import { createLogger } from "../../src/core/logger.ts";
import { startGateway } from "../../src/job-creator/gateway.ts";
import { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";
import { shippedModuleId, startDecoy, startTestNetwork, type Decoy, type TestNetwork } from "./helpers.ts";

/** Runs one job through a gateway paying from dev account `account`, and polls it to its end. */
async function runThroughGateway(t: TestNetwork, account: number, options: { allowPrivateAddresses?: boolean }): Promise<GatewayJob> {
  const home = await mkdtemp(join(tmpdir(), "lilypad-gateway-source-"));
  const blockstore = await createBlockstore({ path: join(home, "blocks") });
  const client = new LilypadClient({
    conn: t.net.connect(account),
    solverUrl: t.net.solver.url,
    blockstore,
    resolveModule: createModuleResolver({ blockstore, workDir: home }),
    mediators: [t.net.mediatorAddress],
    keepInEscrow: parseEther("100"),
    ...options,
  });
  const gateway = await startGateway({ client, blockstore, log: createLogger({ role: "gateway-test", level: "silent" }) });
  try {
    const posted = await fetch(`${gateway.url}/api/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ module: "cowsay:v1", inputs: { Message: "via the gateway" } }),
    });
    assert.equal(posted.status, 202);
    let job = gatewayJobSchema.parse(await posted.json());
    const deadline = Date.now() + 60_000;
    while (job.status === "running") {
      assert.ok(Date.now() < deadline, `job still running: ${JSON.stringify(job.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = gatewayJobSchema.parse(await (await fetch(`${gateway.url}/api/v1/jobs/${job.id}`)).json());
    }
    return job;
  } finally {
    await gateway.close();
    await client.close();
    await blockstore.close();
    await rm(home, { recursive: true, force: true });
  }
}

describe("the gateway downloads results only from registered, allowed URLs", { timeout: 120_000 }, () => {
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

  it("on a devnet, fetches from the provider's registered URL and never from the one it announced", async () => {
    const job = await runThroughGateway(t, 10, {});
    assert.equal(job.status, "succeeded", JSON.stringify(job.error));
    assert.match(job.result?.stdout ?? "", /via the gateway/);
    assert.ok(job.events.some((e) => e.type === "downloaded"));
    assert.deepEqual(decoy.requests, [], "nothing was asked of the announced URL");
  });

  it("treating the network as public, refuses the loopback provider and mediator: the job fails RESULT_UNAVAILABLE, saying why", async () => {
    const job = await runThroughGateway(t, 11, { allowPrivateAddresses: false });
    assert.equal(job.status, "failed");
    assert.equal(job.error?.code, "RESULT_UNAVAILABLE");
    const logs = job.events.flatMap((e) => (e.type === "log" && e.detail ? [e.detail] : []));
    assert.ok(
      logs.some((l) => /^could not download a valid result: refusing to connect to 127\.0\.0\.1: a loopback, private or link-local address/.test(l)),
      logs.join("\n"),
    );
    assert.ok(!job.events.some((e) => e.type === "downloaded"));
    assert.deepEqual(decoy.requests, []);
  });
});
