// Bench worker: an indexer in its own thread (as it would be its own process), following the network the main
// thread runs over JSON-RPC, as any indexer would.
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { createLogger } from "../../src/core/logger.ts";
import type { NetworkInfo } from "../../src/core/network.ts";
import { startIndexer } from "../../src/indexer/startIndexer.ts";

const { network, home } = workerData as { network: NetworkInfo; home: string };
const indexer = await startIndexer({
  network,
  databasePath: join(home, "indexer", "index.db"),
  blockstore: join(home, "indexer", "blocks"),
  log: createLogger({ role: "bench-indexer", level: process.env.LILYPAD_LOG_LEVEL ?? "silent" }),
});
parentPort?.postMessage({ type: "ready", url: indexer.url });
parentPort?.on("message", async (message: { type: string }) => {
  if (message.type !== "stop") return;
  await indexer.close();
  parentPort?.postMessage({ type: "stopped" });
});
