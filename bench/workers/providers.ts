// Bench worker: resource providers in their own thread (as they would be their own processes), on the network
// the main thread runs.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { connectChain } from "../../src/chain/chainConnection.ts";
import { devPrivateKey } from "../../src/chain/devAccounts.ts";
import { createLogger } from "../../src/core/logger.ts";
import type { NetworkInfo } from "../../src/core/network.ts";
import { DEFAULT_PROVIDER_PRICING } from "../../src/devnet/startNetwork.ts";
import { ResourceProvider } from "../../src/resource-provider/resourceProvider.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const { network, accounts, home, slots } = workerData as { network: NetworkInfo; accounts: number[]; home: string; slots: number };
const log = createLogger({ role: "bench-provider", level: process.env.LILYPAD_LOG_LEVEL ?? "silent" });
const running: { rp: ResourceProvider; pool: SandboxPool }[] = [];
for (const index of accounts) {
  const workRoot = join(home, `provider-${index}`, "work");
  await mkdir(workRoot, { recursive: true });
  const pool = new SandboxPool({ workRoot, size: 1 });
  const rp = new ResourceProvider({
    conn: connectChain({ network, privateKey: devPrivateKey(index) }),
    solverUrl: network.solverUrl ?? "",
    log,
    blockstore: await createBlockstore({ path: join(home, `provider-${index}`, "blocks") }),
    pool,
    workRoot,
    pricing: DEFAULT_PROVIDER_PRICING,
    mediators: network.mediators ?? [],
    slots,
    resources: { cpu: 64, ramMiB: 65_536, gpu: 0, diskMiB: 100_000 },
    modules: "any",
  });
  await rp.start();
  running.push({ rp, pool });
}
parentPort?.postMessage({ type: "ready" });
parentPort?.on("message", async (message: { type: string }) => {
  if (message.type !== "stop") return;
  for (const { rp, pool } of running) {
    await rp.stop();
    await pool.close();
  }
  parentPort?.postMessage({ type: "stopped" });
});
