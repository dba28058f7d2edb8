// The on-chain job relay as a judge. A request may name an account that accepts or challenges its result through
// OnChainJobCreator (`judge`); when it names the relay, the relay does what the SDK does for its own jobs: once the
// provider posts the result, it downloads it from the provider's registered URL, verifies it against the CID on
// chain, makes the cheap checks (instruction count within the module's limit, output hash = keccak-256 of stdout)
// and draws the spot check (checkResult), then calls `accept` or `challenge` before the judging window closes. A
// result it cannot download or check is challenged: the mediator re-runs the job, and the client's mediation fee
// pays for it.
//
// The relay reads JobRequested and the market's events over the same block ranges (the relay's cursor), so a
// request is always followed before its deal's events are read. It follows only requests that name it and are
// still pending (one call each to read the judge), and reads only those deals' events. A deal stops being followed
// when it closes, or when its offer expired unopened. A judgement that fails is logged: the deal then closes by the
// market's rules without it (finalized at the end of the window, the provider paid), as any unjudged deal does.
import type { Address, Hex, TransactionReceipt } from "viem";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { laneStatus } from "../chain/market/laneStatus.ts";
import { DealBook, type TrackedDeal } from "../chain/market/dealTracker.ts";
import { readDealEvents } from "../chain/market/readDealEvents.ts";
import {
  judgeRequest,
  JudgeTxError,
  RequestStatus,
  requestOf,
  type JudgeRequestParameters,
  type JudgeVerdict,
} from "../chain/onChainJobCreator.ts";
import { ServiceRole, serviceUrlOf } from "../chain/serviceRegistry.ts";
import { unpackDeal } from "../core/dealPacking.ts";
import { DealState, type Result } from "../core/dealTypes.ts";
import type { Logger } from "../core/logger.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { refusesPrivateAddresses } from "../net/privateAddresses.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { checkResult, downloadResult } from "./checkResult.ts";
import { readDealManifest } from "./readDealManifest.ts";

/** The longest the checks may take (ms), however long the judging window: half the time left, at most this. */
export const MAX_CHECK_MS = 120_000;
/** Requests whose judge is read at once. */
const JUDGES_READ_AT_ONCE = 16;
/** Attempts at the accept or challenge transaction when the chain does not answer (a refusal is final). */
const JUDGE_TX_ATTEMPTS = 3;

export interface RelayJudgeParameters {
  /** The relay's account: requests that name it as their judge are judged. */
  conn: ChainConnection;
  log: Logger;
  /** Where downloaded results and fetched manifests go. */
  blockstore: Blockstore;
  workDir: string;
  /** Probability (0-1) of challenging a result that passes the checks, as a spot check. Default 0. */
  mediationChance?: number;
  /** Draws the spot check (default Math.random). */
  random?: () => number;
  /**
   * Download results and manifests from loopback, private and link-local addresses. Default: only on a devnet (chain
   * id 31337); elsewhere a provider whose registered URL is (or resolves to) one is refused, and its result challenged.
   */
  allowPrivateAddresses?: boolean;
}

/** A request the relay judged: the transaction went through. */
export interface JudgedRequest {
  requestId: bigint;
  dealId: Hex;
  client: Address;
  provider: Address;
  verdict: JudgeVerdict;
  /** Why it challenged (a failed download or check, or the spot check). */
  reason?: string;
  txHash: Hex;
}

/** A request the relay should have judged and could not (the window closed, the transaction failed). */
export interface UnjudgedRequest {
  requestId: bigint;
  dealId: Hex;
  client: Address;
  reason: string;
}

/** A JobRequested event, as the judge needs it. */
export interface RequestedJob {
  requestId: bigint;
  dealId: Hex;
  client: Address;
  /** The offer's expiry: past it, unopened, the request needs no judge. */
  expiry: bigint;
}

interface FollowedRequest extends RequestedJob {
  /** Its deal, once opened (a challenged one was challenged already, by this relay before a restart). */
  deal?: TrackedDeal;
  judging?: Promise<void>;
}

export class RelayJudge {
  readonly #p: RelayJudgeParameters;
  readonly #log: Logger;
  readonly #address: Address;
  readonly #refusePrivateAddresses: boolean;
  /** Requests whose judge was read, followed or not. */
  readonly #known = new Set<bigint>();
  readonly #followed = new Map<Hex, FollowedRequest>();
  /** The followed requests' deals, from their events. */
  readonly #deals = new DealBook();
  readonly #judging = new Set<Promise<void>>();
  readonly #manifests = new Map<Hex, Promise<ModuleManifest>>();
  readonly #judgedListeners = new Set<(j: JudgedRequest) => void>();
  readonly #unjudgedListeners = new Set<(u: UnjudgedRequest) => void>();
  /** Aborted by stop(); a new one for each start. */
  #closing = new AbortController();

  constructor(params: RelayJudgeParameters) {
    const chance = params.mediationChance ?? 0;
    if (!(chance >= 0 && chance <= 1)) throw new RangeError(`the mediation chance must be from 0 to 1, not ${chance}`);
    this.#p = params;
    this.#address = params.conn.address;
    this.#log = params.log;
    this.#refusePrivateAddresses = refusesPrivateAddresses({ chainId: params.conn.network.chainId, allowPrivateAddresses: params.allowPrivateAddresses });
  }

  /** Requests that name this relay as judge and are not settled yet. */
  get following(): number {
    return this.#followed.size;
  }

  /** Called after each accept or challenge. */
  onJudged(listener: (j: JudgedRequest) => void): () => void {
    this.#judgedListeners.add(listener);
    return () => this.#judgedListeners.delete(listener);
  }

  /** Called for each result the relay should have judged and could not. */
  onUnjudged(listener: (u: UnjudgedRequest) => void): () => void {
    this.#unjudgedListeners.add(listener);
    return () => this.#unjudgedListeners.delete(listener);
  }

  /**
   * Reads who judges each new request, and follows the pending ones that name this relay. Throws when the chain
   * cannot be read; the requests already read are kept, so calling again with the same ones costs only the rest.
   */
  async track(requests: readonly RequestedJob[]): Promise<void> {
    const fresh = requests.filter((r) => !this.#known.has(r.requestId));
    for (let i = 0; i < fresh.length; i += JUDGES_READ_AT_ONCE) {
      const batch = fresh.slice(i, i + JUDGES_READ_AT_ONCE);
      const read = await Promise.all(batch.map((r) => requestOf(this.#p.conn, r.requestId)));
      for (const [j, request] of batch.entries()) {
        const onChain = read[j]!;
        this.#known.add(request.requestId);
        if (onChain.judge !== this.#address || onChain.status !== RequestStatus.Pending) continue;
        this.#followed.set(request.dealId, { ...request });
        this.#log.info({ requestId: request.requestId.toString(), dealId: request.dealId }, "request names this relay as its judge");
      }
    }
  }

  /**
   * Reads the followed deals' events in [fromBlock, toBlock] and starts judging each posted result. `head` is the
   * chain's latest block: once read up to it, requests whose offer expired unopened are let go. Throws when the
   * chain cannot be read (nothing is lost: the range is read again).
   */
  async read({ fromBlock, toBlock, head }: { fromBlock: bigint; toBlock: bigint; head: { number: bigint; timestamp: bigint } }): Promise<void> {
    if (this.#followed.size === 0) return;
    const events = await readDealEvents(this.#p.conn, { dealIds: [...this.#followed.keys()], fromBlock, toBlock });
    for (const { deal } of this.#deals.apply(events)) {
      const f = this.#followed.get(deal.dealId);
      if (f) f.deal = deal;
    }
    for (const [dealId, f] of this.#followed) {
      if (f.deal?.state === DealState.Closed) {
        this.#followed.delete(dealId);
      } else if (f.deal?.state === DealState.ResultPosted && !f.judging) {
        this.#startJudging(f, f.deal);
      } else if (!f.deal && toBlock >= head.number && f.expiry < head.timestamp) {
        // Every block up to the head is read, and none opened the deal: none after it can.
        this.#log.info({ requestId: f.requestId.toString(), dealId }, "request expired unopened; nothing to judge");
        this.#followed.delete(dealId);
      }
    }
  }

  /** Stops judging: checks under way are cut short, and no further transaction is sent. Reading again restarts it. */
  async stop(): Promise<void> {
    const closing = this.#closing;
    closing.abort();
    await Promise.allSettled([...this.#judging]);
    if (this.#closing === closing) this.#closing = new AbortController();
  }

  #startJudging(f: FollowedRequest, deal: TrackedDeal): void {
    const judging = this.#judge(f, deal).finally(() => this.#judging.delete(judging));
    f.judging = judging;
    this.#judging.add(judging);
  }

  /** Checks the result and accepts or challenges it. Never throws: a failure is logged and reported. */
  async #judge(f: FollowedRequest, { deal, result, moduleId }: TrackedDeal): Promise<void> {
    const { requestId, dealId, client } = f;
    const closing = this.#closing.signal;
    const terms = unpackDeal(deal);
    const log = this.#log.child({ requestId: requestId.toString(), dealId, provider: terms.provider });
    try {
      const conn = this.#p.conn;
      const [lane, block] = await Promise.all([laneStatus(conn, terms.creator, terms.lane), conn.publicClient.getBlock({ blockTag: "latest" })]);
      if (lane.state !== DealState.ResultPosted) {
        log.info({ state: lane.state }, "the result is no longer awaiting a judgement");
        return;
      }
      const secondsLeft = lane.deadline - Number(block.timestamp);
      if (secondsLeft <= 0) {
        this.#unjudged(log, f, `the judging window closed ${-secondsLeft} s ago (by the chain's clock) before the relay read the result`);
        return;
      }
      const budgetMs = Math.min(MAX_CHECK_MS, Math.max(1000, (secondsLeft * 1000) / 2));
      const { verdict, reason } = await this.#check({ provider: terms.provider, moduleId, result, budgetMs, closing, log });
      if (closing.aborted) return;
      const receipt = await this.#send({ requestId, deal, result, verdict }, closing);
      log.info({ verdict, reason, txHash: receipt.transactionHash }, verdict === "accept" ? "accepted the result" : "challenged the result");
      this.#emit(this.#judgedListeners, {
        requestId,
        dealId,
        client,
        provider: terms.provider,
        verdict,
        ...(reason === undefined ? {} : { reason }),
        txHash: receipt.transactionHash,
      });
    } catch (error) {
      if (closing.aborted) return;
      this.#unjudged(log, f, error instanceof Error ? error.message : String(error));
    }
  }

  /** What to do with the result; any failure to download or check it challenges. */
  async #check(params: {
    provider: Address;
    moduleId: Hex;
    result: Result;
    budgetMs: number;
    closing: AbortSignal;
    log: Logger;
  }): Promise<{ verdict: JudgeVerdict; reason?: string }> {
    const { provider, moduleId, result, log } = params;
    const signal = AbortSignal.any([AbortSignal.timeout(params.budgetMs), params.closing]);
    // Where the mediator will look for it too: delivery there is part of what mediation checks.
    const url = await serviceUrlOf(this.#p.conn, { service: provider, role: ServiceRole.ResourceProvider });
    if (url === undefined) return { verdict: "challenge", reason: `the provider ${provider} registered no URL to serve its result from` };
    let manifest: ModuleManifest;
    try {
      manifest = await this.#manifestOf(moduleId, url, signal);
    } catch (error) {
      return { verdict: "challenge", reason: `the module's manifest could not be read: ${error instanceof Error ? error.message : String(error)}` };
    }
    const checked = await checkResult({
      result,
      download: async (root) => {
        await downloadResult({ url, root, blockstore: this.#p.blockstore, signal, refusePrivateAddresses: this.#refusePrivateAddresses });
        return url;
      },
      manifest,
      blockstore: this.#p.blockstore,
      mediationChance: this.#p.mediationChance,
      random: this.#p.random,
    });
    if (checked.downloadError !== undefined) log.info({ url, err: checked.downloadError }, "could not download a valid result");
    else if (checked.suspicion !== undefined) log.info({ suspicion: checked.suspicion }, "suspect result");
    if (checked.challenge === undefined) return { verdict: "accept" };
    return { verdict: "challenge", reason: checked.downloadError === undefined ? checked.challenge : `${checked.challenge}: ${checked.downloadError}` };
  }

  /** The module's manifest, kept once read (a manifest never changes under its CID). */
  #manifestOf(moduleId: Hex, providerUrl: string, signal: AbortSignal): Promise<ModuleManifest> {
    let found = this.#manifests.get(moduleId);
    if (!found) {
      found = readDealManifest({
        moduleId,
        blockstore: this.#p.blockstore,
        workDir: this.#p.workDir,
        stores: [providerUrl],
        signal,
        refusePrivateAddresses: this.#refusePrivateAddresses,
      });
      found.catch(() => this.#manifests.delete(moduleId));
      this.#manifests.set(moduleId, found);
    }
    return found;
  }

  /** Sends the verdict; a chain that does not answer is tried again, a refusal (the contract's or the market's) is final. */
  async #send(params: JudgeRequestParameters, closing: AbortSignal): Promise<TransactionReceipt> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await judgeRequest(this.#p.conn, params);
      } catch (error) {
        if (attempt >= JUDGE_TX_ATTEMPTS || (error instanceof JudgeTxError && error.revert !== undefined) || closing.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  #unjudged(log: Logger, f: FollowedRequest, reason: string): void {
    log.warn({ reason }, "could not judge the result; the deal closes without this relay's judgement");
    this.#emit(this.#unjudgedListeners, { requestId: f.requestId, dealId: f.dealId, client: f.client, reason });
  }

  #emit<T>(listeners: Set<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.#log.error({ err: String(error), dealId: (value as { dealId?: Hex }).dealId }, "a relay listener threw");
      }
    }
  }
}
