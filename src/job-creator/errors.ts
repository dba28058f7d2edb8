import type { Address, Hex } from "viem";
import { LilypadError } from "../core/errors.ts";
import { formatTokens } from "../core/formatTokens.ts";
import { outcomeName } from "../core/outcomeName.ts";

/** The job did not produce an accepted result; `code` says why (from the solver, the market or the creator's checks). */
export class JobFailedError extends LilypadError {
  readonly dealId: Hex;

  constructor(params: { dealId: Hex; code: string; reason: string; hint?: string }) {
    super({ code: params.code, message: params.reason, hint: params.hint });
    this.name = "JobFailedError";
    this.dealId = params.dealId;
  }
}

/**
 * The provider posted no result before the deal's result deadline (by the chain's clock). The deal was finalized,
 * by this creator or by anyone else: the creator's payment collateral is back in its available escrow, with the
 * provider's timeout collateral on top, and nothing of the deal stays locked.
 */
export class ResultTimeoutError extends JobFailedError {
  readonly provider: Address;
  /** The deal's result timeout, in seconds. */
  readonly resultTimeout: number;
  /** The creator's payment collateral, unlocked and returned. */
  readonly refunded: bigint;
  /** The provider's timeout collateral, paid to the creator. */
  readonly compensation: bigint;

  constructor(params: { dealId: Hex; provider: Address; resultTimeout: number; refunded: bigint; compensation: bigint }) {
    super({
      dealId: params.dealId,
      code: "RESULT_TIMEOUT",
      reason:
        `the provider ${params.provider} posted no result within the deal's ${params.resultTimeout} s result timeout; ` +
        `the deal was finalized: your ${formatTokens(params.refunded)} payment collateral was refunded ` +
        `and the provider's ${formatTokens(params.compensation)} timeout collateral paid to you`,
      hint: "the provider may be down: run the job again (another provider may take it)",
    });
    this.name = "ResultTimeoutError";
    this.provider = params.provider;
    this.resultTimeout = params.resultTimeout;
    this.refunded = params.refunded;
    this.compensation = params.compensation;
  }
}

/** The offers could not be revoked: their deal opened (and runs its course), or they were used or revoked already. */
export class OfferNotRevocableError extends LilypadError {
  /** The deal id, or "lane N up to S". */
  readonly target: string;

  constructor(params: { target: string; reason: string; hint?: string; cause?: unknown }) {
    super({ code: "OFFER_NOT_REVOCABLE", message: `cannot revoke ${params.target}: ${params.reason}`, hint: params.hint, cause: params.cause });
    this.name = "OfferNotRevocableError";
    this.target = params.target;
  }
}

/** Codes of the errors about finalizing a deal. */
export const DealErrorCode = {
  notFound: "DEAL_NOT_FOUND",
  notYours: "NOT_YOUR_DEAL",
  notOverdue: "DEAL_NOT_OVERDUE",
  closed: "DEAL_CLOSED",
} as const;

/** No deal with this id was opened on the network's market. */
export class DealNotFoundError extends LilypadError {
  readonly dealId: Hex;

  constructor(params: { dealId: Hex; network: string }) {
    super({ code: DealErrorCode.notFound, message: `no deal ${params.dealId} was opened on network ${params.network}`, hint: "'lilypad jobs list' shows your deals" });
    this.name = "DealNotFoundError";
    this.dealId = params.dealId;
  }
}

/** The deal's creator and provider are both other accounts than the caller's. */
export class NotYourDealError extends LilypadError {
  readonly dealId: Hex;

  constructor(params: { dealId: Hex; account: Address; creator: Address; provider: Address }) {
    super({
      code: DealErrorCode.notYours,
      message: `deal ${params.dealId} is not yours: its creator is ${params.creator} and its provider ${params.provider}, and you are ${params.account}`,
      hint: "act as its creator or provider with --private-key (or LILYPAD_PRIVATE_KEY)",
    });
    this.name = "NotYourDealError";
    this.dealId = params.dealId;
  }
}

/** Whose turn it is in each phase before its deadline, for the not-overdue message. */
const WAITING_ON: Record<"open" | "result-posted" | "challenged", string> = {
  open: "the provider has until then to post a result",
  "result-posted": "the creator has until then to accept or challenge the result",
  challenged: "the mediator has until then to rule",
};

/** The deal's current phase has not timed out yet: nobody may finalize it. */
export class DealNotOverdueError extends LilypadError {
  readonly dealId: Hex;
  /** Unix seconds (the chain's clock). */
  readonly deadline: number;
  readonly secondsLeft: number;

  constructor(params: { dealId: Hex; phase: "open" | "result-posted" | "challenged"; deadline: number; chainTime: number }) {
    const secondsLeft = Math.max(0, params.deadline - params.chainTime);
    super({
      code: DealErrorCode.notOverdue,
      message:
        `deal ${params.dealId} is not overdue: its deadline is ${new Date(params.deadline * 1000).toISOString()} ` +
        `by the chain's clock, ${secondsLeft} s from now, and ${WAITING_ON[params.phase]}`,
      hint: `run this again after the deadline`,
    });
    this.name = "DealNotOverdueError";
    this.dealId = params.dealId;
    this.deadline = params.deadline;
    this.secondsLeft = secondsLeft;
  }
}

/** The deal is closed already: there is nothing to finalize. */
export class DealClosedError extends LilypadError {
  readonly dealId: Hex;
  readonly outcome: number | undefined;

  constructor(params: { dealId: Hex; outcome?: number }) {
    const how = params.outcome === undefined ? "" : ` (${outcomeName(params.outcome)})`;
    super({ code: DealErrorCode.closed, message: `deal ${params.dealId} is already closed${how}` });
    this.name = "DealClosedError";
    this.dealId = params.dealId;
    this.outcome = params.outcome;
  }
}

/** A deal's module manifest is neither in the local store nor served (valid) by any store asked. */
export class ManifestUnavailableError extends LilypadError {
  readonly moduleCid: string;
  /** Each store's failure. */
  readonly failures: readonly string[];

  constructor(params: { moduleCid: string; failures: readonly string[] }) {
    const tried = params.failures.length ? ` and could not be fetched (${params.failures.join("; ")})` : "";
    super({ code: "MANIFEST_UNAVAILABLE", message: `module ${params.moduleCid} is not in the local store${tried}` });
    this.name = "ManifestUnavailableError";
    this.moduleCid = params.moduleCid;
    this.failures = params.failures;
  }
}
