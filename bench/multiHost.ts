// Latency across hosts: every role a `lilypad` process in its own Linux network namespace (chain, solver, two
// providers, mediator; test/network/multiHost/), and the job creator, the SDK, on a sixth (bench/workers/
// multiHostClient.ts). Figures: cowsay, and etl on a CSV of ETL_MB (10) MB that is new each run (uploaded to the
// solver with the job, fetched from there by the provider, run metered), p50/p99 over RUNS (10) runs each, from
// `client.run` to the accepted, verified result. Where namespaces cannot be made (not root) the hosts are loopback
// addresses, and `mode` says so.
//
// Then sustained throughput with the two providers (SLOTS (8) slots each): the SDK keeps IN_FLIGHT (32, twice the
// slots of both) cowsay jobs in flight; after WARMUP_S (15) seconds, not counted, the jobs accepted in the next
// WINDOW_S (30) seconds are counted, as bench/protocol.ts defines sustained (steady state, ramp-up and drain left
// out): jobs/s, and the latency p50/p99 of those jobs.
//
// Run alone with `node bench/multiHost.ts` (RUNS=..., ETL_MB=..., SLOTS=..., IN_FLIGHT=..., WARMUP_S=..., WINDOW_S=...).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { networkFileOf, startRoles } from "../test/network/multiHost/startRoles.ts";
import { createTestbed, REPO, tail, type Host } from "../test/network/multiHost/testbed.ts";

export interface LatencyFigures {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
}

export interface MultiHostFigures {
  mode: "netns" | "loopback";
  fallbackReason?: string;
  hosts: Record<string, string>;
  cowsay: LatencyFigures;
  etl: LatencyFigures & { inputBytes: number };
  sustained: {
    providers: 2;
    slotsPerProvider: number;
    inFlight: number;
    warmupSeconds: number;
    windowSeconds: number;
    /** Jobs accepted in the window, per second. */
    jobsPerSecond: number;
    acceptedInWindow: number;
    failedInWindow: number;
    /** The whole throughput phase, warm-up and drain included. */
    submitted: number;
    accepted: number;
    failed: number;
    errors: string[];
    seconds: number;
    /** Latency of the jobs accepted in the window. */
    latency: LatencyFigures;
  };
}

/** The nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function latency(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return { runs: samples.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), minMs: sorted[0]!, maxMs: sorted.at(-1)!, samplesMs: samples.map(Math.round) };
}

export async function measureMultiHost(
  params: { runs?: number; etlMegabytes?: number; slots?: number; inFlight?: number; warmupSeconds?: number; windowSeconds?: number } = {},
): Promise<MultiHostFigures> {
  const runs = params.runs ?? 10;
  const megabytes = params.etlMegabytes ?? 10;
  const slots = params.slots ?? 8;
  const inFlight = params.inFlight ?? 4 * slots;
  const warmupSeconds = params.warmupSeconds ?? 15;
  const windowSeconds = params.windowSeconds ?? 30;
  const root = await mkdtemp(join(tmpdir(), "lilypad-bench-multihost-"));
  const bed = await createTestbed({ names: ["chain", "solver", "rp1", "rp2", "mediator", "jc"], root });
  const hosts = bed.hosts as Record<"chain" | "solver" | "rp1" | "rp2" | "mediator" | "jc", Host>;
  try {
    await startRoles({ bed, hosts, startMs: 120_000, providerFlags: ["--slots", String(slots)] });
    const client = await bed.node(
      hosts.jc,
      [
        join(REPO, "bench", "workers", "multiHostClient.ts"), networkFileOf(hosts.jc), hosts.jc.home, String(runs), String(megabytes),
        String(inFlight), String(warmupSeconds), String(windowSeconds),
      ],
      10 * 60_000,
    );
    if (client.code !== 0) throw new Error(`the job creator exited ${client.code}:\n${tail(client.stderr)}`);
    const out = JSON.parse(client.stdout.trim().split("\n").at(-1)!) as {
      cowsay: number[];
      etl: number[];
      etlBytes: number;
      throughput: Omit<MultiHostFigures["sustained"], "providers" | "slotsPerProvider" | "latency"> & { latenciesMs: number[] };
    };
    const { latenciesMs, ...throughput } = out.throughput;
    return {
      mode: bed.mode,
      ...(bed.fallbackReason ? { fallbackReason: bed.fallbackReason } : {}),
      hosts: Object.fromEntries(Object.values(hosts).map((h) => [h.name, h.ip])),
      cowsay: latency(out.cowsay),
      etl: { ...latency(out.etl), inputBytes: out.etlBytes },
      sustained: { providers: 2, slotsPerProvider: slots, ...throughput, latency: latency(latenciesMs) },
    };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    err.message += `\n${bed.diagnostics()}`;
    throw err;
  } finally {
    await bed.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const figures = await measureMultiHost({
    runs: env("RUNS"),
    etlMegabytes: env("ETL_MB"),
    slots: env("SLOTS"),
    inFlight: env("IN_FLIGHT"),
    warmupSeconds: env("WARMUP_S"),
    windowSeconds: env("WINDOW_S"),
  });
  console.log(JSON.stringify(figures, null, 2));
}
