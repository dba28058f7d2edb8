// The job creator of bench/multiHost.ts, run on the job creator's host (its own network namespace): the SDK, as
// `lilypad run` sets it up, against the network file's chain and the solver registered there. Runs RUNS cowsay jobs,
// then RUNS etl jobs whose CSV input is ETL_MB megabytes (a different file each time, so every run uploads it to
// the solver and the provider fetches it from there), one after another, and prints one JSON object: each run's
// latency in ms, from `client.run` to the accepted, verified result. Then, with IN_FLIGHT > 0, throughput: IN_FLIGHT
// cowsay jobs kept in flight (each finished job replaced by a new one) for WARMUP_S seconds, not counted (sandbox
// children starting, lanes' first chain reads), then WINDOW_S seconds in which every job accepted is counted, with
// its latency; then no new job, and the drain is not counted either.
//
//   node bench/workers/multiHostClient.ts <network file> <work dir> <runs> <etl MB> [<in flight> <warm-up s> <window s>]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEther } from "viem";
import { connectChain } from "../../src/chain/chainConnection.ts";
import { devPrivateKey, DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { discoverSolver } from "../../src/chain/discoverSolver.ts";
import { moduleRegistryOf } from "../../src/chain/moduleRegistry.ts";
import { networkSchema } from "../../src/core/network.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const [file, workDir, runsArg, mbArg, inFlightArg, warmupArg, windowArg] = process.argv.slice(2);
if (!file || !workDir) throw new Error("usage: multiHostClient.ts <network file> <work dir> <runs> <etl MB> [<in flight> <warm-up s> <window s>]");
const runs = Number(runsArg ?? 10);
const megabytes = Number(mbArg ?? 10);
const inFlight = Number(inFlightArg ?? 0);
const warmupSeconds = Number(warmupArg ?? 15);
const windowSeconds = Number(windowArg ?? 30);

const fromFile = networkSchema.parse(JSON.parse(readFileSync(file, "utf8")));
const solverUrl = fromFile.solverUrl ?? (await discoverSolver(fromFile));
if (!solverUrl) throw new Error("no solver registered on chain answers");
const network = { ...fromFile, solverUrl };
const conn = connectChain({ network, privateKey: devPrivateKey(DevAccountIndex.jobCreator) });
const blockstore = await createBlockstore({ path: join(workDir, "blocks") });
const client = new LilypadClient({
  conn,
  solverUrl,
  blockstore,
  resolveModule: createModuleResolver({ blockstore, workDir: join(workDir, "work"), registry: moduleRegistryOf(conn), stores: [solverUrl] }),
  mediators: network.mediators ?? [],
  keepInEscrow: parseEther(inFlight > 0 ? "1000" : "100"),
  // As `lilypad run` does: the etl input is a path on this host.
  readLocalFiles: true,
});

/** A CSV of about `bytes` bytes: 16 regions, amounts with two decimals; `salt` makes each file (and its CID) differ. */
function csv(bytes: number, salt: number): string {
  const lines = [`region,amount,salt`];
  let size = lines[0]!.length + 1;
  for (let i = 0; size < bytes; i++) {
    const line = `region-${i % 16},${(i % 1000) / 100},${salt}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}

const time = async (run: () => Promise<{ outcome: number }>): Promise<number> => {
  const t0 = performance.now();
  const result = await run();
  if (result.outcome !== Outcome.Accepted) throw new Error(`a job closed with outcome ${result.outcome}`);
  return performance.now() - t0;
};

/**
 * Sustained throughput as bench/protocol.ts defines it: the rate in steady state, the ramp-up and the drain left
 * out. Here the steady state is a time window: the jobs accepted between WARMUP_S and WARMUP_S + WINDOW_S seconds
 * after the first submission, per second; their latencies (submission to accepted, verified result) beside it.
 */
async function sustained() {
  const t0 = performance.now();
  const windowStart = t0 + warmupSeconds * 1000;
  const windowEnd = windowStart + windowSeconds * 1000;
  const latencies: number[] = [];
  let submitted = 0;
  let accepted = 0;
  let failed = 0;
  let failedInWindow = 0;
  const errors = new Set<string>();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < windowEnd) {
        const n = submitted++;
        const started = performance.now();
        let ok = false;
        try {
          const result = await client.run("cowsay:v1", { Message: `sustained ${n}` });
          ok = result.outcome === Outcome.Accepted;
          if (!ok) errors.add(`outcome ${result.outcome}`);
        } catch (error) {
          errors.add(String((error as Error).message ?? error).split("\n")[0]!);
        }
        const done = performance.now();
        const inWindow = done >= windowStart && done < windowEnd;
        if (ok) accepted++;
        else failed++;
        if (inWindow && ok) latencies.push(done - started);
        if (inWindow && !ok) failedInWindow++;
      }
    }),
  );
  return {
    inFlight,
    warmupSeconds,
    windowSeconds,
    acceptedInWindow: latencies.length,
    failedInWindow,
    jobsPerSecond: latencies.length / windowSeconds,
    latenciesMs: latencies,
    submitted,
    accepted,
    failed,
    errors: [...errors].slice(0, 5),
    seconds: (performance.now() - t0) / 1000,
  };
}

try {
  // One job first, not measured: the client's socket, lanes and escrow deposit, the providers' module caches.
  await client.run("cowsay:v1", { Message: "warm-up" });
  const cowsay: number[] = [];
  for (let i = 0; i < runs; i++) cowsay.push(await time(() => client.run("cowsay:v1", { Message: `across hosts ${i}` })));
  const etl: number[] = [];
  let etlBytes = 0;
  for (let i = 0; i < runs; i++) {
    const path = join(workDir, `sales-${i}.csv`);
    const content = csv(megabytes * 1_000_000, i);
    etlBytes = content.length;
    writeFileSync(path, content);
    etl.push(await time(() => client.run("etl:v1", { Data: path, GroupBy: "region", Value: "amount" })));
  }
  const throughput = inFlight > 0 ? await sustained() : undefined;
  process.stdout.write(`${JSON.stringify({ solverUrl, cowsay, etl, etlBytes, throughput })}\n`);
} finally {
  await client.close();
  await blockstore.close?.();
}
process.exit(0);
