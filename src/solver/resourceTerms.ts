// The resource offer the solver asks a provider to sign for a matched job: the provider's own prices, and
// collateral at least what both sides require. Pure.
import { mediatorMaskFor, type JobOffer, type ResourceOffer } from "../core/dealTypes.ts";
import type { CapacityBody } from "../core/api/solverProtocol.ts";

/** How long a provider's signature on a proposal stays usable. */
export const PROPOSAL_LIFETIME_SECONDS = 600n;

export function resourceTermsFor(params: { dealId: `0x${string}`; offer: JobOffer; capacity: CapacityBody; now: number }): ResourceOffer {
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
