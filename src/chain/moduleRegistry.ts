// The on-chain module registry (part of the market contract): NAME:VERSION -> module id digest.
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { LilypadError } from "../core/errors.ts";
import { contractRevertOf } from "./contractRevert.ts";
import { lilypadMarketAbi } from "./generated/contracts.ts";

export interface PublishModuleOnChainParameters {
  wallet: WalletClient<Transport, Chain, Account>;
  publicClient: PublicClient;
  market: Address;
  name: string;
  version: string;
  /** The module id: the sha2-256 digest of the manifest's CID. */
  digest: Hex;
}

/** Registers name:version; the first publisher of a name owns it and versions are immutable. */
export async function publishModuleOnChain(params: PublishModuleOnChainParameters): Promise<Hex> {
  let hash: Hex;
  try {
    hash = await params.wallet.writeContract({
      address: params.market,
      abi: lilypadMarketAbi,
      functionName: "publishModule",
      args: [params.name, params.version, params.digest],
    });
  } catch (error) {
    const revert = contractRevertOf(error);
    if (revert?.name === "NameTaken") {
      throw new LilypadError({ code: "MODULE_NAME_TAKEN", message: `the name ${params.name} belongs to ${String(revert.args[1])}`, hint: "publish under another name", cause: error });
    }
    if (revert?.name === "VersionExists") {
      throw new LilypadError({ code: "MODULE_VERSION_EXISTS", message: `${params.name}:${params.version} is already published; versions are immutable`, hint: "bump the version", cause: error });
    }
    throw error;
  }
  const receipt = await params.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`publishModule transaction ${hash} reverted`);
  return hash;
}

/** Looks name:version up in the registry; undefined when unknown. */
export async function resolveModuleOnChain(params: {
  publicClient: PublicClient;
  market: Address;
  name: string;
  version: string;
}): Promise<Hex | undefined> {
  const digest = await params.publicClient.readContract({
    address: params.market,
    abi: lilypadMarketAbi,
    functionName: "resolveModule",
    args: [params.name, params.version],
  });
  return BigInt(digest) === 0n ? undefined : digest;
}
