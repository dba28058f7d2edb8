import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  formatEther,
  parseEther,
  toHex,
  type Account,
  type Chain,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from "viem";
import { deployNetwork } from "../chain/deployNetwork.ts";
import { DEV_ACCOUNT_COUNT, DEV_MNEMONIC, DevAccountIndex, devAccount } from "../chain/devAccounts.ts";
import { lilypadTokenAbi } from "../chain/generated/contracts.ts";
import { jsonRpcHttpTransport } from "../chain/jsonRpcHttpTransport.ts";
import type { NetworkInfo } from "../core/network.ts";
import { spawnAnvil } from "./spawnAnvil.ts";

export const DEV_CHAIN_ID = 31337;
/** Every dev account except the faucet receives this many tokens. */
export const DEV_FUNDING = parseEther("1000000");
export const DEV_TOKEN_SUPPLY = parseEther("1000000000");
/** Every dev account starts with this much ether (what Hardhat's simulated network gave). */
export const DEV_ETHER = parseEther("10000");
/**
 * Seconds between the empty blocks an idle dev chain mines. Deadlines are judged by the latest block's
 * timestamp, and a chain that mines only when a transaction comes would stop its clock while idle: a silent
 * provider's result deadline would never pass. anvil's mixed mining keeps mining each transaction at once and
 * also mines a block every this many seconds, so the chain's clock keeps to the wall clock as a real chain's does.
 */
export const DEV_BLOCK_TIME = 1;

/**
 * anvil's chain: the dev accounts of the well-known mnemonic, and otherwise what Hardhat's simulated network was,
 * so that gas and limits stay as they were (Osaka, a 60M block gas limit, EIP-7825's per-transaction cap). anvil
 * automines a block per transaction and gives blocks mined in the same second the same timestamp, so a busy
 * devnet's clock keeps to the wall clock and offers signed with real time do not expire early. The block time
 * (DEV_BLOCK_TIME) is added in startDevChain.
 */
const ANVIL_CHAIN_ARGS = [
  "--chain-id", String(DEV_CHAIN_ID),
  "--mnemonic", DEV_MNEMONIC,
  "--accounts", String(DEV_ACCOUNT_COUNT),
  "--balance", formatEther(DEV_ETHER),
  "--hardfork", "osaka",
  "--gas-limit", "60000000",
  "--enable-tx-gas-limit",
  "--disable-default-create2-deployer",
  "--disable-console-log",
];

export type DevChainStep = "starting" | "deploying" | "funding" | "writing-network-file";
export interface DevChainProgress {
  step: DevChainStep;
  /** A short human line, e.g. "deploying contracts". */
  message: string;
}

export interface StartDevChainParameters {
  /** Where anvil serves JSON-RPC over HTTP (default: 127.0.0.1 and a free port; port 0 picks a free one). */
  listen?: { host?: string; port?: number };
  /** Write the network description (addresses, RPC URL) here for the other roles. */
  networkFile?: string;
  /** Called as each startup step begins. */
  onProgress?: (progress: DevChainProgress) => void;
  /**
   * Seconds between blocks when no transaction comes (default DEV_BLOCK_TIME); 0 mines only on transactions,
   * and the chain's clock then stops while it is idle.
   */
  blockTime?: number;
  /**
   * Whether a transaction is mined at once (default true). False makes the chain behave like a public one: every
   * transaction waits for the next block of the `blockTime` interval, so nothing gets an instant receipt.
   */
  instantMining?: boolean;
}

export interface DevChain {
  network: NetworkInfo;
  chain: Chain;
  transport: Transport;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<"anvil", Transport, Chain>;
  /**
   * A wallet client for dev account `index` (0 = deployer and faucet). It sends with 10% more gas than estimated:
   * anvil estimates with the latest block's prevrandao and draws a new one when it mines, so a call whose gas
   * depends on it (the market's mediator draw) can need a little more than the estimate.
   */
  wallet(index: number): WalletClient<Transport, Chain, Account>;
  close(): Promise<void>;
}

/**
 * Starts anvil (Foundry's dev node) as a child process, deploys the Lilypad contracts, funds the dev accounts
 * with tokens, and optionally writes the network file. close() stops anvil; so does this process exiting.
 */
export async function startDevChain(params: StartDevChainParameters = {}): Promise<DevChain> {
  const progress = params.onProgress ?? (() => {});
  progress({ step: "starting", message: "starting chain" });
  const blockTime = params.blockTime ?? DEV_BLOCK_TIME;
  if (!Number.isInteger(blockTime) || blockTime < 0) throw new RangeError(`blockTime must be a whole number of seconds >= 0, got ${blockTime}`);
  if (params.instantMining === false && blockTime === 0) throw new RangeError("a chain without instant mining needs a block time");
  const mining = blockTime > 0 ? ["--block-time", String(blockTime), ...(params.instantMining === false ? [] : ["--mixed-mining"])] : [];
  const anvil = await spawnAnvil({ host: params.listen?.host ?? "127.0.0.1", port: params.listen?.port ?? 0, args: [...ANVIL_CHAIN_ARGS, ...mining] });
  try {
    return await prepare({ rpcUrl: anvil.url, params, progress, close: () => anvil.close() });
  } catch (error) {
    await anvil.close();
    throw error;
  }
}

interface PrepareParameters {
  rpcUrl: string;
  params: StartDevChainParameters;
  progress: (progress: DevChainProgress) => void;
  close: () => Promise<void>;
}

/** Clients on anvil's URL, then the contracts deployed, the dev accounts funded and the network file written. */
async function prepare({ rpcUrl, params, progress, close }: PrepareParameters): Promise<DevChain> {
  // No retries, as when the chain ran in this process: a failed call is reported as it is, and a retried send
  // could be sent twice.
  const transport = jsonRpcHttpTransport(rpcUrl, { retryCount: 0 });
  const chain = defineChain({
    id: DEV_CHAIN_ID,
    name: "Lilypad devnet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, cacheTime: 0, pollingInterval: 50 });
  const testClient = createTestClient({ chain, transport, mode: "anvil" });
  const walletTransport = withGasHeadroom(transport);
  const wallet = (index: number) => createWalletClient({ chain, transport: walletTransport, account: devAccount(index) });

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
  return { network, chain, transport, publicClient, testClient, wallet, close };
}

/** EIP-7825's cap on one transaction's gas (Osaka): padding never asks for more. */
const TRANSACTION_GAS_CAP = 16_777_216n;

/**
 * The transport, with the gas that anvil estimates raised by 10% (up to the per-transaction cap): the answers to
 * eth_estimateGas, and the gas of the transaction eth_fillTransaction fills in (viem asks that first).
 */
function withGasHeadroom(transport: Transport): Transport {
  const pad = (gas: unknown) => {
    if (typeof gas !== "string") return gas;
    const padded = BigInt(gas) + BigInt(gas) / 10n;
    return toHex(padded < TRANSACTION_GAS_CAP ? padded : TRANSACTION_GAS_CAP);
  };
  return (config) => {
    const inner = transport(config);
    const request = (async (args: { method: string; params?: unknown }, options?: unknown) => {
      const result = await (inner.request as (args: unknown, options?: unknown) => Promise<unknown>)(args, options);
      if (args.method === "eth_estimateGas") return pad(result);
      if (args.method === "eth_fillTransaction" && isFilled(result)) return { ...result, tx: { ...result.tx, gas: pad(result.tx.gas) } };
      return result;
    }) as typeof inner.request;
    return { ...inner, request };
  };
}

function isFilled(result: unknown): result is { tx: { gas?: unknown } } {
  const tx = typeof result === "object" && result !== null ? (result as { tx?: unknown }).tx : undefined;
  return typeof tx === "object" && tx !== null;
}
