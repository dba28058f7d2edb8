import { decodeErrorResult, parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import type { PackedDeal } from "../../core/dealPacking.ts";
import { resourceOfferCalldata, type JobOffer, type ResourceOffer, type Signature } from "../../core/dealTypes.ts";
import type { ChainConnection } from "../chainConnection.ts";
import type { ContractRevert } from "../contractRevert.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";
import { sendMarketTx } from "./sendMarketTx.ts";

export interface SignedDealOffers {
  job: JobOffer;
  jobSignature: Signature;
  resource: ResourceOffer;
  resourceSignature: Signature;
}

export interface OpenedDeal {
  dealId: Hex;
  provider: Address;
  deal: PackedDeal;
}

/** A deal of the batch that the market skipped, and the error it would have reverted with. */
export interface SkippedDeal {
  dealId: Hex;
  reason: ContractRevert;
}

export interface OpenDealsResult {
  receipt: TransactionReceipt;
  opened: OpenedDeal[];
  skipped: SkippedDeal[];
}

/**
 * Opens one deal per pair of signed offers in one `openDeals` transaction, even for one pair: what a third party
 * changed since (a lane used, a balance withdrawn) skips that deal and opens the rest. Offers that are invalid in
 * themselves revert the transaction (a MarketTxError).
 */
export async function openDeals(conn: ChainConnection, offers: readonly SignedDealOffers[]): Promise<OpenDealsResult> {
  const receipt = await sendMarketTx(conn, {
    functionName: "openDeals",
    args: [
      offers.map((o) => o.job),
      offers.map((o) => o.jobSignature),
      offers.map((o) => resourceOfferCalldata(o.resource)),
      offers.map((o) => o.resourceSignature),
    ],
    items: offers.length,
  });
  const opened = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealOpened" }).map((e) => ({
    dealId: e.args.dealId,
    provider: e.args.provider,
    deal: e.args.deal,
  }));
  const skipped = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealSkipped" }).map((e) => ({
    dealId: e.args.dealId,
    reason: decodeSkipReason(e.args.reason),
  }));
  return { receipt, opened, skipped };
}

function decodeSkipReason(data: Hex): ContractRevert {
  try {
    const decoded = decodeErrorResult({ abi: lilypadMarketAbi, data });
    return { name: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return { name: `unknown error ${data.slice(0, 10)}`, args: [] };
  }
}
