// The resource offer for a matched job: the provider's own prices, and collateral at least what both sides require.
// The solver builds it; the provider recomputes it and signs only if what it is shown is exactly this. Pure.
import type { JobOffer, ResourceOffer } from "../dealTypes.ts";
import type { CapacityBody } from "../api/solverProtocol.ts";

/** How long a provider's signature on a proposal stays usable. */
export const PROPOSAL_LIFETIME_SECONDS = 600n;

export function resourceTermsFor(params: {
  dealId: `0x${string}`;
  offer: JobOffer;
  capacity: Pick<CapacityBody, "basePrice" | "pricePerMInstr" | "timeoutCollateral" | "collateralMultiple">;
  now: number;
}): ResourceOffer {
  const { offer, capacity } = params;
  const latest = BigInt(params.now) + PROPOSAL_LIFETIME_SECONDS;
  return {
    jobOfferHash: params.dealId,
    basePrice: capacity.basePrice,
    pricePerMInstr: capacity.pricePerMInstr,
    // The market requires the timeout collateral to cover the mediation fee too.
    timeoutCollateral: maxOf(capacity.timeoutCollateral, offer.minTimeoutCollateral, offer.mediationFee),
    collateralMultiple: Math.max(capacity.collateralMultiple, offer.minCollateralMultiple),
    expiry: offer.expiry < latest ? offer.expiry : latest,
  };
}

function maxOf(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}
