// The leaderboard recomputed straight from the chain's logs, as docs/leaderboard.md tells anyone to: no indexer
// code, only the market's events, block times and the market's pricing rule. Tests compare the indexer (and the
// dashboard) against it.
import { parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome, type Deal } from "../../src/core/dealTypes.ts";
import { costOf } from "../../src/core/pricing.ts";
import { creditedInstructions, pointsOf } from "../../src/core/points.ts";

export interface ChainLeaderboardRow {
  provider: Address;
  jobsCompleted: number;
  verifiedInstructions: bigint;
  earned: bigint;
  lost: number;
  timedOut: number;
  challenged: number;
  activeHours: number;
  points: number;
}

/** Every provider with a completed, lost, timed-out or challenged deal, ranked as the leaderboard ranks them. */
export async function chainLeaderboard(publicClient: PublicClient, market: Address, fromBlock = 0n): Promise<ChainLeaderboardRow[]> {
  const logs = await publicClient.getLogs({ address: market, fromBlock, toBlock: "latest" });
  const events = parseEventLogs({ abi: lilypadMarketAbi, logs });
  const deals = new Map<Hex, { deal: Deal; instructions: bigint; openedBlock: bigint; resultBlock: bigint }>();
  const rows = new Map<Address, ChainLeaderboardRow & { hours: Set<number> }>();
  const row = (provider: Address) => {
    let r = rows.get(provider);
    if (!r) {
      r = { provider, jobsCompleted: 0, verifiedInstructions: 0n, earned: 0n, lost: 0, timedOut: 0, challenged: 0, activeHours: 0, points: 0, hours: new Set() };
      rows.set(provider, r);
    }
    return r;
  };
  const times = new Map<bigint, number>();
  const timeOf = async (block: bigint) => {
    let t = times.get(block);
    if (t === undefined) {
      t = Number((await publicClient.getBlock({ blockNumber: block })).timestamp);
      times.set(block, t);
    }
    return t;
  };
  for (const event of events) {
    if (event.eventName === "DealOpened") {
      deals.set(event.args.dealId, { deal: unpackDeal(event.args.deal), instructions: 0n, openedBlock: event.blockNumber, resultBlock: event.blockNumber });
    } else if (event.eventName === "ResultPosted") {
      const d = deals.get(event.args.dealId);
      if (d) {
        d.instructions = event.args.result.instructions;
        d.resultBlock = event.blockNumber;
      }
    } else if (event.eventName === "DealChallenged") {
      const d = deals.get(event.args.dealId);
      if (d) row(d.deal.provider).challenged++;
    } else if (event.eventName === "DealClosed") {
      const d = deals.get(event.args.dealId);
      if (!d) continue;
      const r = row(d.deal.provider);
      const outcome = event.args.outcome;
      if (outcome === Outcome.Accepted || outcome === Outcome.Finalized || outcome === Outcome.ProviderRight) {
        r.jobsCompleted++;
        r.verifiedInstructions += creditedInstructions(d.instructions, await timeOf(d.openedBlock), await timeOf(d.resultBlock));
        r.earned += costOf(d.deal, d.instructions);
        r.hours.add(Math.floor((await timeOf(event.blockNumber)) / 3600));
      } else if (outcome === Outcome.ProviderWrong) r.lost++;
      else if (outcome === Outcome.ResultTimeout) r.timedOut++;
    }
  }
  const ranked = [...rows.values()]
    .filter((r) => r.jobsCompleted + r.lost + r.timedOut + r.challenged > 0)
    .map(({ hours, ...r }) => {
      const activeHours = hours.size;
      return { ...r, activeHours, points: pointsOf({ jobsCompleted: r.jobsCompleted, verifiedInstructions: r.verifiedInstructions, activeHours, lost: r.lost, timedOut: r.timedOut }) };
    });
  return ranked.sort((a, b) =>
    a.verifiedInstructions !== b.verifiedInstructions ? (a.verifiedInstructions > b.verifiedInstructions ? -1 : 1) : b.jobsCompleted - a.jobsCompleted || (a.provider < b.provider ? -1 : 1),
  );
}
