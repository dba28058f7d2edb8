import type { Address } from "viem";

/**
 * A capacity offer's id for the matcher, which among equal prices takes the lowest id: leading with the share of
 * slots in use sends work to the least loaded provider first, so equal providers share the load instead of the
 * first by address filling up.
 */
export function offerIdByLoad(provider: Address, slotsInUse: number, slots: number): string {
  const perMille = Math.min(999, Math.floor((slotsInUse * 1000) / Math.max(1, slots)));
  return `${String(perMille).padStart(3, "0")}:${provider}`;
}
