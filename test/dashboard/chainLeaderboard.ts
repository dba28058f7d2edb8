// The leaderboard as the chain says it, recomputed from the market's raw event logs (viem's getLogs and
// parseEventLogs), the deal terms in DealOpened, costOf and the documented points formula: never from the
// indexer's database. The dashboard's figures must equal these.
import { getAddress, parseEventLogs, type Address, type Hex } from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome, type Deal } from "../../src/core/dealTypes.ts";
import { pointsOf } from "../../src/core/points.ts";
import { costOf } from "../../src/core/pricing.ts";

export interface ChainLeaderboardRow {
  provider: Address;
  points: number;
  verifiedInstructions: bigint;
  jobsCompleted: number;
  activeHours: number;
  earned: bigint;
  lost: number;
  timedOut: number;
  challenged: number;
}

/** A job counts as verified work when its result was accepted, finalized or upheld (src/core/points.ts). */
const VERIFIED = new Set<number>([Outcome.Accepted, Outcome.Finalized, Outcome.ProviderRight]);

/**
 * Every provider that had a deal up to `toBlock`, with its figures over all time, best first (points, then
 * verified instructions, then jobs). Active hours are UTC hours of the closing blocks' timestamps.
 */
export async function chainLeaderboard(conn: ChainConnection, toBlock: bigint): Promise<ChainLeaderboardRow[]> {
  const logs = await conn.publicClient.getLogs({ address: conn.network.contracts.market, fromBlock: BigInt(conn.network.deployBlock), toBlock });
  const events = parseEventLogs({ abi: lilypadMarketAbi, logs });
  const deals = new Map<Hex, { provider: Address; terms: Deal; instructions: bigint }>();
  const rows = new Map<Address, ChainLeaderboardRow & { hours: Set<number> }>();
  const rowOf = (provider: Address) => {
    let row = rows.get(provider);
    if (!row) {
      row = { provider, points: 0, verifiedInstructions: 0n, jobsCompleted: 0, activeHours: 0, earned: 0n, lost: 0, timedOut: 0, challenged: 0, hours: new Set() };
      rows.set(provider, row);
    }
    return row;
  };
  const blockTimes = new Map<bigint, number>();
  const timeOf = async (blockNumber: bigint) => {
    let time = blockTimes.get(blockNumber);
    if (time === undefined) {
      time = Number((await conn.publicClient.getBlock({ blockNumber })).timestamp);
      blockTimes.set(blockNumber, time);
    }
    return time;
  };

  for (const event of events) {
    switch (event.eventName) {
      case "DealOpened": {
        const provider = getAddress(event.args.provider);
        deals.set(event.args.dealId, { provider, terms: unpackDeal(event.args.deal), instructions: 0n });
        rowOf(provider);
        break;
      }
      case "ResultPosted": {
        const deal = deals.get(event.args.dealId);
        if (deal) deal.instructions = event.args.result.instructions;
        break;
      }
      case "DealChallenged": {
        const deal = deals.get(event.args.dealId);
        if (deal) rowOf(deal.provider).challenged++;
        break;
      }
      case "DealClosed": {
        const deal = deals.get(event.args.dealId);
        if (!deal) break;
        const row = rowOf(deal.provider);
        const outcome = event.args.outcome;
        if (VERIFIED.has(outcome)) {
          row.jobsCompleted++;
          row.verifiedInstructions += deal.instructions;
          row.earned += costOf(deal.terms, deal.instructions);
          row.hours.add(Math.floor((await timeOf(event.blockNumber)) / 3600));
        } else if (outcome === Outcome.ProviderWrong) {
          row.lost++;
        } else if (outcome === Outcome.ResultTimeout) {
          row.timedOut++;
        }
        break;
      }
      default:
        break;
    }
  }

  return [...rows.values()]
    .map(({ hours, ...row }) => {
      const activeHours = hours.size;
      return { ...row, activeHours, points: pointsOf({ ...row, activeHours }) };
    })
    .sort(
      (a, b) =>
        b.points - a.points ||
        (b.verifiedInstructions > a.verifiedInstructions ? 1 : b.verifiedInstructions < a.verifiedInstructions ? -1 : 0) ||
        b.jobsCompleted - a.jobsCompleted,
    );
}
