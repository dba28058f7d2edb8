// Where deals stand on chain, read at one block: their terms and last posted result from the market's events,
// their phase and its deadline from the creator's lane, and the chain's clock (the block's timestamp), which is
// what the market judges deadlines by.
import { getAbiItem, isAddressEqual, type Address, type Block, type Hex } from "viem";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { lilypadMarketAbi } from "../chain/generated/contracts.ts";
import { unpackDeal, type PackedDeal } from "../core/dealPacking.ts";
import { DealState, emptyResult, type Deal, type Outcome, type Result } from "../core/dealTypes.ts";

/** A deal's phase: waiting for a result, for the creator's judgement, for the mediator's ruling, or over. */
export type DealPhase = "open" | "result-posted" | "challenged" | "closed";

export interface DealStatus {
  dealId: Hex;
  /** The packed terms, as the market takes them back. */
  deal: PackedDeal;
  terms: Deal;
  /** The last posted result (the empty result when none was posted). */
  result: Result;
  phase: DealPhase;
  /** When the current phase times out, in unix seconds by the chain's clock (0 once closed). */
  deadline: number;
  /** How the deal closed (closed deals only). */
  outcome?: Outcome;
  /** The timestamp of the block read: the chain's clock. */
  chainTime: number;
  /** Past its phase's deadline and not closed: anyone may finalize it. */
  overdue: boolean;
}

const PHASES: Partial<Record<DealState, DealPhase>> = {
  [DealState.Open]: "open",
  [DealState.ResultPosted]: "result-posted",
  [DealState.Challenged]: "challenged",
};

const dealOpened = getAbiItem({ abi: lilypadMarketAbi, name: "DealOpened" });
const resultPosted = getAbiItem({ abi: lilypadMarketAbi, name: "ResultPosted" });
const dealClosed = getAbiItem({ abi: lilypadMarketAbi, name: "DealClosed" });

interface Opened {
  dealId: Hex;
  deal: PackedDeal;
  blockNumber: bigint;
}

/** One deal's status at the latest block; undefined when no deal with this id was opened. */
export async function readDealStatus(conn: ChainConnection, dealId: Hex): Promise<DealStatus | undefined> {
  const block = await conn.publicClient.getBlock();
  const [log] = await conn.publicClient.getLogs({
    address: conn.network.contracts.market,
    event: dealOpened,
    args: { dealId },
    fromBlock: BigInt(conn.network.deployBlock),
    toBlock: block.number,
  });
  if (!log) return undefined;
  const opened = { dealId, deal: log.args.deal as PackedDeal, blockNumber: log.blockNumber };
  const [closed] = await conn.publicClient.getLogs({
    address: conn.network.contracts.market,
    event: dealClosed,
    args: { dealId },
    fromBlock: opened.blockNumber,
    toBlock: block.number,
  });
  return statusAt(conn, opened, block, closed?.args.outcome as Outcome | undefined);
}

/** The deals of `account` (as creator or provider) that are not closed, at the latest block, oldest first. */
export async function readLiveDealsOf(conn: ChainConnection, account: Address): Promise<DealStatus[]> {
  const block = await conn.publicClient.getBlock();
  const { market } = conn.network.contracts;
  // The creator is not an indexed field, so every deal opened is read; the provider filter cannot help here.
  const opened = await conn.publicClient.getLogs({ address: market, event: dealOpened, fromBlock: BigInt(conn.network.deployBlock), toBlock: block.number });
  const mine: Opened[] = opened
    .map((log) => ({ dealId: log.args.dealId as Hex, deal: log.args.deal as PackedDeal, blockNumber: log.blockNumber }))
    .filter(({ deal }) => {
      const terms = unpackDeal(deal);
      return isAddressEqual(terms.creator, account) || isAddressEqual(terms.provider, account);
    });
  const first = mine[0];
  if (!first) return [];
  const closed = await conn.publicClient.getLogs({ address: market, event: dealClosed, fromBlock: first.blockNumber, toBlock: block.number });
  const closedIds = new Set(closed.map((log) => (log.args.dealId as Hex).toLowerCase()));
  const live = mine.filter((d) => !closedIds.has(d.dealId.toLowerCase()));
  return Promise.all(live.map((d) => statusAt(conn, d, block, undefined)));
}

/** A deal's status at `block`, given whether (and how) it closed by then. */
async function statusAt(conn: ChainConnection, opened: Opened, block: Block<bigint, false, "latest">, outcome: Outcome | undefined): Promise<DealStatus> {
  const terms = unpackDeal(opened.deal);
  const chainTime = Number(block.timestamp);
  const base = { dealId: opened.dealId, deal: opened.deal, terms, chainTime };
  const posted = await conn.publicClient.getLogs({
    address: conn.network.contracts.market,
    event: resultPosted,
    args: { dealId: opened.dealId },
    fromBlock: opened.blockNumber,
    toBlock: block.number,
  });
  const result = (posted.at(-1)?.args.result as Result | undefined) ?? emptyResult;
  if (outcome !== undefined) return { ...base, result, phase: "closed", deadline: 0, outcome, overdue: false };
  // The deal is not closed, so it is its lane's current deal: the lane says its phase and deadline.
  const [state, deadline] = await conn.publicClient.readContract({
    address: conn.network.contracts.market,
    abi: lilypadMarketAbi,
    functionName: "laneStatus",
    args: [terms.creator, terms.lane],
    blockNumber: block.number,
  });
  const phase = PHASES[state as DealState];
  if (!phase) return { ...base, result, phase: "closed", deadline: 0, overdue: false };
  return { ...base, result, phase, deadline, overdue: chainTime > deadline };
}
