// The leaderboard's points: a provider's verified work over a period, from on-chain history alone, so anyone can
// recompute them (docs/leaderboard.md shows how). Lilypad's IncentiveNet rewards time on the network and compute
// provided, from a self-reported hashrate; here both terms come from deals the chain settled:
//   - compute: a point per million metered instructions of results the JC accepted, the judging window finalized
//     or a mediator upheld, and 10 points per such job (js modules are priced per run and meter no instructions);
//   - time on the network: 5 points per distinct hour (UTC, by block time) with at least one such job;
//   - losses: 100 points off per deal a mediator ruled against the provider, 20 per result timeout.
// Never below zero. Declines cost nothing (the JC is compensated with the timeout collateral).

export const POINTS_PER_JOB = 10;
export const INSTRUCTIONS_PER_POINT = 1_000_000n;
export const POINTS_PER_ACTIVE_HOUR = 5;
export const POINTS_PER_LOSS = 100;
export const POINTS_PER_TIMEOUT = 20;

/**
 * The most instructions one deal credits per second of chain time between its opening and its result (plus one):
 * far above what a metered sandbox runs on one core, so an honest count is never cut, while a provider that deals
 * with itself through another account cannot claim 2^64 instructions in one block for the price of its gas.
 */
export const MAX_CREDITED_INSTRUCTIONS_PER_SECOND = 10_000_000_000n;

/** The instructions a completed deal adds to its provider's verified work. */
export function creditedInstructions(posted: bigint, openedAt: number, resultAt: number): bigint {
  const cap = BigInt(Math.max(0, resultAt - openedAt) + 1) * MAX_CREDITED_INSTRUCTIONS_PER_SECOND;
  return posted < cap ? posted : cap;
}

export const POINTS_FORMULA =
  `points = max(0, ${POINTS_PER_JOB} x jobs completed + floor(verified instructions / ${INSTRUCTIONS_PER_POINT.toLocaleString("en-US")})` +
  ` + ${POINTS_PER_ACTIVE_HOUR} x active hours - ${POINTS_PER_LOSS} x deals lost - ${POINTS_PER_TIMEOUT} x result timeouts)`;

export interface VerifiedWork {
  jobsCompleted: number;
  verifiedInstructions: bigint;
  activeHours: number;
  lost: number;
  timedOut: number;
}

export function pointsOf(work: VerifiedWork): number {
  const points =
    POINTS_PER_JOB * work.jobsCompleted +
    Number(work.verifiedInstructions / INSTRUCTIONS_PER_POINT) +
    POINTS_PER_ACTIVE_HOUR * work.activeHours -
    POINTS_PER_LOSS * work.lost -
    POINTS_PER_TIMEOUT * work.timedOut;
  return Math.max(0, points);
}
