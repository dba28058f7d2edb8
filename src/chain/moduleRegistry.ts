// The on-chain module registry (part of the market contract): <publisher>/NAME:VERSION -> module id digest. Each
// publisher binds names only in its own namespace (its address); the bare names are governance's (zero address).
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { LilypadError } from "../core/errors.ts";
import type { ChainConnection } from "./chainConnection.ts";
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
  /** Bind the bare name as governance (`approveModule`, the market's owner only) instead of in the signer's namespace. */
  asGovernance?: boolean;
}

/**
 * Binds name:version to the module id in the signer's namespace, i.e. `<signer>/name:version` (or, asGovernance,
 * the bare `name:version`). Versions are immutable.
 */
export async function publishModuleOnChain(params: PublishModuleOnChainParameters): Promise<Hex> {
  let hash: Hex;
  try {
    hash = await params.wallet.writeContract({
      address: params.market,
      abi: lilypadMarketAbi,
      functionName: params.asGovernance ? "approveModule" : "publishModule",
      args: [params.name, params.version, params.digest],
    });
  } catch (error) {
    const revert = contractRevertOf(error);
    if (revert?.name === "VersionExists") {
      const namespace = params.asGovernance ? "" : `${params.wallet.account.address}/`;
      throw new LilypadError({
        code: "MODULE_VERSION_EXISTS",
        message: `${namespace}${params.name}:${params.version} is already published; versions are immutable`,
        hint: "bump the version",
        cause: error,
      });
    }
    if (revert?.name === "InvalidModuleName") {
      throw new LilypadError({
        code: "INVALID_MODULE_NAME",
        message: `the registry refuses the name ${params.name}:${params.version}`,
        hint: "names and versions are 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
        cause: error,
      });
    }
    if (revert?.name === "OwnableUnauthorizedAccount") {
      throw new LilypadError({ code: "NOT_GOVERNANCE", message: `${params.wallet.account.address} is not the network's governance`, cause: error });
    }
    throw error;
  }
  const receipt = await params.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${params.asGovernance ? "approveModule" : "publishModule"} transaction ${hash} reverted`);
  return hash;
}

export interface ResolveModuleOnChainParameters {
  publicClient: PublicClient;
  market: Address;
  /** The namespace: the publisher's address, or the zero address for the bare names governance approved. */
  publisher: Address;
  name: string;
  version: string;
}

/** Looks `<publisher>/name:version` up in the registry; undefined when unknown. */
export async function resolveModuleOnChain(params: ResolveModuleOnChainParameters): Promise<Hex | undefined> {
  const digest = await params.publicClient.readContract({
    address: params.market,
    abi: lilypadMarketAbi,
    functionName: "resolveModule",
    args: [params.publisher, params.name, params.version],
  });
  return BigInt(digest) === 0n ? undefined : digest;
}

/**
 * The registry of `conn`'s network, as a module resolver asks it (createModuleResolver's `registry`): published
 * names (`0x<publisher>/NAME:VERSION`) and the bare names governance approved resolve through it.
 */
export function moduleRegistryOf(conn: Pick<ChainConnection, "publicClient" | "network">): (query: { publisher: Address; name: string; version: string }) => Promise<Hex | undefined> {
  return ({ publisher, name, version }) => resolveModuleOnChain({ publicClient: conn.publicClient, market: conn.network.contracts.market, publisher, name, version });
}
