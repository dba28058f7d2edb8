// The market events of a few given deals over a block range, in one eth_getLogs call per chunk of deal ids: the
// node filters by event and by deal id (the first indexed argument of each), so a role that follows a handful of
// deals does not read every deal of the market.
import { formatLog, numberToHex, parseEventLogs, toEventSelector, getAbiItem, type Hex, type RpcLog } from "viem";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";

const EVENT_NAMES = ["DealOpened", "ResultPosted", "DealChallenged", "DealClosed"] as const;
const SELECTORS: Hex[] = EVENT_NAMES.map((name) => toEventSelector(getAbiItem({ abi: lilypadMarketAbi, name })));
/** Deal ids per call: nodes limit how many topics one filter may list. */
const IDS_PER_CALL = 100;

export type DealEvent = ReturnType<typeof parseEventLogs<typeof lilypadMarketAbi, true, (typeof EVENT_NAMES)[number]>>[number];

export interface ReadDealEventsParameters {
  dealIds: readonly Hex[];
  fromBlock: bigint;
  toBlock: bigint;
}

/** DealOpened, ResultPosted, DealChallenged and DealClosed of `dealIds` in [fromBlock, toBlock], in chain order. */
export async function readDealEvents(conn: ChainConnection, { dealIds, fromBlock, toBlock }: ReadDealEventsParameters): Promise<DealEvent[]> {
  const events: DealEvent[] = [];
  for (let i = 0; i < dealIds.length; i += IDS_PER_CALL) {
    const logs: RpcLog[] = await conn.publicClient.request({
      method: "eth_getLogs",
      params: [
        {
          address: conn.network.contracts.market,
          topics: [SELECTORS, dealIds.slice(i, i + IDS_PER_CALL) as Hex[]],
          fromBlock: numberToHex(fromBlock),
          toBlock: numberToHex(toBlock),
        },
      ],
    });
    events.push(...parseEventLogs({ abi: lilypadMarketAbi, eventName: [...EVENT_NAMES], logs: logs.map((log) => formatLog(log)), strict: true }));
  }
  // Chunks each come in chain order; together, they must be merged.
  if (dealIds.length > IDS_PER_CALL) events.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  return events;
}
