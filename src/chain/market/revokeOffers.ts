// A job creator takes back offers it signed that have not opened a deal: the market raises the lane's sequence
// number, and every offer of the lane up to it is stale from then on.
import { parseEventLogs, type Hex } from "viem";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";
import { sendMarketTx } from "./sendMarketTx.ts";

export interface RevokeOffersParameters {
  /** One of the connection's own lanes. */
  lane: number;
  /** The highest sequence number revoked: every unopened offer of the lane up to it. Must exceed the lane's last. */
  seq: number;
}

export interface RevokeOffersResult {
  lane: number;
  /** The lane's sequence number now: the next offer needs a larger one. */
  seq: number;
  txHash: Hex;
}

/**
 * JC: revokes its unopened offers of `lane` up to `seq`. The market refuses a lane with a deal in progress
 * (`LaneBusy`) and a `seq` that would not raise the lane's (`NothingToRevoke`), as a MarketTxError naming the error.
 */
export async function revokeOffers(conn: ChainConnection, { lane, seq }: RevokeOffersParameters): Promise<RevokeOffersResult> {
  const receipt = await sendMarketTx(conn, { functionName: "revokeOffers", args: [lane, seq] });
  const [event] = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "OffersRevoked" });
  return { lane, seq: event?.args.seq ?? seq, txHash: receipt.transactionHash };
}
