// Sends one market transaction and waits for it to be mined (and for the network's confirmations). On the devnet
// gas limits are fixed here rather than estimated: an estimate costs a round trip, and fails outright when a client
// contract's callback burns its whole allowance. On any other chain the limit is the larger of the fixed one and the
// node's estimate plus a fifth: a rollup such as Arbitrum charges its L1 data cost as extra L2 gas, which the
// node's estimate includes and no fixed table can know (see "Deploying to another chain" in docs/network.md).
// Fees are estimated once and reused for a while. A revert comes back as a MarketTxError naming the custom error.
import {
  BaseError,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { LilypadError } from "../../core/errors.ts";
import { DEV_CHAIN_ID } from "../../core/network.ts";
import { reportTransaction, waitAndReport } from "../observeTransactions.ts";
import { contractRevertOf } from "../contractRevert.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";

type MarketAbi = typeof lilypadMarketAbi;
export type MarketWrite = ContractFunctionName<MarketAbi, "nonpayable">;

/** Gas per call: fixed part plus a part per item in a batch. Generous; unused gas is not charged. */
const GAS: Record<MarketWrite, { base: bigint; perItem: bigint }> = {
  deposit: { base: 120_000n, perItem: 0n },
  depositWithPermit: { base: 160_000n, perItem: 0n },
  withdraw: { base: 120_000n, perItem: 0n },
  openDeal: { base: 300_000n, perItem: 0n },
  openDeals: { base: 80_000n, perItem: 140_000n },
  postResult: { base: 250_000n, perItem: 0n },
  postResults: { base: 60_000n, perItem: 120_000n },
  accept: { base: 500_000n, perItem: 0n },
  acceptMany: { base: 60_000n, perItem: 450_000n },
  challenge: { base: 200_000n, perItem: 0n },
  decline: { base: 300_000n, perItem: 0n },
  revokeOffers: { base: 80_000n, perItem: 0n },
  rule: { base: 500_000n, perItem: 0n },
  finalize: { base: 500_000n, perItem: 0n },
  finalizeMany: { base: 60_000n, perItem: 450_000n },
  publishModule: { base: 400_000n, perItem: 0n },
  approveModule: { base: 400_000n, perItem: 0n },
  setModuleBlocked: { base: 100_000n, perItem: 0n },
  renounceOwnership: { base: 60_000n, perItem: 0n },
  transferOwnership: { base: 60_000n, perItem: 0n },
};

/** The market refused a transaction (or it could not be sent). */
export class MarketTxError extends LilypadError {
  readonly functionName: string;
  /** The custom error's name, e.g. "LaneBusy", when the market reverted. */
  readonly revert: string | undefined;
  readonly revertArgs: readonly unknown[];

  constructor(params: { functionName: string; revert?: string; revertArgs?: readonly unknown[]; cause?: unknown; hash?: Hex }) {
    const detail = params.revert
      ? `the market refused it: ${params.revert}`
      : params.cause instanceof BaseError
        ? params.cause.shortMessage
        : params.cause instanceof Error
          ? params.cause.message
          : "unknown failure";
    super({ code: "MARKET_TX_FAILED", message: `${params.functionName} failed: ${detail}`, cause: params.cause });
    this.name = "MarketTxError";
    this.functionName = params.functionName;
    this.revert = params.revert;
    this.revertArgs = params.revertArgs ?? [];
  }
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  at: number;
}
const FEE_TTL_MS = 15_000;
const feeCache = new WeakMap<object, Fees>();

async function feesFor(conn: ChainConnection): Promise<Fees> {
  const cached = feeCache.get(conn.publicClient);
  if (cached && Date.now() - cached.at < FEE_TTL_MS) return cached;
  const estimate = await conn.publicClient.estimateFeesPerGas();
  // Twice the estimate: base fees may rise before the cache refreshes; only what is used is charged.
  const fees = { maxFeePerGas: estimate.maxFeePerGas * 2n, maxPriorityFeePerGas: estimate.maxPriorityFeePerGas, at: Date.now() };
  feeCache.set(conn.publicClient, fees);
  return fees;
}

export interface SendMarketTxParameters<F extends MarketWrite> {
  functionName: F;
  args: ContractFunctionArgs<MarketAbi, "nonpayable", F>;
  /** Items in a batch call, for the gas limit. */
  items?: number;
}

export async function sendMarketTx<F extends MarketWrite>(
  conn: ChainConnection,
  params: SendMarketTxParameters<F>,
): Promise<TransactionReceipt> {
  const { functionName } = params;
  const limits = GAS[functionName];
  const fixed = limits.base + limits.perItem * BigInt(params.items ?? 1);
  let hash: Hex;
  try {
    const fees = await feesFor(conn);
    const gas = conn.network.chainId === DEV_CHAIN_ID ? fixed : await estimatedGas(conn, params, fixed);
    hash = await conn.wallet.writeContract({
      address: conn.network.contracts.market,
      abi: lilypadMarketAbi,
      functionName,
      args: params.args,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    } as Parameters<typeof conn.wallet.writeContract>[0]);
  } catch (error) {
    reportTransaction(conn, { contract: "market", method: functionName, status: "failed" });
    const revert = contractRevertOf(error);
    throw new MarketTxError({ functionName, revert: revert?.name, revertArgs: revert?.args, cause: error });
  }
  const receipt = await waitAndReport(conn, hash, { contract: "market", method: functionName });
  if (receipt.status === "success") return receipt;
  // Mined but reverted (a chain that does not refuse failing transactions up front): replay it to learn why.
  try {
    await conn.publicClient.simulateContract({
      account: conn.account,
      address: conn.network.contracts.market,
      abi: lilypadMarketAbi,
      functionName,
      args: params.args,
      blockNumber: receipt.blockNumber - 1n,
    } as Parameters<typeof conn.publicClient.simulateContract>[0]);
  } catch (error) {
    const revert = contractRevertOf(error);
    throw new MarketTxError({ functionName, revert: revert?.name, revertArgs: revert?.args, cause: error, hash });
  }
  throw new MarketTxError({ functionName, cause: new Error(`transaction ${hash} reverted (out of gas?)`), hash });
}

/**
 * The gas limit off the devnet: the node's estimate plus a fifth (the L1 part of a rollup's price moves between the
 * estimate and inclusion), never less than the fixed limit. An estimate the market refuses is thrown as the
 * refusal (the transaction would revert too); one that fails otherwise falls back to the fixed limit.
 */
async function estimatedGas<F extends MarketWrite>(conn: ChainConnection, params: SendMarketTxParameters<F>, fixed: bigint): Promise<bigint> {
  let estimate: bigint;
  try {
    estimate = await conn.publicClient.estimateContractGas({
      account: conn.account,
      address: conn.network.contracts.market,
      abi: lilypadMarketAbi,
      functionName: params.functionName,
      args: params.args,
    } as Parameters<typeof conn.publicClient.estimateContractGas>[0]);
  } catch (error) {
    if (contractRevertOf(error)) throw error;
    return fixed;
  }
  const padded = estimate + estimate / 5n;
  return padded > fixed ? padded : fixed;
}
