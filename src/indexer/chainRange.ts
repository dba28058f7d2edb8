// What the indexer reads from one range of blocks, in chain order, before it is written: the market's deal,
// registry and service events, each with its block time and its share of its transaction's gas.
import type { Address, Hex } from "viem";
import type { PackedDeal } from "../core/dealPacking.ts";
import type { Outcome, Result } from "../core/dealTypes.ts";

/** Where an event sits on chain, and the gas it accounts for. */
export interface EventPlace {
  block: number;
  logIndex: number;
  /** The block's timestamp (unix seconds). */
  at: number;
  tx: Hex;
  /** Gas the whole transaction used, and this event's share of it (a batch of n deal events splits it n ways). */
  txGasUsed: bigint;
  gasShare: bigint;
}

export type IndexEvent = EventPlace &
  (
    | { kind: "opened"; dealId: Hex; provider: Address; moduleId: Hex; inputsHash: Hex; deal: PackedDeal }
    | { kind: "result"; dealId: Hex; result: Result }
    | { kind: "challenged"; dealId: Hex; mediator: Address }
    | { kind: "closed"; dealId: Hex; outcome: Outcome }
    | { kind: "modulePublished"; publisher: Address; name: string; version: string; moduleId: Hex }
    | { kind: "moduleBlocked"; moduleId: Hex; blocked: boolean; reason: string }
    | { kind: "serviceRegistered"; service: Address; role: number; url: string }
    | { kind: "serviceUnregistered"; service: Address; role: number }
  );

export type DealIndexEvent = Extract<IndexEvent, { dealId: Hex }>;

export interface ChainRange {
  fromBlock: number;
  toBlock: number;
  /** The chain's head (minus confirmations) when the range was chosen. */
  head: { number: number; timestamp: number };
  events: IndexEvent[];
}
