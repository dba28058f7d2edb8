// A job's progress as a typed stream: listeners see every event in order, and `for await` reads it to the end.
import type { Address, Hex } from "viem";
import type { Outcome, Result } from "../core/dealTypes.ts";
import type { ModuleEngine } from "../core/moduleManifest.ts";

export type JobEvent =
  | { type: "submitted"; dealId: Hex }
  | { type: "matched" }
  | { type: "deal-opened"; provider: Address; txHash: string }
  /** The deal is open and no result is posted yet: the provider has until `deadline` (unix seconds, the chain's clock). */
  | { type: "awaiting-result"; deadline: number; secondsLeft: number }
  | { type: "log"; line: string }
  /**
   * `resultsUrl`: where the provider says it serves the result; reported only, the result is downloaded from the URL
   * it registered on chain. `engine`: the module's; `result.instructions` counts only for wasm (js is not metered).
   */
  | { type: "result-posted"; result: Result; resultsUrl: string; engine: ModuleEngine }
  /** `from`: the URL it came from (the provider's, or the mediator's after a ruling the provider was right). */
  | { type: "downloaded"; resultCid: string; from: string }
  | { type: "accepted" }
  | { type: "challenged"; reason: string }
  | { type: "waiting"; for: "mediator" }
  /** The solver answered SOLVER_BUSY: the same submission goes again in `retryInSeconds`. */
  | { type: "waiting"; for: "solver"; retryInSeconds: number }
  | { type: "closed"; outcome: Outcome };

export class JobEventStream implements AsyncIterable<JobEvent> {
  readonly #seen: JobEvent[] = [];
  readonly #listeners = new Set<(event: JobEvent) => void>();
  readonly #waiters = new Set<() => void>();
  #ended = false;

  push(event: JobEvent): void {
    if (this.#ended) return;
    this.#seen.push(event);
    for (const listener of this.#listeners) listener(event);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** Calls `listener` with every event so far and every event to come. */
  on(listener: (event: JobEvent) => void): void {
    for (const event of this.#seen) listener(event);
    this.#listeners.add(listener);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JobEvent> {
    let i = 0;
    for (;;) {
      while (i < this.#seen.length) yield this.#seen[i++] as JobEvent;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }
}
