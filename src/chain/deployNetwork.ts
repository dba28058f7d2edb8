import { getAddress, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
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

export interface DeployNetworkParameters {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
  /** Receives the whole token supply. */
  faucet: Address;
  /** May block modules; receives no funds. */
  governance: Address;
  /** Total token supply in wei. */
  supply: bigint;
}

export interface DeployNetworkResult {
  contracts: NetworkContracts;
  deployBlock: number;
}

/** Deploys token, market, service registry and on-chain job creator, in that order. */
export async function deployNetwork(params: DeployNetworkParameters): Promise<DeployNetworkResult> {
  const { publicClient, walletClient } = params;
  const deploy = async (hash: Hex): Promise<{ address: Address; block: number }> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deployment ${hash} failed`);
    return { address: getAddress(receipt.contractAddress), block: Number(receipt.blockNumber) };
  };
  const token = await deploy(
    await walletClient.deployContract({
      abi: lilypadTokenAbi,
      bytecode: lilypadTokenBytecode,
      args: [params.faucet, params.supply],
    }),
  );
  const market = await deploy(
    await walletClient.deployContract({
      abi: lilypadMarketAbi,
      bytecode: lilypadMarketBytecode,
      args: [token.address, params.governance],
    }),
  );
  const serviceRegistry = await deploy(
    await walletClient.deployContract({ abi: serviceRegistryAbi, bytecode: serviceRegistryBytecode, args: [] }),
  );
  const jobCreator = await deploy(
    await walletClient.deployContract({
      abi: onChainJobCreatorAbi,
      bytecode: onChainJobCreatorBytecode,
      args: [market.address],
    }),
  );
  return {
    contracts: {
      token: token.address,
      market: market.address,
      serviceRegistry: serviceRegistry.address,
      jobCreator: jobCreator.address,
    },
    deployBlock: token.block,
  };
}
