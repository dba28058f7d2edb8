// The OnChainJobCreator contract, as its judge uses it: read a request (who judges it), and accept or challenge the
// result posted for its deal. Other contracts make the requests; the relay only forwards and, when named, judges.
import type { Address, Hex, TransactionReceipt } from "viem";
import type { PackedDeal } from "../core/dealPacking.ts";
import type { Result } from "../core/dealTypes.ts";
import { LilypadError } from "../core/errors.ts";
import type { ChainConnection } from "./chainConnection.ts";
import { contractRevertOf } from "./contractRevert.ts";
import { onChainJobCreatorAbi } from "./generated/contracts.ts";
import { reportTransaction, waitAndReport } from "./observeTransactions.ts";

/** Mirrors IOnChainJobCreator.RequestStatus. */
export const RequestStatus = { None: 0, Pending: 1, Completed: 2, Cancelled: 3 } as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

/** A request as the contract keeps it. */
export interface OnChainRequest {
  client: Address;
  status: RequestStatus;
  /** Whether its judge challenged the result (the mediation fee is then spent). */
  challenged: boolean;
  expiry: bigint;
  payment: bigint;
  /** Who may accept or challenge (the client itself when the request named nobody). */
  judge: Address;
  mediationFee: bigint;
  dealId: Hex;
}

/** Reads request `requestId` (all zero when there is none). */
export async function requestOf(conn: ChainConnection, requestId: bigint): Promise<OnChainRequest> {
  const r = await conn.publicClient.readContract({
    address: conn.network.contracts.jobCreator,
    abi: onChainJobCreatorAbi,
    functionName: "requestOf",
    args: [requestId],
  });
  return { ...r, status: r.status as RequestStatus };
}

export type JudgeVerdict = "accept" | "challenge";

export interface JudgeRequestParameters {
  requestId: bigint;
  /** The deal's packed terms, from DealOpened. */
  deal: PackedDeal;
  /** The posted result, from ResultPosted. */
  result: Result;
  verdict: JudgeVerdict;
}

/** The job creator refused a judge's call (or it could not be sent). */
export class JudgeTxError extends LilypadError {
  /** The custom error's name (the job creator's, e.g. NotJudge, or the market's, e.g. DeadlinePassed), when it reverted. */
  readonly revert: string | undefined;

  constructor(params: { verdict: JudgeVerdict; revert?: string; cause?: unknown }) {
    const detail = params.revert ? `refused: ${params.revert}` : params.cause instanceof Error ? params.cause.message : "unknown failure";
    super({ code: "JUDGE_TX_FAILED", message: `${params.verdict} failed: ${detail}`, cause: params.cause });
    this.name = "JudgeTxError";
    this.revert = params.revert;
  }
}

/**
 * Gas per call, set rather than estimated: accepting pays the provider and runs the job creator's callback (200,000
 * from the market, 120,000 of it for the client), whose try/catch an estimate can undercount.
 */
const GAS: Record<JudgeVerdict, bigint> = { accept: 800_000n, challenge: 300_000n };

/** Judge only: accepts (the provider is paid, the client called back) or challenges (the mediator re-runs) the result. */
export async function judgeRequest(conn: ChainConnection, { requestId, deal, result, verdict }: JudgeRequestParameters): Promise<TransactionReceipt> {
  const call = { address: conn.network.contracts.jobCreator, abi: onChainJobCreatorAbi, functionName: verdict, args: [requestId, deal, result] } as const;
  let hash: Hex;
  try {
    // Simulated first: a refusal (the window closed, another judge's call came first) comes back named, unmined.
    await conn.publicClient.simulateContract({ ...call, account: conn.account });
    hash = await conn.wallet.writeContract({ ...call, gas: GAS[verdict] });
  } catch (error) {
    reportTransaction(conn, { contract: "jobCreator", method: verdict, status: "failed" });
    throw new JudgeTxError({ verdict, revert: contractRevertOf(error)?.name, cause: error });
  }
  const receipt = await waitAndReport(conn, hash, { contract: "jobCreator", method: verdict });
  if (receipt.status !== "success") throw new JudgeTxError({ verdict, cause: new Error(`transaction ${hash} reverted`) });
  return receipt;
}
