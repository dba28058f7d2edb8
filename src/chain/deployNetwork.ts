import {
  encodeDeployData,
  getAddress,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  lilypadMarketAbi,
  lilypadMarketBytecode,
  lilypadTokenAbi,
  lilypadTokenBytecode,
  onChainJobCreatorAbi,
  onChainJobCreatorBytecode,
  serviceRegistryAbi,
  serviceRegistryBytecode,
} from "./generated/contracts.ts";
import type { NetworkContracts } from "../core/network.ts";
import { waitForReceipt } from "./waitForReceipt.ts";

export type ContractName = keyof NetworkContracts;
/** The order deployNetwork deploys in (each needs the ones before it). */
export const CONTRACT_NAMES: readonly ContractName[] = ["token", "market", "serviceRegistry", "jobCreator"];

export interface DeployProgress {
  contract: ContractName;
  /** "sent": the transaction is in the node's pool; "deployed": mined, with the confirmations asked for. */
  phase: "sent" | "deployed";
  hash: Hex;
  address?: Address;
  blockNumber?: bigint;
}

export interface DeployNetworkParameters {
  publicClient: PublicClient<Transport, Chain | undefined>;
  walletClient: WalletClient<Transport, Chain, Account>;
  /** Receives the whole token supply. */
  faucet: Address;
  /** May block modules; receives no funds. */
  governance: Address;
  /** Total token supply in wei. */
  supply: bigint;
  /** Blocks to wait for on top of each deployment's before the next (default 0). */
  confirmations?: number;
  /** Called as each deployment is sent and once it is deployed. */
  onProgress?: (progress: DeployProgress) => void;
}

export interface DeployNetworkResult {
  contracts: NetworkContracts;
  /** Each contract's deployment transaction. */
  transactions: Record<ContractName, Hex>;
  deployBlock: number;
}

/** A deployment's gas limit: the node's estimate plus a fifth (a rollup's L1 data price moves; unused gas is not charged). */
export function paddedGas(estimate: bigint): bigint {
  return estimate + estimate / 5n;
}

/**
 * Deploys token, market, service registry and on-chain job creator, in that order, each with the node's gas estimate
 * plus a fifth, and waits for `confirmations` blocks on top of each before sending the next.
 */
export async function deployNetwork(params: DeployNetworkParameters): Promise<DeployNetworkResult> {
  const { publicClient, walletClient } = params;
  const confirmations = params.confirmations ?? 0;
  const progress = params.onProgress ?? (() => {});
  const source = { publicClient, network: { confirmations } };
  const deploy = async (contract: ContractName, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<{ address: Address; block: number; hash: Hex }> => {
    const data = encodeDeployData({ abi, bytecode, args });
    const estimate = await publicClient.estimateGas({ account: walletClient.account, data });
    const hash = await walletClient.sendTransaction({ data, gas: paddedGas(estimate) } as Parameters<typeof walletClient.sendTransaction>[0]);
    progress({ contract, phase: "sent", hash });
    const receipt = await waitForReceipt(source, { hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying the ${contract} contract failed (transaction ${hash})`);
    const address = getAddress(receipt.contractAddress);
    progress({ contract, phase: "deployed", hash, address, blockNumber: receipt.blockNumber });
    return { address, block: Number(receipt.blockNumber), hash };
  };
  const token = await deploy("token", lilypadTokenAbi, lilypadTokenBytecode, [params.faucet, params.supply]);
  const market = await deploy("market", lilypadMarketAbi, lilypadMarketBytecode, [token.address, params.governance]);
  const serviceRegistry = await deploy("serviceRegistry", serviceRegistryAbi, serviceRegistryBytecode, []);
  const jobCreator = await deploy("jobCreator", onChainJobCreatorAbi, onChainJobCreatorBytecode, [market.address]);
  return {
    contracts: {
      token: token.address,
      market: market.address,
      serviceRegistry: serviceRegistry.address,
      jobCreator: jobCreator.address,
    },
    transactions: { token: token.hash, market: market.hash, serviceRegistry: serviceRegistry.hash, jobCreator: jobCreator.hash },
    deployBlock: token.block,
  };
}

/**
 * Code at a placeholder address for estimating the job creator before the market exists: it answers any call with
 * its own address (ADDRESS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN), enough for the constructor's market.token().
 */
const ANSWERS_ITS_ADDRESS = "0x3060005260206000f3";

export interface DeployCost {
  /** Gas of the four deployments, each padded as deployNetwork pads it. */
  gas: bigint;
  /** The most the node lets a transaction pay per gas now (what it checks the balance against). */
  maxFeePerGas: bigint;
  /** gas × maxFeePerGas: the balance the deployer needs. */
  wei: bigint;
}

/** What deploying the contracts would cost `deployer` now (a check before the first transaction). */
export async function estimateDeployCost(params: Pick<DeployNetworkParameters, "publicClient" | "governance" | "supply"> & { deployer: Address }): Promise<DeployCost> {
  const { publicClient, deployer } = params;
  // Placeholders stand for the contracts not deployed yet; their constructors only store them, except the job
  // creator's, which asks its market for the token (answered by the placeholder's code).
  const placeholder = getAddress("0x000000000000000000000000000000000000dEaD");
  const estimate = (abi: Abi, bytecode: Hex, args: readonly unknown[], stateOverride?: { address: Address; code: Hex }[]) =>
    publicClient.estimateGas({ account: deployer, data: encodeDeployData({ abi, bytecode, args }), stateOverride });
  const gases = await Promise.all([
    estimate(lilypadTokenAbi, lilypadTokenBytecode, [deployer, params.supply]),
    estimate(lilypadMarketAbi, lilypadMarketBytecode, [placeholder, params.governance]),
    estimate(serviceRegistryAbi, serviceRegistryBytecode, []),
    estimate(onChainJobCreatorAbi, onChainJobCreatorBytecode, [placeholder], [{ address: placeholder, code: ANSWERS_ITS_ADDRESS }]),
  ]);
  const gas = gases.reduce((sum, g) => sum + paddedGas(g), 0n);
  const { maxFeePerGas } = await publicClient.estimateFeesPerGas();
  return { gas, maxFeePerGas, wei: gas * maxFeePerGas };
}
