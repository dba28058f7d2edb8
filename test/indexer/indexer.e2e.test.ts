// The indexer against a real network: jobs run through the protocol, and what the indexer's public API says must
// equal what the chain says (deals, timelines with their transactions, payments, the leaderboard), survive a
// restart without counting anything twice, and catch up after the chain was unreachable.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEther, type Hex } from "viem";
import { devAccount } from "../../src/chain/devAccounts.ts";
import {
  dealDetailSchema,
  dealPageSchema,
  leaderboardSchema,
  liveUpdateSchema,
  moduleListSchema,
  networkStatsSchema,
  providerDetailSchema,
  resultFilesSchema,
} from "../../src/core/api/indexerApi.ts";
import type { CliContext } from "../../src/cli/context.ts";
import { main } from "../../src/cli/main.ts";
import { createLogger } from "../../src/core/logger.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { startIndexer, type RunningIndexer } from "../../src/indexer/startIndexer.ts";
import { chainLeaderboard } from "../helpers/chainLeaderboard.ts";
import { startChainProxy } from "../helpers/chainProxy.ts";
import { samplesOf, scrape, valueOf } from "../metrics/prometheusText.ts";
import { shippedModuleId, startTestNetwork, type TestNetwork } from "../network/helpers.ts";

const HONEST = devAccount(4).address;
const CHEAP = devAccount(5).address;
const WRONG_RESULT = devAccount(6).address;

async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url);
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, body: type.includes("json") ? await response.json() : await response.text(), headers: response.headers };
}

describe("the indexer", () => {
  let t: TestNetwork;
  let indexer: RunningIndexer;
  const dealIds: { honest: Hex[]; cheap: Hex[]; cheated?: Hex } = { honest: [], cheap: [] };

  before(async () => {
    const modules = [shippedModuleId("cowsay:v1"), shippedModuleId("compute:v1")];
    t = await startTestNetwork({
      providers: [
        { account: 4, modules },
        { account: 5, modules, pricing: { basePrice: parseEther("0.005") } },
        { account: 6, modules, pricing: { basePrice: parseEther("0.02") }, faults: { wrongResult: true } },
      ],
      indexer: {},
      networkFile: join(tmpdir(), `lilypad-indexer-${process.pid}.json`),
    });
    indexer = t.net.indexer!;
    const client = await t.client();
    for (const m of ["one", "two", "three"]) dealIds.cheap.push((await client.run("cowsay:v1", { Message: m })).dealId);
    dealIds.honest.push((await client.run("compute:v1", { N: 2000 }, { targetProvider: HONEST })).dealId);
    const cheated = await client.submit("cowsay:v1", { Message: "lie to me" }, { targetProvider: WRONG_RESULT });
    dealIds.cheated = cheated.dealId;
    await cheated.result.catch(() => {});
    await indexer.poll();
  });
  after(async () => {
    await t.close();
    await rm(join(tmpdir(), `lilypad-indexer-${process.pid}.json`), { force: true });
  });

  it("lists every deal, newest first, and finds them by id prefix, address and module name", async () => {
    const all = dealPageSchema.parse((await getJson(`${indexer.url}/api/v1/deals`)).body);
    assert.equal(all.total, 5);
    assert.equal(all.deals[0]!.dealId, dealIds.cheated, "the newest deal comes first");
    const byPrefix = dealPageSchema.parse((await getJson(`${indexer.url}/api/v1/deals?q=${dealIds.honest[0]!.slice(0, 12)}`)).body);
    assert.ok(byPrefix.deals.some((d) => d.dealId === dealIds.honest[0]));
    const byProvider = dealPageSchema.parse((await getJson(`${indexer.url}/api/v1/deals?q=${CHEAP.toLowerCase()}`)).body);
    assert.deepEqual(byProvider.deals.map((d) => d.dealId).sort(), [...dealIds.cheap].sort());
    const byModule = dealPageSchema.parse((await getJson(`${indexer.url}/api/v1/deals?q=compute`)).body);
    assert.deepEqual(byModule.deals.map((d) => d.dealId), dealIds.honest);
    assert.equal(byModule.deals[0]!.moduleName, "compute:v1");
    // Paging: two at a time, each row once.
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page = dealPageSchema.parse((await getJson(`${indexer.url}/api/v1/deals?limit=2${before ? `&before=${before}` : ""}`)).body);
      seen.push(...page.deals.map((d) => d.dealId));
      before = page.next;
    } while (before);
    assert.equal(new Set(seen).size, 5);
  });

  it("shows a deal's terms, cost and timeline, each step with the transaction that made it", async () => {
    const conn = t.net.connect(0);
    const dealId = dealIds.cheap[0]!;
    const deal = dealDetailSchema.parse((await getJson(`${indexer.url}/api/v1/deals/${dealId}`)).body);
    assert.equal(deal.phase, "closed");
    assert.equal(deal.outcome, "accepted");
    assert.equal(deal.provider, CHEAP);
    assert.equal(deal.terms.basePrice, parseEther("0.005").toString());
    assert.deepEqual(deal.timeline.map((e) => e.kind), ["opened", "result", "closed"]);
    assert.equal(deal.payment, deal.cost, "an accepted deal pays its cost");
    let gas = 0n;
    for (const step of deal.timeline) {
      const receipt = await conn.publicClient.getTransactionReceipt({ hash: step.tx as Hex });
      assert.equal(Number(receipt.blockNumber), step.block);
      assert.equal(receipt.gasUsed.toString(), step.txGasUsed);
      assert.ok(BigInt(step.gasShare) > 0n && BigInt(step.gasShare) <= receipt.gasUsed);
      gas += BigInt(step.gasShare);
    }
    assert.equal(deal.gasUsed, gas.toString());
    const missing = await getJson(`${indexer.url}/api/v1/deals/0x${"ab".repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { code: string }).code, "DEAL_NOT_FOUND");
    const bad = await getJson(`${indexer.url}/api/v1/deals/nope`);
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { code: string }).code, "INVALID_QUERY");
  });

  it("shows a challenged deal's ruling", async () => {
    const deal = dealDetailSchema.parse((await getJson(`${indexer.url}/api/v1/deals/${dealIds.cheated}`)).body);
    assert.equal(deal.outcome, "provider_wrong");
    assert.deepEqual(deal.timeline.map((e) => e.kind), ["opened", "result", "challenged", "closed"]);
    assert.equal(deal.timeline[2]!.mediator, t.net.mediatorAddress);
    assert.equal(deal.payment, "0");
  });

  it("serves a deal's result files, verified against the CID on chain, as inert text", async () => {
    const files = resultFilesSchema.parse((await getJson(`${indexer.url}/api/v1/deals/${dealIds.cheap[1]}/files`)).body);
    const stdout = files.files.find((f) => f.path === "stdout");
    assert.ok(stdout, JSON.stringify(files));
    assert.equal(stdout.type, "text");
    const file = await getJson(`${indexer.url}/api/v1/deals/${dealIds.cheap[1]}/files/stdout`);
    assert.match(String(file.body), /< two >/);
    assert.equal(file.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(file.headers.get("x-content-type-options"), "nosniff");
    // The cheater's CID is served by nobody: a clear 502, not a hang or a crash.
    const unavailable = await getJson(`${indexer.url}/api/v1/deals/${dealIds.cheated}/files`);
    assert.equal(unavailable.status, 502);
    assert.equal((unavailable.body as { code: string }).code, "RESULT_UNAVAILABLE");
    const escape = await getJson(`${indexer.url}/api/v1/deals/${dealIds.cheap[1]}/files/..%2F..%2Fetc%2Fpasswd`);
    assert.equal(escape.status, 404);
  });

  it("ranks providers by verified work exactly as the chain's logs do", async () => {
    const conn = t.net.connect(0);
    const expected = await chainLeaderboard(conn.publicClient, t.net.network.contracts.market);
    const board = leaderboardSchema.parse((await getJson(`${indexer.url}/api/v1/leaderboard?period=all`)).body);
    assert.deepEqual(
      board.rows.map((r) => ({ ...r, rank: undefined })),
      expected.map((r) => ({
        rank: undefined,
        provider: r.provider,
        points: r.points,
        verifiedInstructions: r.verifiedInstructions.toString(),
        jobsCompleted: r.jobsCompleted,
        activeHours: r.activeHours,
        earned: r.earned.toString(),
        lost: r.lost,
        timedOut: r.timedOut,
        challenged: r.challenged,
      })),
    );
    assert.equal(board.rows.find((r) => r.provider === WRONG_RESULT)?.lost, 1);
    const day = leaderboardSchema.parse((await getJson(`${indexer.url}/api/v1/leaderboard?period=24h`)).body);
    assert.deepEqual(day.rows, board.rows, "everything happened in the last day");
    assert.equal((await getJson(`${indexer.url}/api/v1/leaderboard?period=1y`)).status, 400);
  });

  it("gives the network's figures, each provider's record, and the modules with their runs", async () => {
    const stats = networkStatsSchema.parse((await getJson(`${indexer.url}/api/v1/stats`)).body);
    assert.equal(stats.deals.total, 5);
    assert.equal(stats.deals.byPhase.closed, 5);
    assert.equal(stats.deals.byOutcome.accepted, 4);
    assert.equal(stats.deals.byOutcome.provider_wrong, 1);
    assert.ok(BigInt(stats.gasUsed) > 0n);
    const board = leaderboardSchema.parse((await getJson(`${indexer.url}/api/v1/leaderboard`)).body);
    assert.equal(stats.paid, board.rows.reduce((sum, r) => sum + BigInt(r.earned), 0n).toString());
    assert.ok(stats.series.length >= 1);
    // Offers come from the solver: three providers online, with what they offered.
    await waitFor(async () => networkStatsSchema.parse((await getJson(`${indexer.url}/api/v1/stats`)).body).providers.online === 3);
    const provider = providerDetailSchema.parse((await getJson(`${indexer.url}/api/v1/providers/${CHEAP}`)).body);
    assert.equal(provider.record.completed, 3);
    assert.equal(provider.online, true);
    assert.equal(provider.offer?.basePrice, parseEther("0.005").toString());
    assert.ok(provider.url?.startsWith("http://127.0.0.1:"));
    assert.equal(provider.recentDeals.length, 3);
    const modules = moduleListSchema.parse((await getJson(`${indexer.url}/api/v1/modules`)).body);
    const cowsay = modules.modules.find((m) => m.names.some((n) => n.name === "cowsay" && n.source === "catalog"));
    assert.equal(cowsay?.runs, 4);
  });

  it("streams the overview and each new deal as server-sent events", async () => {
    const controller = new AbortController();
    const response = await fetch(`${indexer.url}/api/v1/live`, { signal: controller.signal });
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    const reader = response.body!.getReader();
    let buffer = "";
    const nextEvent = async (): Promise<{ event: string; data: unknown }> => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) return { event, data: JSON.parse(data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        buffer += new TextDecoder().decode(value);
      }
    };
    try {
      const snapshot = await nextEvent();
      assert.equal(snapshot.event, "snapshot");
      assert.equal(liveUpdateSchema.parse(snapshot.data).stats.deals.total, 5);
      const client = await t.client();
      const { dealId } = await client.run("cowsay:v1", { Message: "live" }, { targetProvider: HONEST });
      let seen = false;
      while (!seen) {
        const update = await nextEvent();
        assert.equal(update.event, "update");
        const parsed = liveUpdateSchema.parse(update.data);
        seen = parsed.deals.some((d) => d.dealId === dealId && d.phase === "closed");
        if (seen) assert.equal(parsed.stats.deals.total, 6);
      }
    } finally {
      controller.abort();
    }
  });

  it("serves its own metrics: deals by phase, events indexed, chain lag, errors by code", async () => {
    const metrics = await scrape(`${indexer.url}/metrics`);
    assert.equal(valueOf(metrics, "lilypad_jobs", { role: "indexer", state: "closed" }), 6);
    assert.equal(valueOf(metrics, "lilypad_jobs_total", { role: "indexer", state: "opened" }), 6);
    assert.equal(valueOf(metrics, "lilypad_jobs_total", { role: "indexer", state: "challenged" }), 1);
    assert.equal(valueOf(metrics, "lilypad_chain_reachable", { role: "indexer" }), 1);
    assert.ok(valueOf(metrics, "lilypad_chain_lag_blocks", { role: "indexer" }) <= 1);
    assert.ok(valueOf(metrics, "lilypad_errors_total", { role: "indexer", code: "DEAL_NOT_FOUND" }) >= 1, "the unknown deal asked for earlier");
    assert.equal(samplesOf(metrics, "lilypad_jobs_total", { role: "solver" }).length, 0, "only the indexer's own figures");
  });

  it("`lilypad dashboard` indexes a network from its file and serves the API, the dashboard and its metrics; Ctrl-C stops it", async () => {
    let stdout = "";
    let stderr = "";
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const home = join(t.home, "cli-home");
    const ctx: CliContext = {
      stdout: (chunk) => void (stdout += chunk),
      stderr: (chunk) => void (stderr += chunk),
      env: { LILYPAD_HOME: home },
      homedir: t.home,
      cwd: t.home,
      waitForShutdown: () => stopped,
    };
    const networkFile = join(tmpdir(), `lilypad-indexer-${process.pid}.json`);
    const exited = main(["dashboard", "--network", networkFile, "--port", "0", "--log-level", "silent"], ctx);
    try {
      let url: string | undefined;
      for (let i = 0; i < 300 && !url; i++) {
        url = /^dashboard +(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(url, `no dashboard URL in: ${stdout}${stderr}`);
      await waitFor(async () => networkStatsSchema.parse((await getJson(`${url}/api/v1/stats`)).body).deals.total >= 5);
      const page = await getJson(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(String(page.body), /<div id="app"|<script type="module"/);
      const metrics = await scrape(`${url}/metrics`);
      assert.equal(metrics.types.get("process_cpu_user_seconds_total"), "counter", "its own process's metrics, as a standalone role");
    } finally {
      stop("SIGINT");
      assert.equal(await exited, 0, stderr);
    }
    assert.match(stderr, /dashboard stopped/);
    assert.ok(existsSync(join(home, "indexer", `${t.net.network.name}-${t.net.network.chainId}.db`)), "the index is kept under $LILYPAD_HOME/indexer, by network");
  });

  it("resumes after a restart without counting anything twice, and catches up after the chain was unreachable", async () => {
    // The figures, not the block they are as of: the dev chain mines empty blocks now and then.
    const board = async (url: string) => ({ ...leaderboardSchema.parse((await getJson(`${url}/api/v1/leaderboard`)).body), asOfBlock: undefined });
    const before = await board(indexer.url);
    const home = join(t.home, "indexer2");
    const proxy = await startChainProxy(new URL(t.net.network.rpcUrl));
    const log = createLogger({ role: "indexer", level: "silent" });
    const open = () =>
      startIndexer({ network: { ...t.net.network, rpcUrl: proxy.url }, databasePath: join(home, "index.db"), blockstore: join(home, "blocks"), log, pollMs: 50 });
    let second = await open();
    try {
      await second.poll();
      assert.deepEqual(await board(second.url), before, "a fresh index of the same chain says the same");
      await second.close();
      second = await open();
      await second.poll();
      assert.deepEqual(await board(second.url), before, "reopened, nothing counted twice");
      // Cut the link, run a job, restore it: the indexer catches up by itself.
      proxy.pause();
      const client = await t.client();
      const { dealId } = await client.run("cowsay:v1", { Message: "while away" }, { targetProvider: HONEST });
      await new Promise((r) => setTimeout(r, 300));
      proxy.resume();
      await waitFor(async () => (await getJson(`${second.url}/api/v1/deals/${dealId}`)).status === 200);
      const deal = dealDetailSchema.parse((await getJson(`${second.url}/api/v1/deals/${dealId}`)).body);
      await waitFor(async () => dealDetailSchema.parse((await getJson(`${second.url}/api/v1/deals/${dealId}`)).body).phase === "closed");
      assert.equal(deal.provider, HONEST);
    } finally {
      await second.close();
      await proxy.close();
    }
    assert.equal(Outcome.Accepted, 0);
  });
});

async function waitFor(probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("timed out waiting");
}
