import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  parseEther,
  type Account,
  type Chain,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from "viem";
import { hardhatConfig } from "../../hardhat.config.ts";
import type { NetworkInfo } from "../core/network.ts";
import { lilypadTokenAbi } from "./generated/contracts.ts";
import { deployNetwork } from "./deployNetwork.ts";
import { DEV_ACCOUNT_COUNT, DevAccountIndex, devAccount } from "./devAccounts.ts";

export const DEV_CHAIN_ID = 31337;
/** Every dev account except the faucet receives this many tokens. */
export const DEV_FUNDING = parseEther("1000000");
export const DEV_TOKEN_SUPPLY = parseEther("1000000000");

export interface StartDevChainParameters {
  /** Serve JSON-RPC over HTTP and WebSocket on host:port (port 0 picks a free one). Off: in-process only. */
  listen?: { host?: string; port?: number };
  /** Write the network description (addresses, RPC URL) here for the other roles. */
  networkFile?: string;
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
  const hre = await createHardhatRuntimeEnvironment(hardhatConfig, {}, process.cwd());
  let transport: Transport;
  let rpcUrl: string;
  let closeChain: () => Promise<void>;
  if (params.listen) {
    const server = await hre.network.createServer("default", params.listen.host ?? "127.0.0.1", params.listen.port ?? 0);
    const { address, port } = await server.listen();
    rpcUrl = `http://${address}:${port}`;
    transport = http(rpcUrl, { retryCount: 0 });
    closeChain = () => server.close();
  } else {
    const connection = await hre.network.create();
    rpcUrl = "http://in-process.invalid";
    transport = custom(connection.provider, { retryCount: 0 });
    closeChain = () => connection.close();
  }
  const chain = defineChain({
    id: DEV_CHAIN_ID,
    name: "Lilypad devnet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, cacheTime: 0, pollingInterval: 50 });
  const testClient = createTestClient({ chain, transport, mode: "hardhat" });
  const wallet = (index: number) => createWalletClient({ chain, transport, account: devAccount(index) });

  const deployer = wallet(DevAccountIndex.deployer);
  const { contracts, deployBlock } = await deployNetwork({
    publicClient,
    walletClient: deployer,
    faucet: deployer.account.address,
    governance: deployer.account.address,
    supply: DEV_TOKEN_SUPPLY,
  });
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
    mkdirSync(dirname(params.networkFile), { recursive: true });
    writeFileSync(params.networkFile, `${JSON.stringify(network, null, 2)}\n`);
  }
  return { network, chain, transport, publicClient, testClient, wallet, close: closeChain };
}
