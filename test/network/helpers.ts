// Shared setup for the network tests: a whole network in this process (real chain in anvil, real servers on loopback) and a job
// creator client on it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { bytesToHex, parseEther, type Hex } from "viem";
import { DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { createLogger } from "../../src/core/logger.ts";
import { startNetwork, type EmbeddedNetwork, type StartNetworkParameters } from "../../src/devnet/startNetwork.ts";
import { LilypadClient, type LilypadClientParameters } from "../../src/job-creator/lilypadClient.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

export interface TestNetwork {
  net: EmbeddedNetwork;
  home: string;
  /** A job creator client for dev account `index` (default: the job creator's). */
  client(index?: number, overrides?: Partial<LilypadClientParameters>): Promise<LilypadClient>;
  close(): Promise<void>;
}

export async function startTestNetwork(params: Omit<StartNetworkParameters, "home"> = {}): Promise<TestNetwork> {
  const home = await mkdtemp(join(tmpdir(), "lilypad-net-"));
  const net = await startNetwork({ home, log: createLogger({ role: "test", level: process.env.LILYPAD_TEST_LOG ?? "silent" }), ...params });
  const clients: LilypadClient[] = [];
  return {
    net,
    home,
    client: async (index = DevAccountIndex.jobCreator, overrides = {}) => {
      const blockstore = await createBlockstore({ path: join(home, `jc-${index}`, "blocks") });
      const client = new LilypadClient({
        conn: net.connect(index),
        solverUrl: net.solver.url,
        blockstore,
        resolveModule: createModuleResolver({ blockstore, workDir: join(home, `jc-${index}`, "work") }),
        mediators: [net.mediatorAddress],
        keepInEscrow: parseEther("100"),
        ...overrides,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const c of clients) await c.close();
      await net.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The on-chain module id of a shipped module, e.g. "cowsay:v1". */
export function shippedModuleId(name: string): Hex {
  const cid = readShippedCatalog()[name];
  if (!cid) throw new Error(`no shipped module ${name}`);
  return bytesToHex(CID.parse(cid).multihash.digest);
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** An HTTP server that answers 404 to everything and records what was asked of it (a URL nobody should fetch). */
export interface Decoy {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startDecoy(): Promise<Decoy> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
