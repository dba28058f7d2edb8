// The indexer and the dashboard with a long history: 100,000 deals indexed (bench/indexerHistory.ts), then
// - API: every public route asked in turn, round after round, 4 at a time; p50 and p99 per route and overall;
// - dashboard first view: a fresh browser context opens the dashboard and waits until the overview shows the
//   network's figures; median and p99 of 10 cold loads. Bar: < 1 s.
// The indexer's lag while it follows the throughput run is measured in bench/protocol.ts.
//
// Run alone with `node bench/indexer.ts`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../src/core/logger.ts";
import { startDevChain } from "../src/devnet/startDevChain.ts";
import { IndexerStore } from "../src/indexer/indexerStore.ts";
import { startIndexer } from "../src/indexer/startIndexer.ts";
import { CHROMIUM_MISSING, launchBrowser } from "../test/browser.ts";
import { fillIndex } from "./indexerHistory.ts";

export interface IndexerReadFigures {
  deals: number;
  fillSeconds: number;
  api: { route: string; requests: number; p50Ms: number; p99Ms: number }[];
  apiP99Ms: number;
  firstView: { loads: number; medianMs: number; p99Ms: number } | { skipped: string };
}

/** What the overview shows once its figures arrived (the dashboard sets it; the browser tests wait for it too). */
export const OVERVIEW_READY = '[data-testid="stat-deals-total"]';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export async function measureIndexerReads(params: { deals?: number; rounds?: number; loads?: number } = {}): Promise<IndexerReadFigures> {
  const deals = params.deals ?? 100_000;
  const home = await mkdtemp(join(tmpdir(), "lilypad-bench-indexer-"));
  const dev = await startDevChain({ listen: { host: "127.0.0.1", port: 0 } });
  try {
    const databasePath = join(home, "index.db");
    const store = new IndexerStore(databasePath);
    store.bindNetwork(dev.network.chainId, dev.network.contracts.market);
    const started = performance.now();
    fillIndex(store, { deals });
    const fillSeconds = (performance.now() - started) / 1000;
    store.close();
    process.stderr.write(`indexer: ${deals.toLocaleString("en-US")} deals written in ${fillSeconds.toFixed(1)} s\n`);

    const indexer = await startIndexer({
      network: dev.network,
      transport: dev.transport,
      databasePath,
      blockstore: join(home, "blocks"),
      log: createLogger({ role: "bench", level: "silent" }),
    });
    try {
      const api = await measureApi(indexer.url, params.rounds ?? 100);
      const all = api.flatMap((r) => r.samples).sort((a, b) => a - b);
      const firstView = await measureFirstView(indexer.url, params.loads ?? 10);
      return {
        deals,
        fillSeconds,
        api: api.map(({ samples, ...r }) => r),
        apiP99Ms: percentile(all, 99),
        firstView,
      };
    } finally {
      await indexer.close();
    }
  } finally {
    await dev.close();
    await rm(home, { recursive: true, force: true });
  }
}

async function measureApi(url: string, rounds: number) {
  const json = async (path: string) => (await fetch(`${url}${path}`)).json() as Promise<Record<string, unknown>>;
  const page = (await json("/api/v1/deals?limit=50")) as { deals: { dealId: string; provider: string }[]; next: string };
  const someDeal = page.deals[10]!;
  const routes = [
    "/api/v1/stats",
    "/api/v1/deals?limit=50",
    `/api/v1/deals?limit=50&before=${page.next}`,
    "/api/v1/deals?phase=challenged&limit=50",
    `/api/v1/deals?q=${someDeal.provider}&limit=50`,
    "/api/v1/deals?q=cowsay&limit=50",
    `/api/v1/deals/${someDeal.dealId}`,
    "/api/v1/leaderboard?period=all",
    "/api/v1/leaderboard?period=7d",
    "/api/v1/providers",
    `/api/v1/providers/${someDeal.provider}`,
    "/api/v1/modules",
  ];
  const samples = new Map<string, number[]>(routes.map((r) => [r, []]));
  for (const route of routes) await fetch(`${url}${route}`).then((r) => r.arrayBuffer());
  for (let round = 0; round < rounds; round++) {
    // Four at a time, in a different order each round.
    const order = routes.map((r, i) => routes[(i + round) % routes.length]!);
    for (let i = 0; i < order.length; i += 4) {
      await Promise.all(
        order.slice(i, i + 4).map(async (route) => {
          const t0 = performance.now();
          const response = await fetch(`${url}${route}`);
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`${route}: HTTP ${response.status}`);
          samples.get(route)!.push(performance.now() - t0);
        }),
      );
    }
  }
  return routes.map((route) => {
    const sorted = [...samples.get(route)!].sort((a, b) => a - b);
    return { route, requests: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), samples: sorted };
  });
}

async function measureFirstView(url: string, loads: number): Promise<IndexerReadFigures["firstView"]> {
  if (CHROMIUM_MISSING) return { skipped: CHROMIUM_MISSING };
  const browser = await launchBrowser();
  try {
    const times: number[] = [];
    // One warm-up load (the browser's own start), then cold contexts: no cache, no cookies.
    for (let i = 0; i <= loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(url);
      await page.waitForSelector(OVERVIEW_READY, { timeout: 30_000 });
      if (i > 0) times.push(performance.now() - t0);
      await context.close();
    }
    const sorted = times.sort((a, b) => a - b);
    return { loads, medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await measureIndexerReads({ deals: Number(process.env.DEALS ?? 100_000) }), null, 2));
}
