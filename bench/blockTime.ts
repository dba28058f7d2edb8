// What the block time costs: cowsay through the whole protocol (the in-process network of src/devnet/startNetwork.ts,
// the SDK) on three chains side by side: the instant devnet (the default: anvil mines a transaction at once and a
// block every second while idle), and anvil mining only every 1 s and every 2 s with no instant receipts, as a public
// chain does (`blockTime`, `instantMining: false`). Every job opens a deal, posts a result and accepts it on chain,
// so every one of those waits for a block. RUNS (8) runs per setting after one warm-up job each, interleaved (one
// run on each chain in turn) so the machine's drift falls on all three alike, each after a pause of a random fraction
// of the longest block time (not counted), so a job is submitted at a random moment of its chain's block interval, as
// a user's is, rather than at whatever phase the previous runs left; p50/p99 from `client.run` to the accepted,
// verified result, and the mean time to each of the job's events (where the wait falls).
//
// Run alone with `node bench/blockTime.ts` (RUNS=...), or `node bench/run.ts blockTime`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { parseEther } from "viem";
import { createLogger } from "../src/core/logger.ts";
import { Outcome } from "../src/core/dealTypes.ts";
import { startNetwork, type EmbeddedNetwork } from "../src/devnet/startNetwork.ts";
import { LilypadClient } from "../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../src/modules/moduleResolver.ts";
import { createBlockstore } from "../src/storage/createBlockstore.ts";

export interface BlockTimeSetting {
  name: string;
  /** Seconds between blocks (startNetwork's blockTime). */
  blockTime: number;
  /** False: no instant receipts, every transaction waits for its block. */
  instantMining: boolean;
}

export interface BlockTimeFigures {
  runs: number;
  settings: (BlockTimeSetting & {
    p50Ms: number;
    p99Ms: number;
    minMs: number;
    maxMs: number;
    samplesMs: number[];
    /** Mean ms from `client.run` to each event of the job. */
    eventsMs: Record<string, number>;
  })[];
}

export const BLOCK_TIME_SETTINGS: BlockTimeSetting[] = [
  { name: "instant devnet (default)", blockTime: 1, instantMining: true },
  { name: "1 s blocks, no instant mining", blockTime: 1, instantMining: false },
  { name: "2 s blocks, no instant mining", blockTime: 2, instantMining: false },
];

/** The nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Running {
  setting: BlockTimeSetting;
  net: EmbeddedNetwork;
  client: LilypadClient;
  blockstore: Awaited<ReturnType<typeof createBlockstore>>;
  home: string;
  samples: number[];
  events: Map<string, number[]>;
}

async function start(setting: BlockTimeSetting): Promise<Running> {
  const home = await mkdtemp(join(tmpdir(), "lilypad-bench-blocktime-"));
  const net = await startNetwork({
    home,
    chainListen: { host: "127.0.0.1", port: 0 },
    blockTime: setting.blockTime,
    instantMining: setting.instantMining,
    providers: [{ slots: 2 }],
    sandboxSize: 1,
    log: createLogger({ role: "bench", level: process.env.LILYPAD_LOG_LEVEL ?? "silent" }),
  });
  const blockstore = await createBlockstore({ path: join(home, "jc", "blocks") });
  const client = new LilypadClient({
    conn: net.connect(3),
    solverUrl: net.solver.url,
    blockstore,
    resolveModule: createModuleResolver({ blockstore, workDir: join(home, "jc", "work") }),
    mediators: [net.mediatorAddress],
    keepInEscrow: parseEther("100"),
  });
  return { setting, net, client, blockstore, home, samples: [], events: new Map() };
}

async function timedRun(r: Running, message: string, record: boolean): Promise<void> {
  const t0 = performance.now();
  const seen = new Map<string, number>();
  const result = await r.client.run("cowsay:v1", { Message: message }, {
    onEvent: (e) => {
      if (!seen.has(e.type)) seen.set(e.type, performance.now() - t0);
    },
  });
  const ms = performance.now() - t0;
  if (result.outcome !== Outcome.Accepted) throw new Error(`${r.setting.name}: a job closed with outcome ${result.outcome}`);
  if (!record) return;
  r.samples.push(ms);
  for (const [type, at] of seen) r.events.set(type, [...(r.events.get(type) ?? []), at]);
}

export async function measureBlockTime(params: { runs?: number; settings?: BlockTimeSetting[] } = {}): Promise<BlockTimeFigures> {
  const runs = params.runs ?? 8;
  const settings = params.settings ?? BLOCK_TIME_SETTINGS;
  const running: Running[] = [];
  try {
    for (const setting of settings) running.push(await start(setting));
    // One job each first, not measured: the client's escrow deposit and lanes, the provider's sandbox and module.
    for (const r of running) await timedRun(r, "warm-up", false);
    const longestBlockMs = Math.max(...settings.map((s) => s.blockTime)) * 1000;
    for (let i = 0; i < runs; i++) {
      for (const r of running) {
        await sleep(Math.random() * longestBlockMs);
        await timedRun(r, `block time ${i}`, true);
      }
      process.stderr.write(`blockTime: ${i + 1}/${runs} rounds\n`);
    }
    return {
      runs,
      settings: running.map((r) => {
        const sorted = [...r.samples].sort((a, b) => a - b);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        return {
          ...r.setting,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          minMs: sorted[0]!,
          maxMs: sorted.at(-1)!,
          samplesMs: r.samples.map(Math.round),
          eventsMs: Object.fromEntries([...r.events].map(([type, at]) => [type, Math.round(mean(at))])),
        };
      }),
    };
  } finally {
    for (const r of running) {
      await r.client.close().catch(() => {});
      await r.blockstore.close?.();
      await r.net.close().catch(() => {});
      await rm(r.home, { recursive: true, force: true });
    }
  }
}

if (import.meta.main) {
  const figures = await measureBlockTime({ runs: Number(process.env.RUNS ?? 8) });
  console.log(JSON.stringify(figures, null, 2));
}
