import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  defineChain,
  parseEther,
  type Account,
  type Chain,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from "viem";
import { hardhatConfig } from "../../hardhat.config.ts";
import { ListenError, PortInUseError } from "../core/errors.ts";
import type { NetworkInfo } from "../core/network.ts";
import { lilypadTokenAbi } from "./generated/contracts.ts";
import { deployNetwork } from "./deployNetwork.ts";
import { serveJsonRpc } from "./jsonRpcServer.ts";
import { DEV_ACCOUNT_COUNT, DevAccountIndex, devAccount } from "./devAccounts.ts";

export const DEV_CHAIN_ID = 31337;
/** Every dev account except the faucet receives this many tokens. */
export const DEV_FUNDING = parseEther("1000000");
export const DEV_TOKEN_SUPPLY = parseEther("1000000000");

/** The repository root: Hardhat resolves its config paths here, whatever the caller's working directory. */
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type DevChainStep = "starting" | "deploying" | "funding" | "writing-network-file";
export interface DevChainProgress {
  step: DevChainStep;
  /** A short human line, e.g. "deploying contracts". */
  message: string;
}

export interface StartDevChainParameters {
  /** Serve JSON-RPC over HTTP and WebSocket on host:port (port 0 picks a free one). Off: in-process only. */
  listen?: { host?: string; port?: number };
  /** Write the network description (addresses, RPC URL) here for the other roles. */
  networkFile?: string;
  /** Called as each startup step begins. */
  onProgress?: (progress: DevChainProgress) => void;
}

export interface DevChain {
  network: NetworkInfo;
  chain: Chain;
  transport: Transport;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<"hardhat", Transport, Chain>;
  /** A wallet client for dev account `index` (0 = deployer and faucet). */
  wallet(index: number): WalletClient<Transport, Chain, Account>;
  close(): Promise<void>;
}

/**
 * Starts Hardhat's simulated network in this process, deploys the Lilypad contracts, funds the dev accounts
 * with tokens, and optionally serves JSON-RPC and writes the network file. Tests call it with no listener.
 */
export async function startDevChain(params: StartDevChainParameters = {}): Promise<DevChain> {
  const progress = params.onProgress ?? (() => {});
  progress({ step: "starting", message: "starting chain" });
  if (params.listen) await assertCanListen(params.listen.host ?? "127.0.0.1", params.listen.port ?? 0);
  const hre = await createHardhatRuntimeEnvironment(hardhatConfig, {}, PROJECT_ROOT);
  const connection = await hre.network.create();
  // Roles in this process call the chain directly; other processes reach the same chain over JSON-RPC.
  const transport: Transport = custom(connection.provider, { retryCount: 0 });
  let rpcUrl = "http://in-process.invalid";
  let closeServer = async () => {};
  if (params.listen) {
    const server = await serveJsonRpc({ provider: connection.provider, host: params.listen.host ?? "127.0.0.1", port: params.listen.port ?? 0 });
    rpcUrl = server.url;
    closeServer = () => server.close();
  }
  const closeChain = async () => {
    await closeServer();
    await connection.close();
  };
  const chain = defineChain({
    id: DEV_CHAIN_ID,
    name: "Lilypad devnet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, cacheTime: 0, pollingInterval: 50 });
  const testClient = createTestClient({ chain, transport, mode: "hardhat" });
  const wallet = (index: number) => createWalletClient({ chain, transport, account: devAccount(index) });

  progress({ step: "deploying", message: "deploying contracts" });
  const deployer = wallet(DevAccountIndex.deployer);
  const { contracts, deployBlock } = await deployNetwork({
    publicClient,
    walletClient: deployer,
    faucet: deployer.account.address,
    governance: deployer.account.address,
    supply: DEV_TOKEN_SUPPLY,
  });
  progress({ step: "funding", message: "funding dev accounts" });
  let last: `0x${string}` | undefined;
  for (let i = 1; i < DEV_ACCOUNT_COUNT; i++) {
    last = await deployer.writeContract({
      address: contracts.token,
      abi: lilypadTokenAbi,
      functionName: "transfer",
      args: [devAccount(i).address, DEV_FUNDING],
    });
  }
  if (last) await publicClient.waitForTransactionReceipt({ hash: last });

  const network: NetworkInfo = { name: "devnet", chainId: DEV_CHAIN_ID, rpcUrl, deployBlock, contracts };
  if (params.networkFile) {
    progress({ step: "writing-network-file", message: `writing network file ${params.networkFile}` });
    mkdirSync(dirname(params.networkFile), { recursive: true });
    writeFileSync(params.networkFile, `${JSON.stringify(network, null, 2)}\n`);
  }
  return { network, chain, transport, publicClient, testClient, wallet, close: closeChain };
}

/**
 * Binds host:port briefly and releases it. Hardhat's JSON-RPC server never rejects its listen() promise: a taken
 * port surfaces as an uncaught 'error' event instead. Checking first turns that into a typed error (a process that
 * grabs the port in the instant between the check and the real bind still crashes the old way).
 */
async function assertCanListen(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new PortInUseError({ host, port, cause: error }));
      else if (error.code === "EACCES") reject(new ListenError({ host, port, reason: "permission denied", cause: error }));
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") {
        reject(new ListenError({ host, port, reason: "no such local address", cause: error }));
      } else reject(new ListenError({ host, port, reason: error.code ?? error.message, cause: error }));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
