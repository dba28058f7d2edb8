// Waits for a transaction's receipt, and then for the network's confirmations: the blocks that must follow the
// transaction's block before a role acts on it (network.confirmations, 0 on the devnet).
import type { Chain, Hex, PublicClient, TransactionReceipt, Transport } from "viem";
import { confirmationsOf, type NetworkInfo } from "../core/network.ts";

export interface WaitForReceiptParameters {
  hash: Hex;
  /** Blocks to wait for on top of the transaction's (default: the network's confirmations). */
  confirmations?: number;
}

/** What the wait needs of a connection (a ChainConnection has both). */
export interface ReceiptSource {
  publicClient: PublicClient<Transport, Chain | undefined>;
  network: Pick<NetworkInfo, "confirmations">;
}

/**
 * Resolves with the receipt once the transaction is mined and `confirmations` blocks follow it. With none (the
 * devnet), the receipt is asked for at once first: a devnet mines on arrival, which saves a polling interval.
 */
export async function waitForReceipt(conn: ReceiptSource, params: WaitForReceiptParameters): Promise<TransactionReceipt> {
  const confirmations = params.confirmations ?? confirmationsOf(conn.network);
  if (confirmations === 0) {
    const now = await conn.publicClient.getTransactionReceipt({ hash: params.hash }).catch(() => undefined);
    if (now) return now;
  }
  // viem counts the transaction's own block as the first confirmation.
  return await conn.publicClient.waitForTransactionReceipt({ hash: params.hash, confirmations: confirmations + 1, retryCount: 200 });
}

/** The newest block a role may act on: the head minus the network's confirmations (never below 0). */
export async function confirmedBlockNumber(conn: ReceiptSource): Promise<bigint> {
  const head = await conn.publicClient.getBlockNumber({ cacheTime: 0 });
  const confirmed = head - BigInt(confirmationsOf(conn.network));
  return confirmed < 0n ? 0n : confirmed;
}
