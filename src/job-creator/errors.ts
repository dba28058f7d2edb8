import type { Hex } from "viem";
import { LilypadError } from "../core/errors.ts";

/** The job did not produce an accepted result; `code` says why (from the solver, the market or the creator's checks). */
export class JobFailedError extends LilypadError {
  readonly dealId: Hex;

  constructor(params: { dealId: Hex; code: string; reason: string }) {
    super({ code: params.code, message: params.reason });
    this.name = "JobFailedError";
    this.dealId = params.dealId;
  }
}
