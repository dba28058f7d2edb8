// The mediator reaches a deal's parties at the URLs they registered on chain; off a devnet it refuses those that are
// (or resolve to) loopback, private or link-local addresses, as the SDK does: nothing is gathered from them, and a
// result served only there is not delivered. What its own operator configured (a solver, stores) is always reached.
// Real chain, solver, provider and mediators on loopback; the refusing mediators treat the devnet as a public
// network (`allowPrivateAddresses: false`), as the SDK's tests of the same rule do.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { createLogger } from "../../src/core/logger.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { Mediator, type Ruling } from "../../src/mediator/mediator.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";

const REFUSED = /refusing to connect to 127\.0\.0\.1: a loopback, private or link-local address, allowed only on a devnet/;

describe("the mediator refuses private addresses a party registered, off a devnet", { timeout: 120_000 }, () => {
  let t: TestNetwork;
  let work: string;
  let client: LilypadClient;
  const pools: SandboxPool[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "lilypad-mediator-private-"));
    t = await startTestNetwork({ providers: [{ modules: [shippedModuleId("cowsay:v1")] }] });
    client = await t.client();
  });

  after(async () => {
    await t?.close();
    for (const pool of pools) await pool.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A mediator for the network's mediator account, with an empty store; its log lines are kept. */
  async function startMediator(name: string, options: { solverUrl?: string }): Promise<{ mediator: Mediator; rulings: Ruling[]; lines: string[] }> {
    const workRoot = join(work, name, "work");
    const pool = new SandboxPool({ workRoot, size: 1 });
    pools.push(pool);
    const lines: string[] = [];
    const mediator = new Mediator({
      conn: t.net.connect(DevAccountIndex.mediator),
      log: createLogger({ role: "test", level: "info", write: (line) => lines.push(line) }),
      blockstore: await createBlockstore({ path: join(work, name, "blocks") }),
      pool,
      workRoot,
      allowPrivateAddresses: false,
      deliveryAttempts: 1,
      ...options,
    });
    const rulings: Ruling[] = [];
    mediator.onRuling((ruling) => rulings.push(ruling));
    await mediator.start();
    return { mediator, rulings, lines };
  }

  async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("on a devnet, the mediator reaches the provider on loopback: it gathers the job there and rules the provider right", async () => {
    const rulings: Ruling[] = [];
    t.net.mediator.onRuling((ruling) => rulings.push(ruling));
    const result = await client.run("cowsay:v1", { Message: "on a devnet" }, { mediationChance: 1 });
    assert.equal(result.outcome, Outcome.ProviderRight);
    assert.match(text(result.stdout), /< on a devnet >/);
    assert.deepEqual(rulings, [{ dealId: result.dealId, providerRight: true, reason: undefined }]);
  });

  it("treating the network as public: the provider's and the solver's registered loopback URLs are refused; the configured solver gives the inputs, and the result is not delivered", async () => {
    await t.net.mediator.stop();
    // First a mediator with nothing configured: every source it finds on chain is on loopback, so it gathers nothing.
    const bare = await startMediator("bare", {});
    const handle = await client.submit("cowsay:v1", { Message: "treated as public" }, { mediationChance: 1 });
    handle.result.catch(() => undefined);
    try {
      const failure = await waitFor("the mediator to fail to gather the job", () => bare.lines.find((l) => /could not mediate/.test(l)));
      const err = String((JSON.parse(failure) as { err?: unknown }).err);
      assert.match(err, new RegExp(`the inputs 0x[0-9a-f]{64} could not be found: ${t.net.providers[0]!.resultsUrl}/?: .*${REFUSED.source}`), err);
      assert.match(err, new RegExp(`solver ${t.net.solver.url}: ${REFUSED.source}`), err);
      assert.deepEqual(bare.rulings, [], "no ruling without the job");
    } finally {
      await bare.mediator.stop();
    }

    // Then one whose operator configured the network's solver: the inputs come from it, the module is shipped, and
    // the re-run matches, but the provider's result is served only on loopback, which is refused: not delivered.
    const configured = await startMediator("configured", { solverUrl: t.net.solver.url });
    try {
      const result = await handle.result;
      assert.equal(result.outcome, Outcome.ProviderWrong);
      const ruling = await waitFor("the ruling", () => configured.rulings.find((r) => r.dealId === handle.dealId));
      assert.equal(ruling.providerRight, false);
      assert.match(ruling.reason ?? "", new RegExp(`^the result \\S+ was not delivered \\(${REFUSED.source}\\)$`), ruling.reason);
      const gathered = configured.lines.find((l) => /gathered the job/.test(l));
      assert.ok(gathered, configured.lines.join("\n"));
      assert.deepEqual((JSON.parse(gathered) as { fetched?: unknown }).fetched, [`inputs from solver ${t.net.solver.url}`]);
    } finally {
      await configured.mediator.stop();
    }
  });
});
