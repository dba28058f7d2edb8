import type { Deal } from "./dealTypes.ts";

/** Instructions are priced per million. */
export const INSTRUCTIONS_PER_PRICE_UNIT = 1_000_000n;

type PricedTerms = Pick<Deal, "basePrice" | "pricePerMInstr" | "paymentCollateral">;

/** A job's cost: base + rate x instructions / 1e6, capped at the JC's payment collateral (as the market does). */
export function costOf(terms: PricedTerms, instructions: bigint): bigint {
  const cost = terms.basePrice + (terms.pricePerMInstr * instructions) / INSTRUCTIONS_PER_PRICE_UNIT;
  return cost < terms.paymentCollateral ? cost : terms.paymentCollateral;
}

/** What the RP locks when it posts a result: multiple x cost. */
export function resultsCollateralOf(
  terms: PricedTerms & Pick<Deal, "collateralMultiple">,
  instructions: bigint,
): bigint {
  return costOf(terms, instructions) * BigInt(terms.collateralMultiple);
}
