// Every code the solver answers an HTTP request or a socket message with (the `code` of an apiError or a socket
// error), and its HTTP status: one list that the solver throws from and clients match on. A code is never reworded;
// a new one is added here.
import type { AuthFailure } from "./requestAuth.ts";

export const SolverErrorCode = {
  // The request itself.
  invalidJson: "INVALID_JSON",
  invalidBody: "INVALID_BODY",
  invalidMessage: "INVALID_MESSAGE",
  badRequest: "BAD_REQUEST",
  notFound: "NOT_FOUND",
  forbidden: "FORBIDDEN",
  internal: "INTERNAL",
  /** Saturated: retryable, after the Retry-After the HTTP answer carries (the SDK retries by itself). */
  solverBusy: "SOLVER_BUSY",
  // Signed requests (requestAuth.ts): AUTH_ and the failure.
  authMissing: "AUTH_MISSING",
  authMalformed: "AUTH_MALFORMED",
  authExpired: "AUTH_EXPIRED",
  authTooFarAhead: "AUTH_TOO_FAR_AHEAD",
  authBadSignature: "AUTH_BAD_SIGNATURE",
  authReplayed: "AUTH_REPLAYED",
  // Jobs.
  alreadySubmitted: "ALREADY_SUBMITTED",
  offerExpired: "OFFER_EXPIRED",
  wrongSubmitter: "WRONG_SUBMITTER",
  badDeadline: "BAD_DEADLINE",
  inputsMismatch: "INPUTS_MISMATCH",
  moduleBlocked: "MODULE_BLOCKED",
  badSignature: "BAD_SIGNATURE",
  laneBusy: "LANE_BUSY",
  staleSequence: "STALE_SEQUENCE",
  insufficientEscrow: "INSUFFICIENT_ESCROW",
  // Providers.
  providerPenalized: "PROVIDER_PENALIZED",
  noProposal: "NO_PROPOSAL",
  termsChanged: "TERMS_CHANGED",
  notYourDeal: "NOT_YOUR_DEAL",
  // Input files.
  invalidFile: "INVALID_FILE",
  uploadQuota: "UPLOAD_QUOTA",
} as const;
export type SolverErrorCode = (typeof SolverErrorCode)[keyof typeof SolverErrorCode];

/** The HTTP status each code is answered with (400 unless listed). */
const STATUS: Partial<Record<SolverErrorCode, number>> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  INTERNAL: 500,
  SOLVER_BUSY: 503,
  AUTH_MISSING: 401,
  AUTH_MALFORMED: 401,
  AUTH_EXPIRED: 401,
  AUTH_TOO_FAR_AHEAD: 401,
  AUTH_BAD_SIGNATURE: 401,
  AUTH_REPLAYED: 401,
  ALREADY_SUBMITTED: 409,
  PROVIDER_PENALIZED: 403,
  UPLOAD_QUOTA: 429,
};

/** What a SOLVER_BUSY answer advises waiting before trying again (its Retry-After). */
export const BUSY_RETRY_AFTER_SECONDS = 2;

export function httpStatusOf(code: SolverErrorCode): number {
  return STATUS[code] ?? 400;
}

const AUTH_CODES: Record<AuthFailure, SolverErrorCode> = {
  missing: SolverErrorCode.authMissing,
  malformed: SolverErrorCode.authMalformed,
  expired: SolverErrorCode.authExpired,
  "too-far-ahead": SolverErrorCode.authTooFarAhead,
  "bad-signature": SolverErrorCode.authBadSignature,
  replayed: SolverErrorCode.authReplayed,
};

export function authErrorCode(failure: AuthFailure): SolverErrorCode {
  return AUTH_CODES[failure];
}
