// The one way every role follows deals: the market's deal events folded, in chain order, into each deal's state
// (a DealBook), fed either by the whole market's event stream (trackDeals: the solver, providers, mediators) or by
// the events of a few named deals (followDeals: a job creator's own deals, the relay's requests). A role keeps
// only the deals it cares about and hears each change once, with the deal's terms as the chain recorded them.
import type { Address, Hex } from "viem";
import type { Logger } from "../../core/logger.ts";
import type { PackedDeal } from "../../core/dealPacking.ts";
import { DealState, emptyResult, type Outcome, type Result } from "../../core/dealTypes.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { confirmedBlockNumber } from "../waitForReceipt.ts";
import { readDealEvents, type DealEvent } from "./readDealEvents.ts";
import { backoff, logChainOutages, watchMarketEvents, type ChainProgress, type MarketEvent, type MarketWatcher } from "./watchMarketEvents.ts";

/** A deal as its events describe it. */
export interface TrackedDeal {
  dealId: Hex;
  provider: Address;
  moduleId: Hex;
  inputsHash: Hex;
  /** The packed terms from DealOpened: what the market hashes, so what every later call must send back. */
  deal: PackedDeal;
  state: DealState;
  /** The result posted (the empty result before one is). */
  result: Result;
  /** Drawn when the result was challenged. */
  mediator?: Address;
  outcome?: Outcome;
}

export type DealChangeKind = "opened" | "posted" | "challenged" | "closed";

export interface DealChange {
  kind: DealChangeKind;
  /** The deal after the change (a closed deal has left the book by the time its change is handed out). */
  deal: TrackedDeal;
  txHash: Hex;
  blockNumber: bigint;
}

/**
 * The deals a role follows, and their state. Events for deals it does not hold (not kept, or opened before the
 * role started reading and not resumed) are ignored; a closed deal leaves the book.
 */
export class DealBook {
  readonly #deals = new Map<Hex, TrackedDeal>();
  readonly #keep: (deal: TrackedDeal) => boolean;

  /** `keep` decides, when a deal opens, whether the book follows it (default: every deal). */
  constructor(keep: (deal: TrackedDeal) => boolean = () => true) {
    this.#keep = keep;
  }

  get(dealId: Hex): TrackedDeal | undefined {
    return this.#deals.get(dealId);
  }

  values(): IterableIterator<TrackedDeal> {
    return this.#deals.values();
  }

  get size(): number {
    return this.#deals.size;
  }

  /** Follows a deal read back from the chain (a role resuming after a restart); a closed one is not kept. */
  adopt(deal: TrackedDeal): void {
    if (deal.state !== DealState.Closed && deal.state !== DealState.None) this.#deals.set(deal.dealId, deal);
  }

  /** Stops following a deal (its events are ignored from now on). */
  drop(dealId: Hex): void {
    this.#deals.delete(dealId);
  }

  /** Folds events, in chain order, into the book; returns the changes to the deals it holds, in the same order. */
  apply(events: readonly (MarketEvent | DealEvent)[]): DealChange[] {
    const changes: DealChange[] = [];
    for (const event of events) {
      const at = { txHash: event.transactionHash as Hex, blockNumber: event.blockNumber as bigint };
      switch (event.eventName) {
        case "DealOpened": {
          if (this.#deals.has(event.args.dealId)) break;
          const deal: TrackedDeal = {
            dealId: event.args.dealId,
            provider: event.args.provider,
            moduleId: event.args.moduleId,
            inputsHash: event.args.inputsHash,
            deal: event.args.deal as PackedDeal,
            state: DealState.Open,
            result: emptyResult,
          };
          if (!this.#keep(deal)) break;
          this.#deals.set(deal.dealId, deal);
          changes.push({ kind: "opened", deal: { ...deal }, ...at });
          break;
        }
        case "ResultPosted":
          this.#change(event.args.dealId, "posted", { state: DealState.ResultPosted, result: event.args.result }, at, changes);
          break;
        case "DealChallenged":
          this.#change(event.args.dealId, "challenged", { state: DealState.Challenged, mediator: event.args.mediator }, at, changes);
          break;
        case "DealClosed":
          this.#change(event.args.dealId, "closed", { state: DealState.Closed, outcome: event.args.outcome as Outcome }, at, changes);
          this.#deals.delete(event.args.dealId);
          break;
      }
    }
    return changes;
  }

  #change(dealId: Hex, kind: DealChangeKind, update: Partial<TrackedDeal>, at: Pick<DealChange, "txHash" | "blockNumber">, changes: DealChange[]): void {
    const deal = this.#deals.get(dealId);
    if (!deal) return;
    Object.assign(deal, update);
    changes.push({ kind, deal: { ...deal }, ...at });
  }
}

/** Deals' state read back from their events (a role resuming after a restart); a deal never opened is missing. */
export async function readTrackedDeals(conn: ChainConnection, dealIds: readonly Hex[]): Promise<TrackedDeal[]> {
  if (dealIds.length === 0) return [];
  const toBlock = await confirmedBlockNumber(conn);
  const events = await readDealEvents(conn, { dealIds, fromBlock: BigInt(conn.network.deployBlock), toBlock });
  const latest = new Map<Hex, TrackedDeal>();
  for (const change of new DealBook().apply(events)) latest.set(change.deal.dealId, change.deal);
  return [...latest.values()];
}

export interface TrackDealsParameters {
  /** Which deals to follow when they open (default: all). */
  keep?: (deal: TrackedDeal) => boolean;
  /** The first block to read (default: the network's deploy block). */
  fromBlock?: bigint;
  /** Deals opened before `fromBlock` that the role still follows: read back from the chain before the first poll. */
  resume?: readonly Hex[];
  /** Each batch's changes, in chain order. */
  onChanges: (changes: DealChange[]) => void | Promise<void>;
  /** The market's events that are not about one deal's state (module blocks, skipped items, revocations). */
  onOtherEvents?: (events: MarketEvent[]) => void | Promise<void>;
  /** Called after each batch with the block to resume from (for a role that keeps a cursor across restarts). */
  onCursor?: (nextBlock: bigint) => void;
  /** Told where the watcher stands (a role's chain lag metric). */
  onProgress?: (progress: ChainProgress) => void;
  log: Logger;
  pollMs?: number;
}

export interface DealTracker {
  readonly book: DealBook;
  readonly watcher: MarketWatcher;
}

const DEAL_EVENTS = new Set(["DealOpened", "ResultPosted", "DealChallenged", "DealClosed"]);

/** Follows the deals of the whole market. Resolves once resumed deals are read and the first poll is done. */
export async function trackDeals(conn: ChainConnection, params: TrackDealsParameters): Promise<DealTracker> {
  const book = new DealBook(params.keep);
  for (const deal of await readTrackedDeals(conn, params.resume ?? [])) book.adopt(deal);
  const watcher = watchMarketEvents(conn, {
    fromBlock: params.fromBlock,
    pollMs: params.pollMs,
    onProgress: params.onProgress,
    onEvents: async (events) => {
      const others = events.filter((e) => !DEAL_EVENTS.has(e.eventName));
      if (others.length > 0) await params.onOtherEvents?.(others);
      const changes = book.apply(events);
      if (changes.length > 0) await params.onChanges(changes);
      const last = events.at(-1)?.blockNumber;
      if (last !== undefined && last !== null) params.onCursor?.(last + 1n);
    },
    ...logChainOutages(params.log),
  });
  await watcher.poll();
  return { book, watcher };
}

export interface FollowDealsParameters {
  onChanges?: (changes: DealChange[]) => void;
  /** Where outages are reported (default: nowhere; the follower keeps trying). */
  log?: Logger;
  pollMs?: number;
}

/** Follows a few named deals (reading only their events) while any is followed. */
export interface DealFollower {
  /** Follows a deal from `fromBlock` on (a deal id is known before its deal opens: it is the offer's digest). */
  follow(dealId: Hex, fromBlock: bigint): void;
  unfollow(dealId: Hex): void;
  get(dealId: Hex): TrackedDeal | undefined;
  /** Resolves with the deal once it closes; `tick` runs between polls (e.g. to finalize an overdue deal). */
  closed(dealId: Hex, options?: { tick?: () => Promise<void>; signal?: AbortSignal }): Promise<TrackedDeal>;
  stop(): void;
}

interface Followed {
  /** The next block to read for this deal. */
  next: bigint;
  deal?: TrackedDeal;
  waiters: ((deal: TrackedDeal) => void)[];
}

export function followDeals(conn: ChainConnection, params: FollowDealsParameters): DealFollower {
  const pollMs = params.pollMs ?? (conn.network.chainId === 31337 ? 250 : 2000);
  const outages = params.log ? logChainOutages(params.log) : {};
  const followed = new Map<Hex, Followed>();
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let failures = 0;

  const readOnce = async () => {
    const head = await confirmedBlockNumber(conn);
    // Deals followed from different blocks are read in groups that start together.
    const groups = new Map<bigint, Hex[]>();
    for (const [dealId, f] of followed) if (f.next <= head) groups.set(f.next, [...(groups.get(f.next) ?? []), dealId]);
    for (const [fromBlock, dealIds] of groups) {
      const events = await readDealEvents(conn, { dealIds, fromBlock, toBlock: head });
      const book = new DealBook();
      for (const dealId of dealIds) {
        const known = followed.get(dealId)?.deal;
        if (known) book.adopt(known);
      }
      const changes = book.apply(events);
      for (const dealId of dealIds) {
        const f = followed.get(dealId);
        if (f) f.next = head + 1n;
      }
      for (const change of changes) {
        const f = followed.get(change.deal.dealId);
        if (!f) continue;
        f.deal = change.deal;
        if (change.kind === "closed") for (const resolve of f.waiters.splice(0)) resolve(change.deal);
      }
      if (changes.length > 0) params.onChanges?.(changes);
    }
  };
  const loop = async () => {
    timer = undefined;
    if (followed.size === 0) return;
    reading = readOnce()
      .then(() => {
        if (failures > 0) outages.onRecovered?.();
        failures = 0;
      })
      .catch((error: unknown) => {
        failures++;
        outages.onError?.(error, backoff(failures, pollMs));
      })
      .finally(() => {
        reading = undefined;
      });
    await reading;
    if (followed.size > 0 && !timer) timer = setTimeout(loop, failures > 0 ? backoff(failures, pollMs) : pollMs);
  };
  const wake = () => {
    if (!timer && !reading) timer = setTimeout(loop, 0);
  };

  return {
    follow(dealId, fromBlock) {
      if (!followed.has(dealId)) followed.set(dealId, { next: fromBlock, waiters: [] });
      wake();
    },
    unfollow(dealId) {
      followed.delete(dealId);
    },
    get(dealId) {
      return followed.get(dealId)?.deal;
    },
    async closed(dealId, options = {}) {
      const f = followed.get(dealId);
      if (!f) throw new Error(`deal ${dealId} is not followed`);
      if (f.deal?.state === DealState.Closed) return f.deal;
      return await new Promise<TrackedDeal>((resolve, reject) => {
        let ticking: NodeJS.Timeout | undefined;
        const done = (deal: TrackedDeal) => {
          clearTimeout(ticking);
          options.signal?.removeEventListener("abort", aborted);
          resolve(deal);
        };
        const aborted = () => {
          clearTimeout(ticking);
          f.waiters.splice(f.waiters.indexOf(done) >>> 0, 1);
          reject(options.signal?.reason);
        };
        const tick = async () => {
          await options.tick?.().catch(() => {});
          if (f.waiters.includes(done)) ticking = setTimeout(() => void tick(), pollMs * 8);
        };
        f.waiters.push(done);
        if (options.signal?.aborted) return aborted();
        options.signal?.addEventListener("abort", aborted, { once: true });
        if (options.tick) ticking = setTimeout(() => void tick(), pollMs * 8);
      });
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      followed.clear();
    },
  };
}
