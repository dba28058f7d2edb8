// The SDK: exactly what applications may import from "lilypad". It loads no role, sandbox or dev chain: the
// embedded network is its own entry, "lilypad/devnet" (src/devnet/index.ts).
export { createLilypadClient, type CreateLilypadClientParameters } from "./job-creator/createLilypadClient.ts";
export {
  DEFAULT_JOB_TERMS,
  LilypadClient,
  type CollectOptions,
  type JobHandle,
  type JobResult,
  type JobTerms,
  type LilypadClientParameters,
  type RevokeOfferParameters,
  type RevokeOffersResult,
  type RunOptions,
} from "./job-creator/lilypadClient.ts";
export { JobEventStream, type JobEvent } from "./job-creator/jobEvents.ts";
export {
  DealClosedError,
  DealNotFoundError,
  DealNotOverdueError,
  JobFailedError,
  NotYourDealError,
  OfferNotRevocableError,
  ResultTimeoutError,
} from "./job-creator/errors.ts";
export type { FinalizedDeal, FinalizeOverdueDealsResult, PartyPayout } from "./job-creator/finalizeOverdueDeals.ts";
export type { DealPhase, DealStatus } from "./job-creator/dealStatus.ts";
export { networkSchema, type NetworkInfo } from "./core/network.ts";
export { Outcome } from "./core/dealTypes.ts";
export { LilypadError } from "./core/errors.ts";
export { PrivateAddressError } from "./net/privateAddresses.ts";
