// The job offer a creator signs, from its terms: pure, so the SDK and anyone submitting by hand build it alike.
import type { Address, Hex } from "viem";
import { ZERO_ADDRESS, jobOfferSchema, type JobOffer } from "../core/dealTypes.ts";
import type { JobTerms } from "./jobTerms.ts";

export interface BuildJobOfferParameters {
  creator: Address;
  moduleId: Hex;
  inputsHash: Hex;
  terms: JobTerms;
  mediators: readonly Address[];
  targetProvider?: Address;
  /** The most instructions the market may price: the module's own instruction limit. */
  maxInstructions: bigint;
  /** The solver that may open the deal (its chain address); nobody else can front-run it. */
  submitter: Address;
  lane: number;
  seq: number;
  /** Unix seconds: the offer expires a minute after the job stops waiting for a provider. */
  now: number;
}

export function buildJobOffer(p: BuildJobOfferParameters): JobOffer {
  const { terms } = p;
  return jobOfferSchema.parse({
    creator: p.creator,
    moduleId: p.moduleId,
    inputsHash: p.inputsHash,
    maxBasePrice: terms.maxBasePrice,
    maxPricePerMInstr: terms.maxPricePerMInstr,
    paymentCollateral: terms.paymentCollateral,
    mediationFee: terms.mediationFee,
    minTimeoutCollateral: terms.minTimeoutCollateral,
    minCollateralMultiple: terms.minCollateralMultiple,
    mediators: [...p.mediators],
    targetProvider: p.targetProvider ?? ZERO_ADDRESS,
    resultTimeout: terms.resultTimeout,
    judgingWindow: terms.judgingWindow,
    mediationTimeout: terms.mediationTimeout,
    callback: false,
    lane: p.lane,
    seq: p.seq,
    expiry: BigInt(p.now + terms.matchTimeout + 60),
    maxInstructions: p.maxInstructions,
    submitter: p.submitter,
  });
}
