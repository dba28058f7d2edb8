// Errors of commands that meet a chain for the first time (deploy, faucet): each says what is wrong in one sentence
// and what to do about it.
import type { Address } from "viem";
import { formatEther } from "viem/utils";
import { LilypadError } from "../core/errors.ts";

/** The JSON-RPC URL does not answer (nothing listens, a wrong URL, no network). */
export class RpcUnreachableError extends LilypadError {
  readonly url: string;

  constructor(params: { url: string; reason: string; network?: string; hint?: string; cause?: unknown }) {
    super({
      code: "RPC_UNREACHABLE",
      message: `cannot reach the chain at ${params.url}${params.network ? ` (network ${params.network})` : ""}: ${params.reason}`,
      hint: params.hint ?? "check --rpc-url (or the network file's rpcUrl) and that the node is up",
      cause: params.cause,
    });
    this.name = "RpcUnreachableError";
    this.url = params.url;
  }
}

/** An account has less native currency than what it is about to send would cost. */
export class InsufficientGasError extends LilypadError {
  readonly address: Address;
  readonly balance: bigint;
  readonly needed: bigint;

  constructor(params: { address: Address; balance: bigint; needed: bigint; chainId: number; what: string }) {
    super({
      code: "INSUFFICIENT_GAS",
      message: `account ${params.address} has ${formatEther(params.balance)} ETH on chain ${params.chainId}; ${params.what} needs about ${formatEther(params.needed)} ETH`,
      hint: `send gas (the chain's native currency) to ${params.address}, or use another key`,
    });
    this.name = "InsufficientGasError";
    this.address = params.address;
    this.balance = params.balance;
    this.needed = params.needed;
  }
}

/** The RPC URL serves another chain than the network file names. */
export class ChainIdMismatchError extends LilypadError {
  constructor(params: { file: string; fileChainId: number; url: string; rpcChainId: number }) {
    super({
      code: "CHAIN_ID_MISMATCH",
      message: `network file ${params.file} is for chain ${params.fileChainId}, but ${params.url} serves chain ${params.rpcChainId}`,
      hint: "use the RPC URL of the file's chain, or write another file with --network-file",
    });
    this.name = "ChainIdMismatchError";
  }
}

/** A network file names its chain but no contracts yet: nothing can run on it until someone deploys them. */
export class NetworkNotDeployedError extends LilypadError {
  constructor(params: { name: string; file: string }) {
    super({
      code: "NETWORK_NOT_DEPLOYED",
      message: `network ${params.name} (${params.file}) has no contracts deployed yet`,
      hint: `deploy them with 'lilypad deploy --network ${params.name} --private-key KEY' (it writes the addresses to $LILYPAD_HOME/networks/${params.name}.json), or use a network file that has them`,
    });
    this.name = "NetworkNotDeployedError";
  }
}
