// The calls that move an open deal on: each names the deal by id, its packed terms and its posted result.
import type { Hex, TransactionReceipt } from "viem";
import type { PackedDeal } from "../../core/dealPacking.ts";
import type { Result } from "../../core/dealTypes.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { sendMarketTx } from "./sendMarketTx.ts";

export interface DealRef {
  dealId: Hex;
  deal: PackedDeal;
  /** The posted result (the empty result before one is posted). */
  result: Result;
}

/** One deal goes to the single entry point (cheaper), several to its batch twin (one transaction for all). */
function sendForDeals(
  conn: ChainConnection,
  single: "postResult" | "accept" | "finalize",
  many: "postResults" | "acceptMany" | "finalizeMany",
  refs: readonly DealRef[],
): Promise<TransactionReceipt> {
  if (refs.length === 1 && refs[0]) return sendMarketTx(conn, { functionName: single, args: [refs[0].dealId, refs[0].deal, refs[0].result] });
  return sendMarketTx(conn, {
    functionName: many,
    args: [refs.map((r) => r.dealId), refs.map((r) => r.deal), refs.map((r) => r.result)],
    items: refs.length,
  });
}

/** RP: posts results. */
export function postResults(conn: ChainConnection, refs: readonly DealRef[]): Promise<TransactionReceipt> {
  return sendForDeals(conn, "postResult", "postResults", refs);
}

/** JC: accepts posted results; each RP is paid. */
export function acceptResults(conn: ChainConnection, refs: readonly DealRef[]): Promise<TransactionReceipt> {
  return sendForDeals(conn, "accept", "acceptMany", refs);
}

/** JC: disputes a posted result; the deal's mediator re-runs the job. */
export function challengeResult(conn: ChainConnection, ref: DealRef): Promise<TransactionReceipt> {
  return sendMarketTx(conn, { functionName: "challenge", args: [ref.dealId, ref.deal, ref.result] });
}

/** Mediator: rules on a challenged deal. */
export function ruleOnDeal(conn: ChainConnection, ref: DealRef, providerRight: boolean): Promise<TransactionReceipt> {
  return sendMarketTx(conn, { functionName: "rule", args: [ref.dealId, ref.deal, ref.result, providerRight] });
}

/** Anyone: closes deals whose deadline passed (RP silent, JC silent, mediator silent). */
export function finalizeDeals(conn: ChainConnection, refs: readonly DealRef[]): Promise<TransactionReceipt> {
  return sendForDeals(conn, "finalize", "finalizeMany", refs);
}

/** RP only, while the deal is open: says it will post no result; the JC is settled at once. */
export function declineDeal(conn: ChainConnection, ref: Pick<DealRef, "dealId" | "deal">): Promise<TransactionReceipt> {
  return sendMarketTx(conn, { functionName: "decline", args: [ref.dealId, ref.deal] });
}
