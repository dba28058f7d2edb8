import type { Address, TransactionReceipt } from "viem";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi, lilypadTokenAbi } from "../generated/contracts.ts";
import { sendMarketTx } from "./sendMarketTx.ts";
import { reportTransaction, waitAndReport } from "../observeTransactions.ts";

export interface EscrowBalance {
  /** Tokens in the market not tied to any deal: may be withdrawn or used as collateral. */
  available: bigint;
  /** Tokens locked in open deals. */
  locked: bigint;
  /** Tokens in the wallet, outside the market. */
  wallet: bigint;
}

export async function escrowBalance(conn: ChainConnection, who: Address = conn.address): Promise<EscrowBalance> {
  const [[available, locked], wallet] = await Promise.all([
    conn.publicClient.readContract({ address: conn.network.contracts.market, abi: lilypadMarketAbi, functionName: "balanceOf", args: [who] }),
    conn.publicClient.readContract({ address: conn.network.contracts.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [who] }),
  ]);
  return { available, locked, wallet };
}

/** Tokens `who` has available in escrow (one read, for the solver's check on every job). */
export async function availableInEscrow(conn: ChainConnection, who: Address): Promise<bigint> {
  const [available] = await conn.publicClient.readContract({ address: conn.network.contracts.market, abi: lilypadMarketAbi, functionName: "balanceOf", args: [who] });
  return available;
}

/** Moves `amount` tokens from the wallet into the market (approving the market first when needed). */
export async function depositToEscrow(conn: ChainConnection, amount: bigint): Promise<TransactionReceipt> {
  const { market, token } = conn.network.contracts;
  const allowance = await conn.publicClient.readContract({ address: token, abi: lilypadTokenAbi, functionName: "allowance", args: [conn.address, market] });
  if (allowance < amount) {
    const tx = { contract: "token", method: "approve" } as const;
    const hash = await conn.wallet.writeContract({ address: token, abi: lilypadTokenAbi, functionName: "approve", args: [market, amount], gas: 80_000n }).catch((error: unknown) => {
      reportTransaction(conn, { ...tx, status: "failed" });
      throw error;
    });
    const approval = await waitAndReport(conn, hash, tx);
    if (approval.status !== "success") throw new Error(`approving the market to take ${amount} failed (${hash})`);
  }
  return sendMarketTx(conn, { functionName: "deposit", args: [amount] });
}

export function withdrawFromEscrow(conn: ChainConnection, amount: bigint): Promise<TransactionReceipt> {
  return sendMarketTx(conn, { functionName: "withdraw", args: [amount] });
}

/** Deposits whatever is missing for `available` to reach `target`; returns what it deposited. */
export async function ensureEscrow(conn: ChainConnection, target: bigint): Promise<bigint> {
  const { available } = await escrowBalance(conn);
  if (available >= target) return 0n;
  await depositToEscrow(conn, target - available);
  return target - available;
}
