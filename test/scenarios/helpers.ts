// Shared by the scenario suites: each party's escrow, read now or at a block, and the exact-settlement check.
import assert from "node:assert/strict";
import { parseEventLogs, type Address, type Hex } from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { escrowBalance, type EscrowBalance } from "../../src/chain/market/escrow.ts";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import type { Outcome } from "../../src/core/dealTypes.ts";
import type { Settlement } from "../../src/core/settlement.ts";

export type Party = "creator" | "provider" | "mediator";
export const PARTIES: Party[] = ["creator", "provider", "mediator"];
export type Balances = Record<Party, EscrowBalance>;

/** The escrow of each party, now or as it was at the end of `blockNumber`. */
export async function balancesOf(conn: ChainConnection, who: Record<Party, Address>, blockNumber?: bigint): Promise<Balances> {
  const read = async (address: Address): Promise<EscrowBalance> => {
    if (blockNumber === undefined) return escrowBalance(conn, address);
    const [available, locked] = await conn.publicClient.readContract({
      address: conn.network.contracts.market,
      abi: lilypadMarketAbi,
      functionName: "balanceOf",
      args: [address],
      blockNumber,
    });
    return { available, locked, wallet: 0n };
  };
  const [creator, provider, mediator] = await Promise.all([read(who.creator), read(who.provider), read(who.mediator)]);
  return { creator, provider, mediator };
}

/** The block of the deal's `event` (the moment its collateral is all locked). */
export async function blockOf(conn: ChainConnection, dealId: Hex, event: "DealOpened" | "ResultPosted" | "DealChallenged"): Promise<bigint> {
  const logs = await conn.publicClient.getLogs({ address: conn.network.contracts.market, fromBlock: BigInt(conn.network.deployBlock) });
  const log = parseEventLogs({ abi: lilypadMarketAbi, logs, eventName: event }).find((l) => l.args.dealId === dealId);
  assert.ok(log?.blockNumber, `no ${event} for ${dealId}`);
  return log.blockNumber;
}

/** How the deal closed on chain (undefined while it is open). */
export async function closedOutcome(conn: ChainConnection, dealId: Hex): Promise<Outcome | undefined> {
  const logs = await conn.publicClient.getLogs({ address: conn.network.contracts.market, fromBlock: BigInt(conn.network.deployBlock) });
  const log = parseEventLogs({ abi: lilypadMarketAbi, logs, eventName: "DealClosed" }).find((l) => l.args.dealId === dealId);
  return log?.args.outcome as Outcome | undefined;
}

/**
 * Each party's escrow changed by exactly the settlement: while the deal was challenged it held `unlock` more
 * locked than before; after it closed nothing is left locked and `available` moved by `credit - unlock` (what was
 * locked came out of `available`). Wallets are untouched.
 */
export function assertSettled(s: Settlement, before: Balances, during: Balances, after: Balances): void {
  for (const p of PARTIES) {
    assert.equal(during[p].locked - before[p].locked, s[p].unlock, `${p}: locked during the deal`);
    assert.equal(after[p].locked, before[p].locked, `${p}: nothing left locked`);
    assert.equal(after[p].available - before[p].available, s[p].credit - s[p].unlock, `${p}: available`);
    assert.equal(after[p].wallet, before[p].wallet, `${p}: wallet`);
  }
}
