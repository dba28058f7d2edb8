// Whether a provider may sign the resource offer a solver proposes. The solver is not trusted: the provider signs
// only terms it recomputed itself from the job offer it was shown, for that job offer and no other, with its own
// prices, the collateral both sides asked for within its own limits, a mediator list it trusts whole (the market
// draws from all of it), and an expiry it accepts.
import type { Address } from "viem";
import { jobOfferDigest, type MarketDomainParameters } from "../chain/offers.ts";
import type { DealProposal } from "../core/api/solverProtocol.ts";
import { PROPOSAL_LIFETIME_SECONDS, resourceTermsFor } from "../core/market/resourceTerms.ts";
import { inputsHashOf } from "../core/moduleInputs.ts";
import { resultsCollateralOf } from "../core/pricing.ts";
import { ZERO_ADDRESS } from "../core/dealTypes.ts";

/** Clocks differ between machines: the solver's may run this far ahead of the provider's. */
const CLOCK_SLACK_SECONDS = 60n;

export interface ProposalPolicy {
  /** The terms the provider advertised (its capacity offer). */
  basePrice: bigint;
  pricePerMInstr: bigint;
  timeoutCollateral: bigint;
  collateralMultiple: number;
  mediators: readonly Address[];
  /** The most timeout collateral a job offer may ask of this provider. */
  maxTimeoutCollateral: bigint;
  /** The largest collateral multiple a job offer may ask of this provider. */
  maxCollateralMultiple: number;
  /**
   * The most this provider will have locked in one deal: its timeout collateral, or its results collateral at the
   * job's worst cost (the payment collateral, or the prices at the offer's instruction ceiling if less). Terms whose
   * worst case it could not lock are refused before it signs, not discovered when its post fails.
   */
  maxStake: bigint;
}

export interface VetProposalParameters {
  proposal: DealProposal;
  policy: ProposalPolicy;
  domain: MarketDomainParameters;
  /** Unix seconds. */
  now: number;
}

/** Why the provider must not sign this proposal, or undefined when it may. */
export function vetProposal({ proposal, policy, domain, now }: VetProposalParameters): string | undefined {
  const { dealId, offer, resource } = proposal;
  const digest = jobOfferDigest(domain, offer);
  if (resource.jobOfferHash !== digest || dealId !== digest) return "the resource offer is not for the job offer shown";
  if (inputsHashOf(proposal.inputs) !== offer.inputsHash) return "the inputs do not match the offer";
  if (offer.minTimeoutCollateral > policy.maxTimeoutCollateral) return "the timeout collateral asked is too high";
  if (offer.mediationFee > policy.maxTimeoutCollateral) return "the mediation fee (which the timeout collateral must cover) is too high";
  if (offer.minCollateralMultiple > policy.maxCollateralMultiple) return "the collateral multiple asked is too high";
  const expected = resourceTermsFor({ dealId, offer, capacity: policy, now });
  if (resource.basePrice !== expected.basePrice || resource.pricePerMInstr !== expected.pricePerMInstr) return "the prices are not this provider's";
  if (resource.timeoutCollateral !== expected.timeoutCollateral) return "the timeout collateral is not what the job offer asks";
  if (resource.collateralMultiple !== expected.collateralMultiple) return "the collateral multiple is not what the job offer asks";
  const worstStake = worstStakeOf({ ...resource, paymentCollateral: offer.paymentCollateral }, offer.maxInstructions);
  if (worstStake > policy.maxStake) return `the worst case would lock ${worstStake} wei, more than this provider's ${policy.maxStake} per deal`;
  if (!trustsAll(offer.mediators, policy.mediators)) return "the job offer names a mediator this provider does not trust";
  if (resource.expiry <= BigInt(now)) return "the resource offer has expired";
  if (resource.expiry > offer.expiry || resource.expiry > BigInt(now) + PROPOSAL_LIFETIME_SECONDS + CLOCK_SLACK_SECONDS) return "the resource offer's expiry is too far off";
  return undefined;
}

function worstStakeOf(terms: Parameters<typeof resultsCollateralOf>[0] & { timeoutCollateral: bigint }, ceiling: bigint): bigint {
  const results = resultsCollateralOf(terms, ceiling);
  return results > terms.timeoutCollateral ? results : terms.timeoutCollateral;
}

function trustsAll(named: readonly Address[], trusted: readonly Address[]): boolean {
  const set = new Set(trusted.map((a) => a.toLowerCase()));
  return named.every((m) => m === ZERO_ADDRESS || set.has(m.toLowerCase()));
}
