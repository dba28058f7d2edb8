// The job creator of bench/multiHost.ts, run on the job creator's host (its own network namespace): the SDK, as
// `lilypad run` sets it up, against the network file's chain and the solver registered there. Runs RUNS cowsay jobs,
// then RUNS etl jobs whose CSV input is ETL_MB megabytes (a different file each time, so every run uploads it to
// the solver and the provider fetches it from there), one after another, and prints one JSON object: each run's
// latency in ms, from `client.run` to the accepted, verified result.
//
//   node bench/workers/multiHostClient.ts <network file> <work dir> <runs> <etl MB>
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

const [file, workDir, runsArg, mbArg] = process.argv.slice(2);
if (!file || !workDir) throw new Error("usage: multiHostClient.ts <network file> <work dir> <runs> <etl MB>");
const runs = Number(runsArg ?? 10);
const megabytes = Number(mbArg ?? 10);

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
  keepInEscrow: parseEther("100"),
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
  process.stdout.write(`${JSON.stringify({ solverUrl, cowsay, etl, etlBytes })}\n`);
} finally {
  await client.close();
  await blockstore.close?.();
}
process.exit(0);
