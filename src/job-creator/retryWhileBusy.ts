// A saturated solver answers SOLVER_BUSY, which promises nothing was queued: the same signed submission is sent
// again after a growing wait, and only a solver still saturated after the last try is the caller's error.
import { BUSY_RETRY_AFTER_SECONDS, SolverErrorCode } from "../core/api/solverErrors.ts";
import { SolverRequestError } from "../net/solverClient.ts";

export interface RetryWhileBusyParameters {
  /** Tries in all (default 5: waits of 2, 4, 8 and 16 s between them). */
  attempts?: number;
  /** The first wait (default the solver's advice, BUSY_RETRY_AFTER_SECONDS); each next one doubles. */
  firstDelayMs?: number;
  /** Told before each wait, e.g. to show progress. */
  onBusy?: (attempt: number, delayMs: number) => void;
}

export async function retryWhileBusy<T>(send: () => Promise<T>, params: RetryWhileBusyParameters = {}): Promise<T> {
  const attempts = params.attempts ?? 5;
  let delayMs = params.firstDelayMs ?? BUSY_RETRY_AFTER_SECONDS * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof SolverRequestError && error.code === SolverErrorCode.solverBusy) || attempt >= attempts) throw error;
      params.onBusy?.(attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs *= 2;
    }
  }
}
