// A job's progress as one line for the terminal, the same for `run` and `jobs get` (undefined: nothing to say).
import { outcomeName } from "../core/outcomeName.ts";
import type { JobEvent } from "../job-creator/jobEvents.ts";
import { instructionsPhrase } from "./describeInstructions.ts";

export function describeJobEvent(event: JobEvent): string | undefined {
  switch (event.type) {
    case "submitted":
      return `submitted job ${event.dealId}`;
    case "matched":
      return "matched with a resource provider";
    case "deal-opened":
      return `deal opened on chain with ${event.provider}`;
    case "awaiting-result":
      return `waiting for the result: deadline in ${event.secondsLeft} s`;
    case "log":
      return `  provider: ${event.line}`;
    case "result-posted":
      return `result posted on chain (${instructionsPhrase({ instructions: event.result.instructions, engine: event.engine })})`;
    case "downloaded":
      return `downloaded and verified ${event.resultCid}`;
    case "accepted":
      return "accepted: the provider is paid";
    case "challenged":
      return `challenged (${event.reason}): the mediator re-runs the job`;
    case "waiting":
      return event.for === "solver" ? `the solver is saturated: submitting again in ${event.retryInSeconds} s` : undefined;
    case "closed":
      return `deal closed: ${outcomeName(event.outcome)}`;
  }
}
