// What each party's escrow account gains or releases when a deal closes: the pure mirror of the market's
// settlement rules, used to predict payouts and as the oracle of the property tests.
import type { Deal } from "./dealTypes.ts";
import { Outcome } from "./dealTypes.ts";
import { costOf } from "./pricing.ts";

/** A change to one escrow account: `unlock` leaves `locked`, `credit` joins `available`. */
export interface AccountChange {
  unlock: bigint;
  credit: bigint;
}

export interface Settlement {
  creator: AccountChange;
  provider: AccountChange;
  mediator: AccountChange;
  /** What the RP earned for the job. */
  payment: bigint;
}

/** What the RP has locked once its result is posted: max(timeout collateral, multiple x cost). */
export function providerStakeOf(deal: Deal, instructions: bigint): bigint {
  const resultsCollateral = costOf(deal, instructions) * BigInt(deal.collateralMultiple);
  return resultsCollateral > deal.timeoutCollateral ? resultsCollateral : deal.timeoutCollateral;
}

/** The settlement of `deal` closing with `outcome`; `instructions` is the posted count (0 if none). */
export function settlementOf(deal: Deal, outcome: Outcome, instructions: bigint): Settlement {
  const pc = deal.paymentCollateral;
  const fee = deal.mediationFee;
  const none: AccountChange = { unlock: 0n, credit: 0n };
  switch (outcome) {
    case Outcome.ResultTimeout:
    case Outcome.Declined:
      return {
        creator: { unlock: pc, credit: pc + deal.timeoutCollateral },
        provider: { unlock: deal.timeoutCollateral, credit: 0n },
        mediator: none,
        payment: 0n,
      };
    case Outcome.Accepted:
    case Outcome.Finalized:
    case Outcome.ProviderRight: {
      const cost = costOf(deal, instructions);
      const stake = providerStakeOf(deal, instructions);
      const paidFee = outcome === Outcome.ProviderRight ? fee : 0n;
      return {
        creator: { unlock: pc + paidFee, credit: pc - cost },
        provider: { unlock: stake, credit: stake + cost },
        mediator: { unlock: 0n, credit: paidFee },
        payment: cost,
      };
    }
    case Outcome.ProviderWrong: {
      // The RP forfeits its whole stake: at least its timeout collateral and the fee, whatever it reported.
      const stake = providerStakeOf(deal, instructions);
      return {
        creator: { unlock: pc + fee, credit: pc + stake },
        provider: { unlock: stake, credit: 0n },
        mediator: { unlock: 0n, credit: fee },
        payment: 0n,
      };
    }
    case Outcome.MediationTimeout: {
      const stake = providerStakeOf(deal, instructions);
      return {
        creator: { unlock: pc + fee, credit: pc + fee },
        provider: { unlock: stake, credit: stake },
        mediator: none,
        payment: 0n,
      };
    }
  }
}
