// Token amounts as people read them: whole tokens (18 decimals) and the token's symbol.
import { formatEther } from "viem/utils";

/** The Lilypad token's symbol. */
export const TOKEN_SYMBOL = "LP";

/** E.g. 10n ** 18n → "1 LP". */
export function formatTokens(amount: bigint): string {
  return `${formatEther(amount)} ${TOKEN_SYMBOL}`;
}
