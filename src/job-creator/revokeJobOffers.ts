// A job creator takes back offers it signed that have not opened a deal (the market's `revokeOffers`), with the
// market's refusals as one typed error: the SDK's `client.revokeOffer` and `lilypad jobs revoke` both call this.
import type { ChainConnection } from "../chain/chainConnection.ts";
import { revokeOffers, type RevokeOffersResult } from "../chain/market/revokeOffers.ts";
import { MarketTxError } from "../chain/market/sendMarketTx.ts";
import { OfferNotRevocableError } from "./errors.ts";

export interface RevokeJobOffersParameters {
  /** One of the connection's own lanes. */
  lane: number;
  /** The highest sequence number revoked. */
  seq: number;
  /** What is being revoked, for the error message (default "lane N up to S"). */
  target?: string;
}

/**
 * Revokes every unopened offer of `lane` numbered up to `seq`. Throws OfferNotRevocableError when the lane has a deal
 * in progress (LaneBusy: an opened deal runs its course) or its offers up to `seq` were used or revoked already
 * (NothingToRevoke); other failures as they come.
 */
export async function revokeJobOffers(conn: ChainConnection, params: RevokeJobOffersParameters): Promise<RevokeOffersResult> {
  const { lane, seq } = params;
  try {
    return await revokeOffers(conn, { lane, seq });
  } catch (error) {
    if (!(error instanceof MarketTxError && (error.revert === "LaneBusy" || error.revert === "NothingToRevoke"))) throw error;
    throw new OfferNotRevocableError({
      target: params.target ?? `lane ${lane} up to ${seq}`,
      reason:
        error.revert === "LaneBusy"
          ? `lane ${lane} has a deal in progress, which runs its course`
          : `lane ${lane}'s offers up to ${seq} were used or revoked already (the lane is at ${String(error.revertArgs[3])})`,
      cause: error,
    });
  }
}
