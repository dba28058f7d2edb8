// How a role's transactions reach its metrics: the connection carries an observer (ChainConnection.onTransaction),
// and every place that sends a transaction reports through here once it is mined or has failed.
import type { Hex, TransactionReceipt } from "viem";
import type { ChainConnection, SentTransaction, TransactionObserver } from "./chainConnection.ts";
import { waitForReceipt } from "./waitForReceipt.ts";

/** The same connection (same clients, same account and nonces), with `observer` told of its transactions. */
export function withTransactionObserver(conn: ChainConnection, observer: TransactionObserver): ChainConnection {
  return { ...conn, onTransaction: observer };
}

/** Tells the connection's observer, if any; an observer that throws never fails the transaction it observes. */
export function reportTransaction(conn: Pick<ChainConnection, "onTransaction">, tx: SentTransaction): void {
  try {
    conn.onTransaction?.(tx);
  } catch {
    // A metric is not worth a failed deal.
  }
}

/**
 * Waits for a sent transaction's receipt (waitForReceipt) and reports how it ended: success or reverted with its
 * gas, or failed when no receipt came. The caller reports a transaction that could not be sent at all.
 */
export async function waitAndReport(conn: ChainConnection, hash: Hex, tx: Pick<SentTransaction, "contract" | "method">): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt;
  try {
    receipt = await waitForReceipt(conn, { hash });
  } catch (error) {
    reportTransaction(conn, { ...tx, status: "failed" });
    throw error;
  }
  reportTransaction(conn, { ...tx, status: receipt.status === "success" ? "success" : "reverted", gasUsed: receipt.gasUsed });
  return receipt;
}
