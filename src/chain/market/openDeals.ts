import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import type { PackedDeal } from "../../core/dealPacking.ts";
import { resourceOfferCalldata, type JobOffer, type ResourceOffer, type Signature } from "../../core/dealTypes.ts";
import type { ChainConnection } from "../chainConnection.ts";
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

export interface OpenDealsResult {
  receipt: TransactionReceipt;
  opened: OpenedDeal[];
}

/** Opens one deal per pair of signed offers, in one transaction (all or none). */
export async function openDeals(conn: ChainConnection, offers: readonly SignedDealOffers[]): Promise<OpenDealsResult> {
  const receipt =
    offers.length === 1 && offers[0]
      ? await sendMarketTx(conn, {
          functionName: "openDeal",
          args: [offers[0].job, offers[0].jobSignature, resourceOfferCalldata(offers[0].resource), offers[0].resourceSignature],
        })
      : await sendMarketTx(conn, {
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
  return { receipt, opened };
}
