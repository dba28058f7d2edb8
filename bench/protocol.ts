// The whole protocol, timed: a running devnet (chain over JSON-RPC on loopback, solver, resource providers,
// mediator), jobs submitted through the SDK. Figures:
// - latency: cowsay from `client.run` to the accepted, verified result, median and p99 over 100 runs one after
//   another. Bar: median <= 300 ms, p99 <= 1 s.
// - throughput: jobs per second through the whole protocol (offer, match, deal on chain, metered run, result on
//   chain, download and verification, accept on chain) with 4 resource providers. Bar: >= 200. Sustained means
//   steady state: the rate between the 500th and the (jobs - 500)th completion, leaving out the ramp-up (sandbox
//   children starting, code compiling, every lane's first chain read) and the drain; the rate over the whole run
//   is reported beside it.
//
// Run alone with `node bench/protocol.ts` (RUNS= latency runs, JOBS= throughput jobs; PHASES=throughput, or any
// comma-separated subset of latency,throughput,indexed, runs only those, for profiling one).
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { parseEther } from "viem";
import { createLogger } from "../src/core/logger.ts";
import { startNetwork, type EmbeddedNetwork } from "../src/devnet/startNetwork.ts";
import { LilypadClient } from "../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../src/modules/moduleResolver.ts";
import { createBlockstore } from "../src/storage/createBlockstore.ts";

export interface ProtocolFigures {
  latency: { runs: number; medianMs: number; p99Ms: number; minMs: number; maxMs: number };
  throughput: {
    jobs: number;
    providers: number;
    concurrency: number;
    /** Steady state: completions window.from to window.to. */
    window: { from: number; to: number; seconds: number };
    sustainedJobsPerSecond: number;
    /** The whole run, ramp-up and drain included. */
    seconds: number;
    jobsPerSecond: number;
  };
  /** The same run again with an indexer following the chain in its own thread. */
  indexed: {
    sustainedJobsPerSecond: number;
    /** Blocks between the chain's head and the newest indexed block, sampled every 100 ms while jobs ran. */
    lagBlocks: { samples: number; p50: number; p99: number; max: number };
    /** The same lag in time: how long the indexer took to reach the head it was behind, sampled the same way. */
    lagMs: { p50: number; p99: number; max: number };
    /** After the last job closed, until the indexer had every deal closed. */
    catchUpMs: number;
  };
}

async function clientFor(net: EmbeddedNetwork, home: string, index: number, lanes: number): Promise<LilypadClient> {
  const blockstore = await createBlockstore({ path: join(home, `jc-${index}`, "blocks") });
  return new LilypadClient({
    conn: net.connect(index),
    solverUrl: net.solver.url,
    blockstore,
    resolveModule: createModuleResolver({ blockstore, workDir: join(home, `jc-${index}`, "work") }),
    mediators: [net.mediatorAddress],
    keepInEscrow: parseEther("10000"),
    lanes,
  });
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function withNetwork<T>(providers: number, slots: number, fn: (net: EmbeddedNetwork, home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), "lilypad-bench-"));
  const net = await startNetwork({
    home,
    chainListen: { host: "127.0.0.1", port: 0 },
    providers: Array.from({ length: providers }, () => ({ slots })),
    sandboxSize: 1,
    log: createLogger({ role: "bench", level: process.env.LILYPAD_LOG_LEVEL ?? "silent" }),
  });
  try {
    return await fn(net, home);
  } finally {
    await net.close();
    await rm(home, { recursive: true, force: true });
  }
}

export async function measureProtocol(params: { runs?: number; jobs?: number } = {}): Promise<ProtocolFigures> {
  const latency = await measureLatency(params.runs ?? 100);
  const throughput = await measureThroughput(params.jobs ?? 3000);
  const indexed = await measureIndexed(params.jobs ?? 3000);
  return { latency, throughput, indexed };
}

/** cowsay, one run after another through the SDK: the latency figures. */
export async function measureLatency(runs: number): Promise<ProtocolFigures["latency"]> {
  return withNetwork(2, 4, async (net, home) => {
    const client = await clientFor(net, home, 3, 4);
    for (let i = 0; i < 3; i++) await client.run("cowsay:v1", { Message: `warm-up ${i}` });
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await client.run("cowsay:v1", { Message: `latency ${i}` });
      times.push(performance.now() - started);
      if ((i + 1) % 25 === 0) progress(`latency: ${i + 1}/${runs} runs`);
    }
    await client.close();
    const sorted = [...times].sort((a, b) => a - b);
    return { runs, medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99), minMs: sorted[0] ?? NaN, maxMs: sorted.at(-1) ?? NaN };
  });
}

/**
 * Roles in separate threads, as they are separate processes in a real network: the chain, solver and mediator
 * here; the resource providers in one worker; the job creators in another. `onRunning` is called once jobs flow.
 */
async function runThroughput(net: EmbeddedNetwork, home: string, jobs: number, onRunning?: () => void): Promise<ProtocolFigures["throughput"]> {
  const margin = Math.min(500, Math.floor(jobs / 6));
  const window = { from: margin, to: jobs - margin };
  const providers = (process.env.BENCH_PROVIDERS ?? "4,5,6,7").split(",").map(Number);
  const creators = (process.env.BENCH_CREATORS ?? "3,11,12,13").split(",").map(Number);
  const lanesPerCreator = Number(process.env.BENCH_LANES ?? 32);
  {
    const providerWorker = new Worker(new URL("./workers/providers.ts", import.meta.url), {
      workerData: { network: net.network, accounts: providers, home, slots: 64 },
    });
    await once(providerWorker, "message");
    const creatorWorker = new Worker(new URL("./workers/creators.ts", import.meta.url), {
      workerData: { network: net.network, accounts: creators, home, lanes: lanesPerCreator, jobs, window },
    });
    onRunning?.();
    const [done] = (await once(creatorWorker, "message")) as [{ seconds: number; windowSeconds: number }];
    providerWorker.postMessage({ type: "stop" });
    await once(providerWorker, "message");
    await providerWorker.terminate();
    return {
      jobs,
      providers: providers.length,
      concurrency: creators.length * lanesPerCreator,
      window: { ...window, seconds: done.windowSeconds },
      sustainedJobsPerSecond: (window.to - window.from) / done.windowSeconds,
      seconds: done.seconds,
      jobsPerSecond: jobs / done.seconds,
    };
  }
}

/** The throughput figures: `jobs` through 4 providers from 4 creators (BENCH_PROVIDERS, BENCH_CREATORS and BENCH_LANES change that). */
export function measureThroughput(jobs: number): Promise<ProtocolFigures["throughput"]> {
  return withNetwork(0, 0, (net, home) => runThroughput(net, home, jobs));
}

/** The same run with an indexer following the chain in its own thread: its lag, and the rate beside it. */
export function measureIndexed(jobs: number): Promise<ProtocolFigures["indexed"]> {
  return withNetwork(0, 0, async (net, home) => {
    const indexerWorker = new Worker(new URL("./workers/indexer.ts", import.meta.url), { workerData: { network: net.network, home } });
    const [{ url }] = (await once(indexerWorker, "message")) as [{ url: string }];
    const stats = async () => (await (await fetch(`${url}/api/v1/stats`)).json()) as { lagBlocks: number; indexedBlock: number; deals: { byPhase: { closed: number } } };
    const chain = net.connect(0).publicClient;
    const lagBlocks: number[] = [];
    const lagMs: number[] = [];
    // Each sample: how far behind the head the index is, and (once it gets there) how long that took.
    const behind: { head: number; since: number }[] = [];
    let sampling = false;
    const sample = async () => {
      while (sampling) {
        const now = performance.now();
        const [s, head] = await Promise.all([stats(), chain.getBlockNumber()]);
        lagBlocks.push(Math.max(0, Number(head) - s.indexedBlock));
        behind.push({ head: Number(head), since: now });
        while (behind.length > 0 && behind[0]!.head <= s.indexedBlock) lagMs.push(performance.now() - behind.shift()!.since);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let sampler: Promise<void> | undefined;
    const run = await runThroughput(net, home, jobs, () => {
      sampling = true;
      sampler = sample();
    });
    sampling = false;
    await sampler;
    const closedAt = performance.now();
    while ((await stats()).deals.byPhase.closed < jobs) await new Promise((r) => setTimeout(r, 20));
    const catchUpMs = performance.now() - closedAt;
    indexerWorker.postMessage({ type: "stop" });
    await once(indexerWorker, "message");
    await indexerWorker.terminate();
    const sortedBlocks = [...lagBlocks].sort((a, b) => a - b);
    const sortedMs = [...lagMs].sort((a, b) => a - b);
    return {
      sustainedJobsPerSecond: run.sustainedJobsPerSecond,
      lagBlocks: { samples: sortedBlocks.length, p50: percentile(sortedBlocks, 50), p99: percentile(sortedBlocks, 99), max: sortedBlocks.at(-1) ?? NaN },
      lagMs: { p50: percentile(sortedMs, 50), p99: percentile(sortedMs, 99), max: sortedMs.at(-1) ?? NaN },
      catchUpMs,
    };
  });
}

if (import.meta.main) {
  const runs = Number(process.env.RUNS ?? 100);
  const jobs = Number(process.env.JOBS ?? 3000);
  const phases = new Set((process.env.PHASES ?? "latency,throughput,indexed").split(","));
  const figures: Partial<ProtocolFigures> = {};
  if (phases.has("latency")) figures.latency = await measureLatency(runs);
  if (phases.has("throughput")) figures.throughput = await measureThroughput(jobs);
  if (phases.has("indexed")) figures.indexed = await measureIndexed(jobs);
  console.log(JSON.stringify(figures, null, 2));
}
