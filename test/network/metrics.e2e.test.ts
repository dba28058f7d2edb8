// Every role's /metrics, scraped over HTTP from a real network in this process (chain, solver, provider, mediator,
// gateway, on-chain job relay) while real jobs run: each figure moves by what the job did, in the registry of the
// role that did it and in no other. And `lilypad jobcreator` serving its metrics on --metrics-port.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEther, parseEventLogs, zeroAddress, type Hex } from "viem";
import { DevAccountIndex, devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { lilypadTokenAbi, onChainJobCreatorAbi } from "../../src/chain/generated/contracts.ts";
import type { CliContext } from "../../src/cli/context.ts";
import { main } from "../../src/cli/main.ts";
import { ACTIVE_STATUSES } from "../../src/solver/solverStore.ts";
import { canonicalJsonBytes } from "../../src/core/canonicalJson.ts";
import { METRICS_PATH } from "../../src/metrics/metricsRoutes.ts";
import { samplesOf, scrape, valueOf, type Scrape } from "../metrics/prometheusText.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "./helpers.ts";

/** Retries `check` (which scrapes and asserts) until it passes: a role may hear of a deal's close a poll later. */
async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** How much a series grew between two scrapes (a series not there yet counts as 0). */
function grew(after: Scrape, before: Scrape, name: string, labels: Record<string, string> = {}): number {
  return valueOf(after, name, labels) - valueOf(before, name, labels);
}

/** Every sample is labelled with this role, and the chain watcher is caught up and reachable. */
function assertRoleAndChain(s: Scrape, role: string): void {
  assert.ok(s.samples.length > 0);
  for (const sample of s.samples) assert.equal(sample.labels.role, role, `${sample.name} of ${role}`);
  assert.equal(valueOf(s, "lilypad_chain_reachable"), 1, `${role} reaches the chain`);
  const lag = samplesOf(s, "lilypad_chain_lag_blocks");
  assert.equal(lag.length, 1, `${role} reports its chain lag`);
  assert.ok(lag[0]!.value >= 0 && lag[0]!.value <= 3, `${role} lags ${lag[0]!.value} blocks`);
}

describe("metrics of a real network", () => {
  const cowsay = shippedModuleId("cowsay:v1");
  let t: TestNetwork;
  let dir: string;
  let networkFile: string;
  let url: { solver: string; provider: string; mediator: string; gateway: string; relay: string };
  const scrapeAll = async () => ({
    solver: await scrape(url.solver),
    provider: await scrape(url.provider),
    mediator: await scrape(url.mediator),
    gateway: await scrape(url.gateway),
    relay: await scrape(url.relay),
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilypad-metrics-"));
    networkFile = join(dir, "network.json");
    t = await startTestNetwork({ providers: [{ account: 4, modules: [cowsay] }], relay: true, gateway: { port: 0 }, networkFile });
    assert.ok(t.net.gatewayUrl && t.net.relayMetricsUrl);
    url = {
      solver: `${t.net.solver.url}${METRICS_PATH}`,
      provider: `${t.net.providers[0]!.resultsUrl}${METRICS_PATH}`,
      mediator: `${t.net.mediator.url}${METRICS_PATH}`,
      gateway: `${t.net.gatewayUrl}${METRICS_PATH}`,
      relay: t.net.relayMetricsUrl,
    };
  });
  after(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("each role counts its own start: the transactions it sent, and nothing of the others'", async () => {
    const s = await scrapeAll();
    const registered = { contract: "serviceRegistry", method: "register", status: "success" };
    assert.equal(valueOf(s.solver, "lilypad_transactions_total", registered), 1, "the solver registered its URL");
    assert.equal(valueOf(s.provider, "lilypad_transactions_total", registered), 1, "the provider registered its URL");
    assert.equal(valueOf(s.mediator, "lilypad_transactions_total", registered), 1, "the mediator registered its URL");
    assert.ok(valueOf(s.provider, "lilypad_transaction_gas_used_sum", { contract: "serviceRegistry", method: "register" }) > 0);
    assert.equal(valueOf(s.provider, "lilypad_transactions_total", { contract: "market", method: "deposit", status: "success" }), 1, "the provider deposited its collateral");
    for (const [role, scraped] of [["solver", s.solver], ["resource-provider", s.provider], ["mediator", s.mediator], ["jobcreator", s.relay]] as const) {
      assertRoleAndChain(scraped, role);
    }
    // The gateway follows only its own deals (through its client), so it keeps no chain lag; it labels its figures all the same.
    for (const sample of s.gateway.samples) assert.equal(sample.labels.role, "gateway");
    assert.equal(samplesOf(s.mediator, "lilypad_transactions_total", { contract: "market" }).length, 0, "the mediator has ruled on nothing");
  });

  it("a job through the SDK moves the solver's and the provider's figures by one job, each in its own registry", async () => {
    const before = await scrapeAll();
    const client = await t.client();
    const result = await client.run("cowsay:v1", { Message: "counted" });
    assert.match(text(result.stdout), /< counted >/);

    await eventually(async () => {
      const solver = await scrape(url.solver);
      for (const state of ["submitted", "matched", "open", "result-posted", "closed"]) {
        assert.equal(grew(solver, before.solver, "lilypad_jobs_total", { state }), 1, `solver: jobs that went ${state}`);
      }
      assert.equal(grew(solver, before.solver, "lilypad_match_latency_seconds_count"), 1, "one match timed");
      const latency = grew(solver, before.solver, "lilypad_match_latency_seconds_sum");
      assert.ok(latency > 0 && latency < 30, `matched and opened in ${latency} s`);
      assert.equal(grew(solver, before.solver, "lilypad_transactions_total", { contract: "market", method: "openDeals", status: "success" }), 1);
      assert.ok(grew(solver, before.solver, "lilypad_transaction_gas_used_sum", { method: "openDeals" }) > 0, "opening the deal used gas");
      // Nothing in play any more, and every state still reads (as 0).
      for (const state of ACTIVE_STATUSES) assert.equal(valueOf(solver, "lilypad_jobs", { state }), 0, `solver: jobs ${state} now`);
      assert.equal(samplesOf(solver, "lilypad_sandbox_run_seconds_count").length, 0, "the solver runs no sandbox");
      assertRoleAndChain(solver, "solver");

      const provider = await scrape(url.provider);
      for (const state of ["proposed", "running", "posted", "closed"]) {
        assert.equal(grew(provider, before.provider, "lilypad_jobs_total", { state }), 1, `provider: deals that went ${state}`);
      }
      assert.equal(grew(provider, before.provider, "lilypad_sandbox_run_seconds_count", { module: "cowsay:v1", engine: "wasm", outcome: "ok" }), 1);
      assert.ok(grew(provider, before.provider, "lilypad_sandbox_run_seconds_sum", { module: "cowsay:v1" }) > 0);
      assert.equal(grew(provider, before.provider, "lilypad_transactions_total", { contract: "market", method: "postResult", status: "success" }), 1);
      assert.ok(grew(provider, before.provider, "lilypad_transaction_gas_used_sum", { contract: "market", method: "postResult" }) > 0, "posting used gas");
      assert.equal(grew(provider, before.provider, "lilypad_transaction_gas_used_count", { method: "postResult" }), 1);
      // The solver's figures are not the provider's, nor the other way round.
      assert.equal(samplesOf(provider, "lilypad_jobs_total", { state: "open" }).length, 0);
      assert.equal(samplesOf(provider, "lilypad_transactions_total", { method: "openDeals" }).length, 0);
      assert.equal(valueOf(provider, "lilypad_match_latency_seconds_count"), 0);
      assert.equal(samplesOf(solver, "lilypad_transactions_total", { method: "postResult" }).length, 0);
      assertRoleAndChain(provider, "resource-provider");
    });
    // The mediator was not asked: its figures did not move.
    const mediator = await scrape(url.mediator);
    assert.equal(samplesOf(mediator, "lilypad_jobs_total").length, 0);
    assert.equal(samplesOf(mediator, "lilypad_sandbox_run_seconds_count").length, 0);
    assert.equal(valueOf(mediator, "lilypad_jobs", { state: "challenged" }), 0);
  });

  it("counts each error a role answers with by its code, in that role's registry alone", async () => {
    const before = await scrapeAll();
    // A malformed job: the body is not JSON.
    const refused = await fetch(`${t.net.solver.url}/api/v1/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    assert.equal(refused.status, 400);
    const { code } = (await refused.json()) as { code: string };
    assert.equal(code, "INVALID_JSON");
    // A request without a signature.
    const unsigned = await fetch(`${t.net.solver.url}/api/v1/jobs`);
    assert.equal(((await unsigned.json()) as { code: string }).code, "AUTH_MISSING");
    // A job the gateway cannot read.
    const gatewayRefused = await fetch(`${t.net.gatewayUrl}/api/v1/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ module: 5 }) });
    assert.equal(((await gatewayRefused.json()) as { code: string }).code, "INVALID_BODY");

    const after = await scrapeAll();
    assert.equal(grew(after.solver, before.solver, "lilypad_errors_total", { code: "INVALID_JSON" }), 1);
    assert.equal(grew(after.solver, before.solver, "lilypad_errors_total", { code: "AUTH_MISSING" }), 1);
    assert.equal(grew(after.gateway, before.gateway, "lilypad_errors_total", { code: "INVALID_BODY" }), 1);
    assert.equal(grew(after.solver, before.solver, "lilypad_errors_total", { code: "INVALID_BODY" }), 0, "the gateway's error is not the solver's");
    for (const other of [after.provider, after.mediator, after.gateway, after.relay]) {
      assert.equal(samplesOf(other, "lilypad_errors_total", { code: "INVALID_JSON" }).length, 0);
    }
  });

  it("a job through the gateway moves the gateway's figures, its client's transactions included", async () => {
    const before = await scrape(url.gateway);
    const submitted = await fetch(`${t.net.gatewayUrl}/api/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ module: "cowsay:v1", inputs: { Message: "through the gateway" } }),
    });
    assert.equal(submitted.status, 202);
    const { id } = (await submitted.json()) as { id: string };
    await eventually(async () => {
      const job = (await (await fetch(`${t.net.gatewayUrl}/api/v1/jobs/${id}`)).json()) as { status: string };
      assert.equal(job.status, "succeeded");
    }, 30_000);
    const after = await scrape(url.gateway);
    assert.equal(grew(after, before, "lilypad_jobs_total", { state: "submitted" }), 1);
    assert.equal(grew(after, before, "lilypad_jobs_total", { state: "succeeded" }), 1);
    assert.equal(valueOf(after, "lilypad_jobs", { state: "running" }), 0);
    assert.equal(grew(after, before, "lilypad_transactions_total", { contract: "market", method: "accept", status: "success" }), 1, "its client accepted the result");
    assert.ok(grew(after, before, "lilypad_transaction_gas_used_sum", { method: "accept" }) > 0);
    assert.ok(valueOf(after, "lilypad_transactions_total", { contract: "market", method: "deposit", status: "success" }) >= 1, "its client funded its escrow");
    for (const sample of after.samples) assert.equal(sample.labels.role, "gateway");
  });

  it("a challenged job moves the mediator's figures: its re-run, its ruling and the transaction that carried it", async () => {
    const before = await scrapeAll();
    const client = await t.client();
    // The creator sends every result to the mediator (a spot check); the honest provider is ruled right.
    const result = await client.run("cowsay:v1", { Message: "judged" }, { mediationChance: 1 });
    assert.match(text(result.stdout), /< judged >/);
    await eventually(async () => {
      const mediator = await scrape(url.mediator);
      assert.equal(grew(mediator, before.mediator, "lilypad_jobs_total", { state: "challenged" }), 1);
      assert.equal(grew(mediator, before.mediator, "lilypad_jobs_total", { state: "provider-right" }), 1);
      assert.equal(grew(mediator, before.mediator, "lilypad_sandbox_run_seconds_count", { module: "cowsay:v1", engine: "wasm", outcome: "ok" }), 1);
      assert.equal(grew(mediator, before.mediator, "lilypad_transactions_total", { contract: "market", method: "rule", status: "success" }), 1);
      assert.ok(grew(mediator, before.mediator, "lilypad_transaction_gas_used_sum", { method: "rule" }) > 0, "ruling used gas");
      assert.equal(valueOf(mediator, "lilypad_jobs", { state: "challenged" }), 0, "nothing left to rule on");
      assertRoleAndChain(mediator, "mediator");
      const solver = await scrape(url.solver);
      assert.equal(grew(solver, before.solver, "lilypad_jobs_total", { state: "challenged" }), 1);
      // The provider ran it once; the mediator's re-run is not the provider's.
      const provider = await scrape(url.provider);
      assert.equal(grew(provider, before.provider, "lilypad_sandbox_run_seconds_count", { module: "cowsay:v1" }), 1);
    }, 30_000);
  });

  describe("the on-chain job relay", () => {
    let requestDeal: Hex;

    it("counts a request it relayed and judged, and the accept it sent", async () => {
      const before = await scrape(url.relay);
      const requester = t.net.connect(9);
      const { jobCreator, token } = t.net.network.contracts;
      const payment = parseEther("10");
      const fee = parseEther("0.25");
      const mined = async (hash: Promise<Hex>) => {
        const receipt = await requester.publicClient.waitForTransactionReceipt({ hash: await hash });
        assert.equal(receipt.status, "success");
        return receipt;
      };
      await mined(requester.wallet.writeContract({ address: token, abi: lilypadTokenAbi, functionName: "approve", args: [jobCreator, payment + fee] }));
      const now = (await requester.publicClient.getBlock()).timestamp;
      const receipt = await mined(
        requester.wallet.writeContract({
          address: jobCreator,
          abi: onChainJobCreatorAbi,
          functionName: "requestJob",
          args: [
            {
              moduleId: cowsay,
              inputs: new TextDecoder().decode(canonicalJsonBytes({ Message: "from the chain" })),
              maxBasePrice: parseEther("0.1"),
              maxPricePerMInstr: parseEther("0.01"),
              payment,
              minTimeoutCollateral: parseEther("1"),
              minCollateralMultiple: 2,
              mediators: [t.net.mediatorAddress, zeroAddress, zeroAddress, zeroAddress],
              resultTimeout: 60,
              judgingWindow: 60,
              mediationTimeout: 600,
              expiry: now + 600n,
              maxInstructions: 10n ** 10n,
              mediationFee: fee,
              submitter: devAccount(DevAccountIndex.solver).address,
              // The embedded relay judges it: it accepts an honest result through the job creator contract.
              judge: devAccount(DevAccountIndex.jobRelay).address,
            },
          ],
        }),
      );
      const [event] = parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "JobRequested" });
      assert.ok(event);
      requestDeal = event.args.dealId;

      await eventually(async () => {
        const relay = await scrape(url.relay);
        for (const state of ["requested", "relayed", "accepted"]) {
          assert.equal(grew(relay, before, "lilypad_jobs_total", { state }), 1, `relay: requests that went ${state}`);
        }
        assert.equal(grew(relay, before, "lilypad_transactions_total", { contract: "jobCreator", method: "accept", status: "success" }), 1);
        assert.ok(grew(relay, before, "lilypad_transaction_gas_used_sum", { contract: "jobCreator", method: "accept" }) > 0, "accepting used gas");
        assert.equal(valueOf(relay, "lilypad_jobs", { state: "pending" }), 0);
        assertRoleAndChain(relay, "jobcreator");
        assert.equal(samplesOf(relay, "lilypad_jobs_total", { state: "open" }).length, 0, "the solver's figures are not the relay's");
      }, 30_000);
    });

    it("`lilypad jobcreator` serves its metrics, with its process's, on --metrics-port", async () => {
      assert.ok(requestDeal, "runs after the request above");
      let stderr = "";
      let stop: (signal: string) => void = () => {};
      const stopped = new Promise<string>((resolve) => (stop = resolve));
      const ctx: CliContext = {
        stdout: () => {},
        stderr: (chunk) => void (stderr += chunk),
        env: { LILYPAD_HOME: join(dir, "cli-home") },
        homedir: dir,
        cwd: dir,
        waitForShutdown: () => stopped,
      };
      // Another account than the embedded relay's: the two would otherwise share nonces.
      const exited = main(
        ["jobcreator", "--network", networkFile, "--private-key", devPrivateKey(12), "--log-level", "silent", "--metrics-port", "0"],
        ctx,
      );
      try {
        const metricsUrl = await (async () => {
          for (let i = 0; i < 300; i++) {
            const found = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1];
            if (found) return found;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.fail(`no metrics URL in: ${stderr}`);
        })();
        // It reads the request made above from the deploy block on; the solver already has it from the other relay.
        await eventually(async () => {
          const s = await scrape(metricsUrl);
          assert.equal(valueOf(s, "lilypad_jobs_total", { state: "requested" }), 1);
          assert.equal(valueOf(s, "lilypad_jobs_total", { state: "dropped" }), 1);
          assert.equal(valueOf(s, "lilypad_errors_total", { code: "ALREADY_SUBMITTED" }), 1);
          assert.equal(valueOf(s, "lilypad_chain_reachable"), 1);
          // Standalone, the role has its process to itself: the process's own metrics are there, labelled too.
          assert.equal(s.types.get("process_cpu_user_seconds_total"), "counter");
          for (const sample of s.samples) assert.equal(sample.labels.role, "jobcreator", sample.name);
        });
      } finally {
        stop("SIGTERM");
        assert.equal(await exited, 0, stderr);
      }
      assert.match(stderr, /job relay stopped/);
    });
  });
});
