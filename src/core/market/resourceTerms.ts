// The resource offer for a matched job: the provider's own prices, and collateral at least what both sides require.
// The solver builds it; the provider recomputes it and signs only if what it is shown is exactly this. Pure.
import { mediatorMaskFor, type JobOffer, type ResourceOffer } from "../dealTypes.ts";
import type { Address } from "viem";
import type { CapacityBody } from "../api/solverProtocol.ts";

/** How long a provider's signature on a proposal stays usable. */
export const PROPOSAL_LIFETIME_SECONDS = 600n;

export function resourceTermsFor(params: {
  dealId: `0x${string}`;
  offer: JobOffer;
  capacity: Pick<CapacityBody, "basePrice" | "pricePerMInstr" | "timeoutCollateral" | "collateralMultiple"> & { mediators: readonly Address[] };
  now: number;
}): ResourceOffer {
  const { offer, capacity } = params;
  const latest = BigInt(params.now) + PROPOSAL_LIFETIME_SECONDS;
  return {
    jobOfferHash: params.dealId,
    basePrice: capacity.basePrice,
    pricePerMInstr: capacity.pricePerMInstr,
    timeoutCollateral: capacity.timeoutCollateral > offer.minTimeoutCollateral ? capacity.timeoutCollateral : offer.minTimeoutCollateral,
    collateralMultiple: Math.max(capacity.collateralMultiple, offer.minCollateralMultiple),
    mediatorMask: mediatorMaskFor(offer.mediators, capacity.mediators),
    expiry: offer.expiry < latest ? offer.expiry : latest,
  };
}
