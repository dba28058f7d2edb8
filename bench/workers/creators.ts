// Bench worker: job creators in their own thread, keeping `lanes` jobs in flight each until `jobs` are done.
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { parseEther } from "viem";
import { connectChain } from "../../src/chain/chainConnection.ts";
import { devPrivateKey } from "../../src/chain/devAccounts.ts";
import type { NetworkInfo } from "../../src/core/network.ts";
import { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const { network, accounts, home, lanes, jobs, window } = workerData as {
  network: NetworkInfo;
  accounts: number[];
  home: string;
  lanes: number;
  jobs: number;
  /** The completions between which the sustained rate is measured (the ramp-up and the drain left out). */
  window: { from: number; to: number };
};
const clients = await Promise.all(
  accounts.map(async (index) => {
    const blockstore = await createBlockstore({ path: join(home, `jc-${index}`, "blocks") });
    return new LilypadClient({
      conn: connectChain({ network, privateKey: devPrivateKey(index) }),
      solverUrl: network.solverUrl ?? "",
      blockstore,
      resolveModule: createModuleResolver({ blockstore, workDir: join(home, `jc-${index}`, "work") }),
      mediators: network.mediators ?? [],
      keepInEscrow: parseEther("10000"),
      lanes,
    });
  }),
);
await Promise.all(clients.map((c, i) => c.run("cowsay:v1", { Message: `warm-up ${i}` })));
/** With BENCH_PHASES=1, the mean time each job spent before each of its events (where a run's time goes). */
const phases = new Map<string, number>();
let next = 0;
let done = 0;
const started = performance.now();
/** When each job completed, in completion order. */
const completedAt: number[] = [];
await Promise.all(
  clients.flatMap((client) =>
    Array.from({ length: lanes }, async () => {
      while (next < jobs) {
        const n = next++;
        const t0 = performance.now();
        let last = t0;
        await client.run("cowsay:v1", { Message: `job ${n}` }, {
          onEvent: (e) => {
            if (!process.env.BENCH_PHASES) return;
            const now = performance.now();
            phases.set(e.type, (phases.get(e.type) ?? 0) + (now - last));
            last = now;
          },
        });
        completedAt.push(performance.now());
        if (++done % 100 === 0) process.stderr.write(`throughput: ${done}/${jobs} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      }
    }),
  ),
);
const seconds = (performance.now() - started) / 1000;
const windowSeconds = ((completedAt[window.to - 1] ?? NaN) - (completedAt[window.from - 1] ?? NaN)) / 1000;
if (process.env.BENCH_PHASES) for (const [k, v] of phases) process.stderr.write(`${k}: ${(v / jobs).toFixed(1)} ms\n`);
for (const c of clients) await c.close();
parentPort?.postMessage({ type: "done", seconds, windowSeconds });
