// Latency across hosts: every role a `lilypad` process in its own Linux network namespace (chain, solver, two
// providers, mediator; test/network/multiHost/), and the job creator, the SDK, on a sixth (bench/workers/
// multiHostClient.ts). Figures: cowsay, and etl on a CSV of ETL_MB (10) MB that is new each run (uploaded to the
// solver with the job, fetched from there by the provider, run metered), p50/p99 over RUNS (10) runs each, from
// `client.run` to the accepted, verified result. Where namespaces cannot be made (not root) the hosts are loopback
// addresses, and `mode` says so.
//
// Run alone with `node bench/multiHost.ts` (RUNS=..., ETL_MB=...).
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
}

/** The nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function latency(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return { runs: samples.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), minMs: sorted[0]!, maxMs: sorted.at(-1)!, samplesMs: samples.map(Math.round) };
}

export async function measureMultiHost(params: { runs?: number; etlMegabytes?: number } = {}): Promise<MultiHostFigures> {
  const runs = params.runs ?? 10;
  const megabytes = params.etlMegabytes ?? 10;
  const root = await mkdtemp(join(tmpdir(), "lilypad-bench-multihost-"));
  const bed = await createTestbed({ names: ["chain", "solver", "rp1", "rp2", "mediator", "jc"], root });
  const hosts = bed.hosts as Record<"chain" | "solver" | "rp1" | "rp2" | "mediator" | "jc", Host>;
  try {
    await startRoles({ bed, hosts, startMs: 120_000 });
    const client = await bed.node(
      hosts.jc,
      [join(REPO, "bench", "workers", "multiHostClient.ts"), networkFileOf(hosts.jc), hosts.jc.home, String(runs), String(megabytes)],
      10 * 60_000,
    );
    if (client.code !== 0) throw new Error(`the job creator exited ${client.code}:\n${tail(client.stderr)}`);
    const out = JSON.parse(client.stdout.trim().split("\n").at(-1)!) as { cowsay: number[]; etl: number[]; etlBytes: number };
    return {
      mode: bed.mode,
      ...(bed.fallbackReason ? { fallbackReason: bed.fallbackReason } : {}),
      hosts: Object.fromEntries(Object.values(hosts).map((h) => [h.name, h.ip])),
      cowsay: latency(out.cowsay),
      etl: { ...latency(out.etl), inputBytes: out.etlBytes },
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
  const figures = await measureMultiHost({ runs: Number(process.env.RUNS ?? 10), etlMegabytes: Number(process.env.ETL_MB ?? 10) });
  console.log(JSON.stringify(figures, null, 2));
}
