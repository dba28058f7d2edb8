// How a closed deal's outcome reads: to a person, as the CLI and the SDK's errors print it, and as a key, as the
// indexer's API names it.
import type { OutcomeKey } from "./api/indexerApi.ts";
import { Outcome } from "./dealTypes.ts";

const NAMES: Record<Outcome, string> = {
  [Outcome.Accepted]: "accepted",
  [Outcome.Finalized]: "finalized",
  [Outcome.ProviderRight]: "mediator: provider right",
  [Outcome.ProviderWrong]: "mediator: provider wrong",
  [Outcome.ResultTimeout]: "result timeout",
  [Outcome.MediationTimeout]: "mediation timeout",
  [Outcome.Declined]: "declined by the provider",
};

/** E.g. "result timeout"; an outcome this version does not know reads as its number. */
export function outcomeName(outcome: number): string {
  return NAMES[outcome as Outcome] ?? String(outcome);
}

const KEYS: Record<Outcome, OutcomeKey> = {
  [Outcome.Accepted]: "accepted",
  [Outcome.Finalized]: "finalized",
  [Outcome.ProviderRight]: "provider_right",
  [Outcome.ProviderWrong]: "provider_wrong",
  [Outcome.ResultTimeout]: "result_timeout",
  [Outcome.MediationTimeout]: "mediation_timeout",
  [Outcome.Declined]: "declined",
};

/** E.g. "provider_wrong": the outcome's key in the indexer's API. */
export function outcomeKeyOf(outcome: Outcome): OutcomeKey {
  return KEYS[outcome];
}
