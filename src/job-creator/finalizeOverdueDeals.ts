// Settles the caller's deals whose party went silent: past a phase's deadline anyone may finalize a deal, and the
// market then refunds or pays as its rules say (a silent provider's creator gets its payment back and the
// provider's timeout collateral; a silent creator's provider is paid; a silent mediator's deal refunds both).
import { isAddressEqual, parseEventLogs, type Address, type Hex } from "viem";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { lilypadMarketAbi } from "../chain/generated/contracts.ts";
import { finalizeDeals } from "../chain/market/dealCalls.ts";
import { MarketTxError } from "../chain/market/sendMarketTx.ts";
import type { Outcome } from "../core/dealTypes.ts";
import { settlementOf, type AccountChange } from "../core/settlement.ts";
import { readDealStatus, readLiveDealsOf, type DealStatus } from "./dealStatus.ts";
import { DealClosedError, DealNotFoundError, DealNotOverdueError, NotYourDealError } from "./errors.ts";

export interface FinalizeOverdueDealsParameters {
  /** Acts as this connection's account, which pays the gas. */
  conn: ChainConnection;
  /**
   * The deals to finalize: each must be the account's (as creator or provider), not closed and overdue, or the
   * call throws before sending anything. Default: every overdue deal of the account.
   */
  dealIds?: readonly Hex[];
}

/** One party's share of a settlement: `unlocked` left its locked balance, `credited` joined its available one. */
export interface PartyPayout extends AccountChange {
  address: Address;
}

export interface FinalizedDeal {
  dealId: Hex;
  outcome: Outcome;
  creator: PartyPayout;
  provider: PartyPayout;
  mediator: PartyPayout;
  /** What the provider earned for the job (0 unless it had posted a result). */
  payment: bigint;
}

export interface FinalizeOverdueDealsResult {
  finalized: FinalizedDeal[];
  /** The finalizing transaction (none when there was nothing to finalize). */
  txHash?: Hex;
  /** The account's deals still in a phase whose deadline has not passed (only when no ids were given). */
  notYetDue: DealStatus[];
}

/**
 * Finalizes the given deals, or every overdue deal of the account, in one transaction, and says what each party
 * received. Throws DealNotFoundError, NotYourDealError, DealClosedError or DealNotOverdueError for a given id that
 * cannot be finalized.
 */
export async function finalizeOverdueDeals(params: FinalizeOverdueDealsParameters): Promise<FinalizeOverdueDealsResult> {
  const { conn } = params;
  let due: DealStatus[];
  let notYetDue: DealStatus[] = [];
  if (params.dealIds) {
    due = [];
    for (const dealId of new Set(params.dealIds)) due.push(checkFinalizable(conn, dealId, await readDealStatus(conn, dealId)));
  } else {
    const live = await readLiveDealsOf(conn, conn.address);
    due = live.filter((d) => d.overdue);
    notYetDue = live.filter((d) => !d.overdue);
  }
  if (due.length === 0) return { finalized: [], notYetDue };
  const receipt = await finalizeDeals(conn, due.map((d) => ({ dealId: d.dealId, deal: d.deal, result: d.result }))).catch(async (error: unknown) => {
    // Someone settled one of them meanwhile (the batch is all or nothing): say which, from the chain.
    if (error instanceof MarketTxError && error.revert) for (const d of due) checkFinalizable(conn, d.dealId, await readDealStatus(conn, d.dealId));
    throw error;
  });
  const closed = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealClosed" });
  const outcomes = new Map(closed.map((log) => [log.args.dealId.toLowerCase(), log.args.outcome as Outcome]));
  const finalized = due.flatMap((d): FinalizedDeal[] => {
    const outcome = outcomes.get(d.dealId.toLowerCase());
    if (outcome === undefined) return [];
    const s = settlementOf(d.terms, outcome, d.result.instructions);
    return [
      {
        dealId: d.dealId,
        outcome,
        creator: { address: d.terms.creator, ...s.creator },
        provider: { address: d.terms.provider, ...s.provider },
        mediator: { address: d.terms.mediator, ...s.mediator },
        payment: s.payment,
      },
    ];
  });
  return { finalized, txHash: receipt.transactionHash, notYetDue };
}

/** The status of a deal the caller named, if it may be finalized now; otherwise the error that says why not. */
function checkFinalizable(conn: ChainConnection, dealId: Hex, status: DealStatus | undefined): DealStatus {
  if (!status) throw new DealNotFoundError({ dealId, network: conn.network.name });
  const { creator, provider } = status.terms;
  if (!isAddressEqual(creator, conn.address) && !isAddressEqual(provider, conn.address)) {
    throw new NotYourDealError({ dealId, account: conn.address, creator, provider });
  }
  if (status.phase === "closed") throw new DealClosedError({ dealId, outcome: status.outcome });
  if (!status.overdue) throw new DealNotOverdueError({ dealId, phase: status.phase, deadline: status.deadline, chainTime: status.chainTime });
  return status;
}
