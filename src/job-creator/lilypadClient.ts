// The job creator's SDK: `client.run(module, inputs)` signs a job offer, hands it to the solver, follows the deal,
// downloads and verifies the result, spot-checks it with the chosen probability (by sending it to the mediator),
// and accepts it on chain. Every step is an event on the job's stream. Results are downloaded only from the URL the
// deal's provider (or, after a ruling, its mediator) registered on chain, never from a URL a message names, and off
// a devnet never from a loopback, private or link-local address. `client.revokeOffer` takes back an unopened offer.
import { CID } from "multiformats/cid";
import type { Address, Hex } from "viem";
import { laneStatus } from "../chain/market/laneStatus.ts";
import type { JobStatus, ServerMessage } from "../core/api/solverProtocol.ts";
import { DealState, Outcome, emptyResult, type JobOffer, type Result } from "../core/dealTypes.ts";
import { asPackedDeal, unpackDeal, type PackedDeal } from "../core/dealPacking.ts";
import type { ModuleResolver } from "../modules/moduleResolver.ts";
import { inputsHashOf, resolveInputs, type InputValue, type ResolvedInputs } from "../core/moduleInputs.ts";
import type { ModuleEngine, ModuleManifest } from "../core/moduleManifest.ts";
import { costOf } from "../core/pricing.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { BatchQueue } from "../chain/market/batchQueue.ts";
import { acceptResults, challengeResult, finalizeDeals, type DealRef } from "../chain/market/dealCalls.ts";
import type { RevokeOffersResult } from "../chain/market/revokeOffers.ts";
import { MarketTxError } from "../chain/market/sendMarketTx.ts";
import { refusesPrivateAddresses } from "../net/privateAddresses.ts";
import { ensureEscrow } from "../chain/market/escrow.ts";
import { readDeal } from "../chain/market/readDeal.ts";
import { followDeals, readTrackedDeals, type DealFollower } from "../chain/market/dealTracker.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import { outcomeName } from "../core/outcomeName.ts";
import { fileInputCids, storeFileInputs } from "./fileInputs.ts";
import { exportCarBytes } from "../storage/exportCar.ts";
import { isShippedModule } from "../modules/moduleCatalog.ts";
import { NotMediableModuleError } from "../modules/errors.ts";
import { ServiceRole, serviceUrlOf } from "../chain/serviceRegistry.ts";
import { jobOfferDigest, signJobOffer } from "../chain/offers.ts";
import { domainOf } from "../chain/verifyOffers.ts";
import { SolverClient, SolverRequestError, type EventStream } from "../net/solverClient.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { JobEventStream, type JobEvent } from "./jobEvents.ts";
import { buildJobOffer } from "./buildJobOffer.ts";
import { LilypadError } from "../core/errors.ts";
import { JobFailedError, OfferNotRevocableError, ResultTimeoutError } from "./errors.ts";
import { finalizeOverdueDeals, type FinalizeOverdueDealsResult } from "./finalizeOverdueDeals.ts";
import { DEFAULT_JOB_TERMS, type JobTerms } from "./jobTerms.ts";

import { LanePool } from "./lanePool.ts";
import { checkResult, downloadResult, readResultStdout, type ResultVerdict as Verdict } from "./checkResult.ts";
import { retryWhileBusy } from "./retryWhileBusy.ts";
import { revokeJobOffers } from "./revokeJobOffers.ts";

export { DEFAULT_JOB_TERMS, type JobTerms };

/** Failures after which the job's lane is known free: its deal closed, or the market never opened one. */
const SETTLED_FAILURES = new Set(["RESULT_UNAVAILABLE", "RESULT_TIMEOUT", "DECLINED", "REVOKED"]);

/** How often a job waiting on the socket also asks the solver directly (ms). */
const FALLBACK_CHECK_MS = 5000;
/**
 * How long after its deal opens a job first reads its result deadline from the chain, and then how often (ms):
 * most results come before the first read, which then costs nothing.
 */
const DEADLINE_FIRST_CHECK_MS = 3000;
const DEADLINE_CHECK_MS = 5000;
/** How often a job waiting for its result reports the time left (an "awaiting-result" event; ms). */
const DEADLINE_REPORT_MS = 15_000;
/** A provider's registered URL is read again after this long (ms), and at once when a download from it fails. */
const REGISTERED_URL_TTL_MS = 30_000;

export interface LilypadClientParameters {
  conn: ChainConnection;
  solverUrl: string;
  /** Where downloaded results are kept (verified block by block). */
  blockstore: Blockstore;
  /**
   * Whether a file input may be given as a path on this machine, read and added to `blockstore` (default false: only
   * CIDs of files already in it). Never on for a client that runs what strangers send, such as the gateway.
   */
  readLocalFiles?: boolean;
  resolveModule: ModuleResolver;
  /** Mediators this creator trusts (1-4). */
  mediators: Address[];
  terms?: Partial<JobTerms>;
  /** Keep at least this much available in escrow, depositing from the wallet when short (0: never). */
  keepInEscrow?: bigint;
  /** Concurrent jobs: each holds one of the creator's deal lanes. */
  lanes?: number;
  /**
   * Download results from loopback, private and link-local addresses. Default: only on a devnet (chain id 31337);
   * elsewhere a provider or mediator whose registered URL is (or resolves to) one is refused.
   */
  allowPrivateAddresses?: boolean;
  now?: () => number;
}

/** Which unopened offers to revoke: a job this client submitted, or every offer of one of its lanes up to `seq`. */
export type RevokeOfferParameters = { dealId: Hex } | { lane: number; seq: number };
export type { RevokeOffersResult };

export interface RunOptions {
  /** Probability (0-1) of sending a result to the mediator as a spot check (Modicum). Default 0. */
  mediationChance?: number;
  /** Only this provider may take the job. */
  targetProvider?: Address;
  terms?: Partial<JobTerms>;
  /** Job resources (default: the module's manifest). */
  resources?: ModuleManifest["resources"];
}

export interface CollectOptions {
  /** Probability (0-1) of sending a result that passes to the mediator anyway, while it can still be judged. Default 0. */
  mediationChance?: number;
  /** Hears the job's progress from the moment collecting starts. */
  onEvent?: (event: JobEvent) => void;
}

export interface JobResult {
  dealId: Hex;
  module: string;
  moduleCid: string;
  provider: Address;
  resultCid: string;
  /** The job's standard output. */
  stdout: Uint8Array;
  result: Result;
  /** Instructions the run was metered at: 0 for an engine that is not metered (`engine` says which). */
  instructions: bigint;
  /** The module's engine: only wasm runs are metered (isExactlyMetered); js modules are priced per run. */
  engine: ModuleEngine;
  /** What the creator paid the provider (0 when the provider was found wrong). */
  paid: bigint;
  outcome: Outcome;
  /** Whether this creator sent the result to the mediator. */
  challenged: boolean;
  /** Milliseconds from submission to the outcome. */
  elapsedMs: number;
}

export interface JobHandle {
  dealId: Hex;
  /** Progress and logs, in order; ends when the job does. */
  events: JobEventStream;
  result: Promise<JobResult>;
}

export class LilypadClient {
  readonly address: Address;
  readonly #p: LilypadClientParameters;
  readonly #solver: SolverClient;
  readonly #lanes: LanePool;
  readonly #jobs = new Map<Hex, (message: ServerMessage) => void>();
  /** Jobs whose deal has not opened yet: their offer's lane and number, and how to end the job once revoked. */
  readonly #unopened = new Map<Hex, UnopenedJob>();
  /** Providers' registered URLs, as last read from the service registry. */
  readonly #registeredUrls = new Map<Address, { url: string | undefined; at: number }>();
  readonly #refusePrivateAddresses: boolean;
  #events: EventStream | undefined;
  readonly #closing = new AbortController();
  readonly #accepting: BatchQueue<{ ref: DealRef; resolve: () => void; reject: (error: unknown) => void }>;
  #escrowChecked: Promise<void> | undefined;
  #submitter: Promise<Address> | undefined;
  #chainHead: Promise<{ time: number; number: bigint | undefined }> | undefined;
  /** The chain's side of this client's jobs: a deal opened, its result, its ruling, even with the solver gone. */
  readonly #deals: DealFollower;
  /** Content the solver holds already (input files, modules). */
  readonly #uploaded = new Set<string>();

  constructor(params: LilypadClientParameters) {
    this.#p = params;
    this.address = params.conn.address;
    this.#solver = new SolverClient({ url: params.solverUrl, account: params.conn.account, scope: domainOf(params.conn), now: params.now });
    this.#lanes = new LanePool({ conn: params.conn, size: params.lanes ?? 64 });
    this.#deals = followDeals(params.conn, {});
    this.#refusePrivateAddresses = refusesPrivateAddresses({ chainId: params.conn.network.chainId, allowPrivateAddresses: params.allowPrivateAddresses });
    this.#accepting = new BatchQueue({
      send: async (batch) => {
        await acceptResults(params.conn, batch.map((a) => a.ref));
        for (const a of batch) a.resolve();
      },
      onItemError: (a, error) => a.reject(error),
    });
  }

  get solver(): SolverClient {
    return this.#solver;
  }

  /** Runs a job to its end and resolves with the verified result. */
  async run(module: string, inputs: Record<string, InputValue>, options: RunOptions & { onEvent?: (event: JobEvent) => void } = {}): Promise<JobResult> {
    const handle = await this.submit(module, inputs, options);
    if (options.onEvent) handle.events.on(options.onEvent);
    return handle.result;
  }

  /** Submits a job; the handle streams its events and resolves with its result. */
  async submit(module: string, given: Record<string, InputValue>, options: RunOptions = {}): Promise<JobHandle> {
    const started = performance.now();
    const { id, manifest } = await this.#p.resolveModule(module);
    if (!manifest.deterministic) throw new NotMediableModuleError({ ref: module });
    // A file input given as a path is added to this client's store; its CID is what the offer commits to.
    const inputs = resolveInputs({ manifest, given: await storeFileInputs({ manifest, given, blockstore: this.#p.blockstore, readLocalFiles: this.#p.readLocalFiles ?? false }) });
    // Before any offer is signed, the files (and a module not shipped with lilypad) go where the provider and a
    // mediator can fetch them: the solver.
    await this.#leaveWithSolver([...fileInputCids(manifest, inputs), ...(isShippedModule(id.cid) ? [] : [id.cid, manifest.artifact.cid])]);
    const terms = { ...DEFAULT_JOB_TERMS, ...this.#p.terms, ...options.terms };
    await this.#ensureEscrow(terms);
    const events = await this.#connect();
    const submitter = await this.#solverAddress();
    const lane = await this.#lanes.acquire();
    let offer: JobOffer;
    let dealId: Hex;
    /** The job's deal id once its listeners are registered (to remove them if submitting fails). */
    let listening: Hex | undefined;
    const stream = new JobEventStream();
    try {
      const { now, head } = await this.#offerTime();
      offer = buildJobOffer({
        creator: this.address,
        moduleId: id.digest,
        inputsHash: inputsHashOf(inputs),
        terms,
        mediators: this.#p.mediators,
        targetProvider: options.targetProvider,
        maxInstructions: BigInt(manifest.limits.instructions),
        submitter,
        lane: lane.lane,
        seq: lane.seq,
        now,
      });
      dealId = jobOfferDigest(domainOf(this.#p.conn), offer);
      const signature = await signJobOffer(this.#p.conn.wallet, domainOf(this.#p.conn), offer, dealId);
      // Listen before submitting: the solver may answer faster than the HTTP response comes back.
      const inbox: ServerMessage[] = [];
      let deliver: ((m: ServerMessage) => void) | undefined;
      this.#jobs.set(dealId, (m) => (deliver ? deliver(m) : inbox.push(m)));
      const unopened: UnopenedJob = { lane: lane.lane, seq: lane.seq, matchDeadline: now + terms.matchTimeout, revoked: false };
      this.#unopened.set(dealId, unopened);
      this.#deals.follow(dealId, head ?? BigInt(this.#p.conn.network.deployBlock));
      listening = dealId;
      const body = { offer, signature, inputs, resources: options.resources ?? manifest.resources, engine: manifest.engine, deadline: now + terms.matchTimeout };
      await events.ready();
      // Over the authenticated socket; over signed HTTP if the socket dropped meanwhile; again while the solver
      // says it is saturated.
      await retryWhileBusy(
        () =>
          events.submitJob(body).catch((error: unknown) => {
            if (error instanceof SolverRequestError && error.code === "SOLVER_UNREACHABLE") return this.#solver.submitJob(body);
            throw error;
          }),
        { onBusy: (_attempt, delayMs) => stream.push({ type: "waiting", for: "solver", retryInSeconds: delayMs / 1000 }) },
      );
      stream.push({ type: "submitted", dealId });
      const result = this.#follow({ dealId, offer, inputs, manifest, moduleCid: id.cid, options, stream, started, inbox, setDeliver: (d) => (deliver = d), unopened }).then(
        (result) => {
          lane.release(true);
          return result;
        },
        (error: unknown) => {
          // A job the solver failed before any deal, or whose deal closed, leaves the lane free; otherwise ask
          // the chain next time.
          // A revocation made elsewhere (another process with this key) raised the lane's number past what this
          // client knows: the chain tells it next time.
          const settled = error instanceof JobFailedError && SETTLED_FAILURES.has(error.code) && (error.code !== "REVOKED" || unopened.revoked);
          lane.release(settled);
          throw error;
        },
      )
      .finally(() => {
        this.#jobs.delete(dealId);
        this.#unopened.delete(dealId);
        this.#deals.unfollow(dealId);
      });
      result.catch(() => {});
      return { dealId, events: stream, result };
    } catch (error) {
      if (listening) {
        this.#jobs.delete(listening);
        this.#unopened.delete(listening);
        this.#deals.unfollow(listening);
      }
      lane.release();
      stream.end();
      throw error;
    }
  }

  /**
   * Revokes job offers of this account that have not opened a deal, on chain (the market's `revokeOffers`): the
   * offer of a job this client submitted (`{ dealId }`; the job then ends with JobFailedError REVOKED), or every
   * offer of one of its lanes numbered up to `seq` (`{ lane, seq }`, e.g. signed by a process that has gone). Nothing
   * was locked for them, so nothing moves. Throws OfferNotRevocableError when the offer's deal opened (it runs its
   * course) or the offers are used or revoked already.
   */
  async revokeOffer(params: RevokeOfferParameters): Promise<RevokeOffersResult> {
    let target: { lane: number; seq: number };
    if ("dealId" in params) {
      const unopened = this.#unopened.get(params.dealId);
      if (!unopened) {
        throw new OfferNotRevocableError({
          target: params.dealId,
          reason: "no job of this client is waiting for that deal to open (it opened, it ended, or another client submitted it)",
          hint: "revoke a lane's offers with { lane, seq }; an opened deal runs its course",
        });
      }
      target = { lane: unopened.lane, seq: unopened.seq };
    } else {
      target = { lane: params.lane, seq: params.seq };
    }
    const revoked = await revokeJobOffers(this.#p.conn, { ...target, target: "dealId" in params ? params.dealId : undefined });
    this.#lanes.raiseSeq(target.lane, target.seq);
    for (const job of this.#unopened.values()) {
      if (job.lane !== target.lane || job.seq > target.seq) continue;
      this.#lanes.rest(job.lane, (Math.max(0, job.matchDeadline - this.#now()) + 2) * 1000);
      job.revoked = true;
      job.onRevoked?.();
    }
    return revoked;
  }

  /**
   * Settles this account's deals whose deadline passed (a job left behind by a closed client, a party gone
   * silent): the given ones, or every overdue deal of the account, as creator or provider.
   */
  finalizeOverdueDeals(dealIds?: readonly Hex[]): Promise<FinalizeOverdueDealsResult> {
    return finalizeOverdueDeals({ conn: this.#p.conn, dealIds });
  }

  async #leaveWithSolver(cids: readonly string[]): Promise<void> {
    for (const cid of cids) {
      if (this.#uploaded.has(cid)) continue;
      await this.#solver.uploadContent(cid, await exportCarBytes(this.#p.blockstore, CID.parse(cid)));
      this.#uploaded.add(cid);
    }
  }

  /**
   * Collects a job submitted earlier, by this client or another process with the same key (`lilypad run --detach`):
   * waits for its result (finalizing the deal for a refund if the provider lets its result timeout pass), downloads
   * it and verifies it against the result CID on chain. While the judging window is open it judges the result as
   * `run` does: accepts a good one, challenges one that cannot be downloaded or verified and waits for the ruling.
   * A deal already closed (the provider finalized it after the window, or it was judged before) is not judged
   * again: its result is downloaded and verified, and a result that fails that is an error. Only the job's creator
   * may collect it.
   */
  async collect(dealId: Hex, options: CollectOptions = {}): Promise<JobResult> {
    const { record, offer } = await this.#solver.getJob(dealId);
    if (offer.creator.toLowerCase() !== this.address.toLowerCase()) {
      // Not a failed deal (the exit code of `jobs get` tells the two apart): the caller asked for another's job.
      throw new LilypadError({ code: "NOT_YOUR_JOB", message: `job ${dealId} is ${offer.creator}'s, and this client is ${this.address}: only its creator collects it` });
    }
    const failed = solverFailure(dealId, record);
    if (failed) throw failed;
    const moduleCid = moduleCidOfDigest(record.moduleId);
    const { manifest } = await this.#p.resolveModule(moduleCid);
    // The chain is the truth about the deal: what it holds now decides where collecting starts.
    const [onChain] = await readTrackedDeals(this.#p.conn, [dealId]);
    if (onChain?.state === DealState.Closed && (onChain.outcome === Outcome.ResultTimeout || onChain.outcome === Outcome.Declined)) {
      throw new JobFailedError({
        dealId,
        code: onChain.outcome === Outcome.ResultTimeout ? "RESULT_TIMEOUT" : "DECLINED",
        reason: `the deal closed with no result (${outcomeName(onChain.outcome)}): your payment was refunded with the provider's timeout collateral`,
      });
    }
    const stream = new JobEventStream();
    if (options.onEvent) stream.on(options.onEvent);
    const inbox: ServerMessage[] = [];
    let deliver: ((m: ServerMessage) => void) | undefined;
    await this.#connect();
    this.#jobs.set(dealId, (m) => (deliver ? deliver(m) : inbox.push(m)));
    const unopened: UnopenedJob = { lane: offer.lane, seq: offer.seq, matchDeadline: Number(offer.expiry), revoked: false };
    if (!onChain) this.#unopened.set(dealId, unopened);
    this.#deals.follow(dealId, BigInt(this.#p.conn.network.deployBlock));
    try {
      return await this.#follow({
        dealId,
        offer,
        inputs: record.inputs,
        manifest,
        moduleCid,
        options: { mediationChance: options.mediationChance },
        stream,
        started: performance.now(),
        inbox,
        setDeliver: (d) => (deliver = d),
        unopened,
        known: onChain && {
          deal: onChain.deal,
          provider: onChain.provider,
          result: onChain.state === DealState.Open ? undefined : onChain.result,
        },
        collecting: true,
      });
    } finally {
      this.#jobs.delete(dealId);
      this.#unopened.delete(dealId);
      this.#deals.unfollow(dealId);
    }
  }

  /** Stops following jobs (they reject with CLIENT_CLOSED; their deals go on on chain) and closes the socket. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#deals.stop();
    this.#events?.close();
  }

  #assertOpen(dealId: Hex): void {
    if (this.#closing.signal.aborted) throw new LilypadError({ code: "CLIENT_CLOSED", message: `the client was closed while following job ${dealId}` });
  }

  /** Resolves after `ms`, or at once when woken or closed. */
  #pause(ms: number, setWake?: (wake: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#closing.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done);
      setWake?.(done);
    });
  }

  /** The solver's chain address, the only one that may open this client's deals (asked once). */
  #solverAddress(): Promise<Address> {
    this.#submitter ??= this.#solver.health().then((h) => h.solver);
    this.#submitter.catch(() => (this.#submitter = undefined));
    return this.#submitter;
  }

  /**
   * The time an offer is dated from: the market checks expiries against the chain's clock, which may run ahead of
   * this machine's (a devnet someone moved forward, a skewed clock). Read for each submission; submissions made
   * while a read is under way share it.
   */
  /** The time to date an offer by (the later of the chain's and this machine's), and the chain's head block. */
  async #offerTime(): Promise<{ now: number; head?: bigint }> {
    this.#chainHead ??= this.#p.conn.publicClient
      .getBlock({ blockTag: "latest" })
      .then(
        (block) => ({ time: Number(block.timestamp), number: block.number as bigint | undefined }),
        () => ({ time: 0, number: undefined }),
      )
      .finally(() => (this.#chainHead = undefined));
    const head = await this.#chainHead;
    return { now: Math.max(this.#now(), head.time), head: head.number };
  }

  #now(): number {
    return this.#p.now?.() ?? Math.floor(Date.now() / 1000);
  }

  async #ensureEscrow(terms: JobTerms): Promise<void> {
    const keep = this.#p.keepInEscrow ?? 0n;
    if (keep === 0n) return;
    this.#escrowChecked ??= ensureEscrow(this.#p.conn, keep > terms.paymentCollateral ? keep : terms.paymentCollateral).then(() => {});
    try {
      await this.#escrowChecked;
    } catch (error) {
      this.#escrowChecked = undefined;
      throw error;
    }
  }

  async #connect(): Promise<EventStream> {
    this.#events ??= this.#solver.subscribe({
      onMessage: (message) => {
        if ("dealId" in message) this.#jobs.get(message.dealId)?.(message);
      },
    });
    return this.#events;
  }

  /** Follows one job from submission to its outcome. */
  async #follow(job: {
    dealId: Hex;
    offer: JobOffer;
    inputs: ResolvedInputs;
    manifest: ModuleManifest;
    moduleCid: string;
    options: RunOptions;
    stream: JobEventStream;
    started: number;
    inbox: ServerMessage[];
    setDeliver: (deliver: (m: ServerMessage) => void) => void;
    unopened: UnopenedJob;
    /** What the chain said of the deal before following began (collect). */
    known?: { deal: PackedDeal; provider: Address; result: Result | undefined };
    /** Collecting a job submitted earlier: the deal may have been judged or closed already (see collect). */
    collecting?: boolean;
  }): Promise<JobResult> {
    const { dealId, stream } = job;
    const conn = this.#p.conn;
    let deal: PackedDeal | undefined = job.known?.deal;
    let provider: Address | undefined = job.known?.provider;
    let result: Result | undefined = job.known?.result;
    let wake: (() => void) | undefined;
    let failure: JobFailedError | undefined;
    /** When the deal was seen open, the result deadline last read, and the time left last reported. */
    const watch = { openedAt: 0, checkedAt: 0, reportedAt: -Infinity };
    const onMessage = (m: ServerMessage) => {
      switch (m.type) {
        case "job.update":
          if (m.status === "matched") stream.push({ type: "matched" });
          failure ??= solverFailure(dealId, m);
          // A deal that closes before any result (the provider declined it) ends the job at once, refunded.
          if (m.status === "closed" && m.code === "DECLINED") {
            stream.push({ type: "closed", outcome: Outcome.Declined });
            failure = new JobFailedError({ dealId, code: "DECLINED", reason: `${m.reason ?? "the provider declined the job"}; your payment was refunded with its timeout collateral` });
          }
          break;
        case "deal.opened":
          this.#unopened.delete(dealId);
          deal = asPackedDeal(m.deal);
          provider = m.provider;
          watch.openedAt ||= performance.now();
          stream.push({ type: "deal-opened", provider: m.provider, txHash: m.txHash });
          break;
        case "job.log":
          stream.push({ type: "log", line: m.line });
          break;
        case "result.ready":
          // The URL it names is only reported: the result is downloaded from the provider's registered URL.
          result = m.result;
          stream.push({ type: "result-posted", result: m.result, resultsUrl: m.resultsUrl, engine: job.manifest.engine });
          break;
        default:
          return;
      }
      wake?.();
    };
    for (const m of job.inbox.splice(0)) onMessage(m);
    job.setDeliver(onMessage);
    job.unopened.onRevoked = () => {
      failure = new JobFailedError({ dealId, code: "REVOKED", reason: "you revoked the job's offer before any deal opened; nothing was locked for it" });
      wake?.();
    };
    if (job.unopened.revoked) job.unopened.onRevoked();

    try {
      // Wait for the result. The socket is the fast path; the solver's record and the chain back it up.
      let lastCheck = performance.now();
      while (!result || !deal) {
        if (failure) throw failure;
        this.#assertOpen(dealId);
        await this.#pause(1000, (w) => (wake = w));
        wake = undefined;
        if (failure) throw failure;
        this.#assertOpen(dealId);
        // With the deal open and no result yet, the chain says how long the provider has left; past that, the
        // creator takes its refund.
        const now = performance.now();
        if (deal && !result && now - watch.openedAt >= DEADLINE_FIRST_CHECK_MS && now - watch.checkedAt >= DEADLINE_CHECK_MS) {
          watch.checkedAt = now;
          await this.#watchResultDeadline(dealId, deal, stream, watch);
        }
        // The socket is the fast path; asking the solver costs it a signature check, so only now and then.
        if (performance.now() - lastCheck < FALLBACK_CHECK_MS) continue;
        lastCheck = performance.now();
        const { record } = await this.#solver.getJob(dealId).catch(() => ({ record: undefined }));
        const ended = record && solverFailure(dealId, record);
        if (ended) throw ended;
        if (record?.deal && !deal) {
          this.#unopened.delete(dealId);
          deal = asPackedDeal(record.deal);
          provider = record.provider;
          watch.openedAt ||= performance.now();
        }
        if (record?.result && !result) result = record.result;
        // And the chain, for a solver that is gone.
        const onChain = this.#deals.get(dealId);
        if (onChain && !deal) {
          this.#unopened.delete(dealId);
          deal = onChain.deal;
          provider = onChain.provider;
          watch.openedAt ||= performance.now();
        }
        if (onChain && onChain.state !== DealState.Open && !result) result = onChain.result;
      }
      // The result the market holds is the one to judge, whatever the messages said.
      // The market judges only the deal and result it holds: a different announcement makes it refuse (DealMismatch),
      // and then the deal and its posted result are read back from the chain and judged instead.
      let ref: DealRef = { dealId, deal, result };
      // A collected job may have been judged, or closed, already: then it is verified and not judged again.
      const settled = job.collecting ? await this.#settledOnChain(ref) : undefined;
      if (settled) ({ ref, deal, result } = { ref: settled.ref, deal: settled.ref.deal, result: settled.ref.result });
      let verdict = await this.#check(ref, job.manifest, settled ? {} : job.options, stream);
      let outcome: Outcome;
      /** Closed by someone else before this client judged it: too late to challenge what it downloads. */
      let closedWithoutUs = settled?.state === DealState.Closed;
      try {
        if (settled?.state === DealState.Closed) outcome = settled.outcome;
        else if (settled?.state === DealState.Challenged) outcome = await this.#waitForRuling(ref, stream);
        else outcome = await this.#judge(ref, verdict, stream);
      } catch (error) {
        if (!(error instanceof MarketTxError)) throw error;
        // The judging window closed while collecting: the deal's outcome is the chain's (the provider finalized it).
        const closed = job.collecting ? await this.#settledOnChain(ref) : undefined;
        if (closed?.state === DealState.Closed) {
          outcome = closed.outcome;
          closedWithoutUs = true;
        } else {
          if (error.revert !== "DealMismatch") throw error;
          const onChain = await readDeal(conn, dealId);
          if (!onChain) throw error;
          stream.push({ type: "log", line: "the announced result differs from the one on chain; judging the one on chain" });
          result = onChain.result;
          deal = onChain.deal;
          ref = { dealId, deal, result };
          verdict = await this.#check(ref, job.manifest, job.options, stream);
          outcome = await this.#judge(ref, verdict, stream);
        }
      }
      // A result the mediator ruled right is one it re-ran and holds: a provider that would not serve it to this
      // creator does not keep it from the creator that paid for it.
      if (!verdict.downloaded && outcome === Outcome.ProviderRight) verdict = await this.#downloadFromMediator(ref, verdict, stream);
      const { downloaded, resultCid } = verdict;
      const terms = unpackDeal(deal);
      const paid = outcome === Outcome.ProviderWrong || outcome === Outcome.MediationTimeout ? 0n : costOf(terms, result.instructions);
      stream.push({ type: "closed", outcome });
      if (!downloaded && closedWithoutUs && outcome !== Outcome.ProviderWrong) {
        throw new JobFailedError({
          dealId,
          code: "RESULT_UNAVAILABLE",
          reason: `the deal closed (${outcomeName(outcome)}) and its result could not be downloaded or did not match its CID on chain (${verdict.downloadError ?? "unknown"}); it is too late to challenge it`,
        });
      }
      if (!downloaded) throw new JobFailedError({ dealId, code: "RESULT_UNAVAILABLE", reason: "the provider's result could not be downloaded; the mediator ruled on it" });
      const stdout = verdict.stdout ?? (await this.#readStdout(resultCid));
      return {
        dealId,
        module: `${job.manifest.name}:${job.manifest.version}`,
        moduleCid: job.moduleCid,
        provider: provider ?? terms.provider,
        resultCid: resultCid.toString(),
        stdout,
        result,
        instructions: result.instructions,
        engine: job.manifest.engine,
        paid,
        outcome,
        challenged: outcome !== Outcome.Accepted && outcome !== Outcome.Finalized,
        elapsedMs: performance.now() - job.started,
      };
    } finally {
      stream.end();
    }
  }

  /**
   * Downloads and verifies the result from the URL the deal's provider registered on chain, makes the cheap checks
   * (suspectResult), and draws the spot check. A provider with no registered URL, or one this client refuses, has
   * not delivered: that is a challenge, as is a failed download.
   */
  async #check(ref: DealRef, manifest: ModuleManifest, options: RunOptions, stream: JobEventStream): Promise<Verdict> {
    const provider = unpackDeal(ref.deal).provider;
    const fetchFrom = async (url: string | undefined, root: CID): Promise<string> => {
      if (url === undefined) throw new Error(`the provider ${provider} registered no URL in the service registry`);
      await this.#fetchResult(url, root);
      return url;
    };
    const download = async (root: CID): Promise<string> => {
      const registered = await this.#providerUrl(provider);
      try {
        return await fetchFrom(registered, root);
      } catch (error) {
        // The registry may have changed since it was read: read it once more, and try again if it did.
        const again = await this.#providerUrl(provider, true).catch(() => registered);
        if (again === registered) throw error;
        return fetchFrom(again, root);
      }
    };
    const verdict = await checkResult({ result: ref.result, download, manifest, blockstore: this.#p.blockstore, mediationChance: options.mediationChance });
    if (verdict.downloadError !== undefined) stream.push({ type: "log", line: `could not download a valid result: ${verdict.downloadError}` });
    else stream.push({ type: "downloaded", resultCid: verdict.resultCid.toString(), from: verdict.from ?? "" });
    if (verdict.suspicion) stream.push({ type: "log", line: `suspect result: ${verdict.suspicion}` });
    return verdict;  }

  /**
   * The deal as the chain holds it, when someone judged it already: challenged (a ruling to wait for) or closed
   * (an outcome). Undefined while its result waits to be judged.
   */
  async #settledOnChain(ref: DealRef): Promise<{ state: DealState; outcome: Outcome; ref: DealRef } | undefined> {
    const [onChain] = await readTrackedDeals(this.#p.conn, [ref.dealId]);
    if (!onChain || (onChain.state !== DealState.Closed && onChain.state !== DealState.Challenged)) return undefined;
    return { state: onChain.state, outcome: (onChain.outcome ?? Outcome.Finalized) as Outcome, ref: { dealId: ref.dealId, deal: onChain.deal, result: onChain.result } };
  }

  /** Downloads a result from the deal's mediator, at the URL it registered on chain; the verdict unchanged if it cannot. */
  async #downloadFromMediator(ref: DealRef, verdict: Verdict, stream: JobEventStream): Promise<Verdict> {
    const mediator = unpackDeal(ref.deal).mediator;
    try {
      const url = await serviceUrlOf(this.#p.conn, { service: mediator, role: ServiceRole.Mediator });
      if (url === undefined) throw new Error(`mediator ${mediator} registered no URL`);
      await this.#fetchResult(url, verdict.resultCid);
      stream.push({ type: "downloaded", resultCid: verdict.resultCid.toString(), from: url });
      return { ...verdict, downloaded: true, stdout: undefined };
    } catch (error) {
      stream.push({ type: "log", line: `could not download the result from the mediator: ${error instanceof Error ? error.message : String(error)}` });
      return verdict;
    }
  }

  /** Downloads a result's CAR into the block store, verified block by block; off a devnet, from public addresses only. */
  async #fetchResult(url: string, root: CID): Promise<void> {
    await downloadResult({ url, root, blockstore: this.#p.blockstore, refusePrivateAddresses: this.#refusePrivateAddresses });
  }

  /**
   * The URL `provider` registered on chain (its ResourceProvider entry), the only place its results are downloaded
   * from; read again after REGISTERED_URL_TTL_MS, or at once when `fresh`. A registry that cannot be read fails the
   * job rather than challenging a provider that may have done nothing wrong.
   */
  async #providerUrl(provider: Address, fresh = false): Promise<string | undefined> {
    const cached = this.#registeredUrls.get(provider);
    if (!fresh && cached && Date.now() - cached.at < REGISTERED_URL_TTL_MS) return cached.url;
    let url: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        url = await serviceUrlOf(this.#p.conn, { service: provider, role: ServiceRole.ResourceProvider });
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
        await this.#pause(500 * attempt);
      }
    }
    this.#registeredUrls.set(provider, { url, at: Date.now() });
    return url;
  }

  /** The stdout file of a downloaded result, from the block store. */
  async #readStdout(resultCid: CID): Promise<Uint8Array> {
    return readResultStdout({ blockstore: this.#p.blockstore, resultCid });
  }

  /** Accepts a good result (batched with this client's other accepts), or challenges and waits for the ruling. */
  async #judge(ref: DealRef, verdict: Verdict, stream: JobEventStream): Promise<Outcome> {
    if (verdict.challenge === undefined) {
      await new Promise<void>((resolve, reject) => this.#accepting.push({ ref, resolve, reject }));
      stream.push({ type: "accepted" });
      return Outcome.Accepted;
    }
    await challengeResult(this.#p.conn, ref);
    stream.push({ type: "challenged", reason: verdict.challenge });
    return this.#waitForRuling(ref, stream);
  }

  /**
   * Reads the deal's result deadline and the chain's clock, and reports the time left now and then. Past the
   * deadline with nothing posted, finalizes the deal (the creator's payment back, plus the provider's timeout
   * collateral) and throws ResultTimeoutError; so it does when someone else finalized it so. A chain that does not
   * answer, or a finalize that another transaction made moot, leaves it to the next round.
   */
  async #watchResultDeadline(dealId: Hex, deal: PackedDeal, stream: JobEventStream, watch: { reportedAt: number }): Promise<void> {
    const conn = this.#p.conn;
    const terms = unpackDeal(deal);
    const read = await Promise.all([laneStatus(conn, terms.creator, terms.lane), conn.publicClient.getBlock()]).catch(() => undefined);
    if (!read) return;
    const [lane, block] = read;
    const chainTime = Number(block.timestamp);
    if (lane.state === DealState.Open) {
      // The lane holds one deal at a time, and this job's deal is open: the lane's deadline is this deal's.
      if (chainTime <= lane.deadline) {
        if (performance.now() - watch.reportedAt >= DEADLINE_REPORT_MS) {
          watch.reportedAt = performance.now();
          stream.push({ type: "awaiting-result", deadline: lane.deadline, secondsLeft: lane.deadline - chainTime });
        }
        return;
      }
      try {
        await finalizeDeals(conn, [{ dealId, deal, result: emptyResult }]);
      } catch (error) {
        if (error instanceof MarketTxError && error.revert) return;
        throw error;
      }
    } else {
      // A posted result comes with the solver's messages; a lane not yet seen open lags behind the deal.
      if (lane.state !== DealState.Closed) return;
      // Closed with no result seen: by whom does not matter, but how does.
      if (this.#deals.get(dealId)?.outcome !== Outcome.ResultTimeout) return;
    }
    stream.push({ type: "closed", outcome: Outcome.ResultTimeout });
    throw new ResultTimeoutError({
      dealId,
      provider: terms.provider,
      resultTimeout: terms.resultTimeout,
      refunded: terms.paymentCollateral,
      compensation: terms.timeoutCollateral,
    });
  }

  /** Finalizes the deal if it is still in `state` and that state's deadline has passed; says whether it did. */
  async #finalizeIfOverdue(ref: DealRef, state: DealState): Promise<boolean> {
    const terms = unpackDeal(ref.deal);
    const lane = await laneStatus(this.#p.conn, terms.creator, terms.lane);
    if (lane.state !== state) return false;
    const block = await this.#p.conn.publicClient.getBlock();
    if (Number(block.timestamp) <= lane.deadline) return false;
    await finalizeDeals(this.#p.conn, [ref]);
    return true;
  }

  /** Waits for the mediator's ruling; a mediator silent past its deadline is finalized away (both refunded). */
  async #waitForRuling(ref: DealRef, stream: JobEventStream): Promise<Outcome> {
    stream.push({ type: "waiting", for: "mediator" });
    const tick = () => this.#finalizeIfOverdue(ref, DealState.Challenged).then(() => {});
    const closed = await this.#deals.closed(ref.dealId, { tick, signal: this.#closing.signal }).catch((error: unknown) => {
      this.#assertOpen(ref.dealId);
      throw error;
    });
    return closed.outcome as Outcome;
  }
}

interface UnopenedJob {
  lane: number;
  seq: number;
  /** When the solver gives up matching it (unix seconds, this client's clock). */
  matchDeadline: number;
  /** Its offer was revoked on chain: no deal can open for it. */
  revoked: boolean;
  /** Ends the job with REVOKED (set by the job's follower). */
  onRevoked?: () => void;
}

/** How a job the solver ended before any deal (failed, or revoked on chain) ends for the caller; undefined if it did not. */
function solverFailure(dealId: Hex, update: { status: JobStatus; code?: string; reason?: string }): JobFailedError | undefined {
  if (update.status === "revoked") {
    return new JobFailedError({ dealId, code: "REVOKED", reason: update.reason ?? "the job's offer was revoked on chain before any deal opened; nothing was locked for it" });
  }
  if (update.status === "failed") return new JobFailedError({ dealId, code: update.code ?? "FAILED", reason: update.reason ?? "the job failed" });
  return undefined;
}
