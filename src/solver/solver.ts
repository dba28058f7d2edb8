// The solver: takes signed job offers and providers' capacity, matches them, has the chosen provider sign a
// resource offer for each match, and opens the deals on chain in batches. It holds no funds: every deal it opens
// carries both parties' signatures, which the market checks, so it can neither forge nor alter one. It follows the
// chain to keep each job's status, and tells the parties what happened over their event sockets.
import { getAbiItem, isAddressEqual, type Address, type Hex } from "viem";
import { lilypadMarketAbi } from "../chain/generated/contracts.ts";
import { inputsHashOf } from "../core/moduleInputs.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { withTransactionObserver } from "../chain/observeTransactions.ts";
import { availableInEscrow } from "../chain/market/escrow.ts";
import { laneStatus } from "../chain/market/laneStatus.ts";
import { BatchQueue } from "../chain/market/batchQueue.ts";
import { openDeals, type SignedDealOffers } from "../chain/market/openDeals.ts";
import { MarketTxError } from "../chain/market/sendMarketTx.ts";
import { trackDeals, type DealChange, type DealTracker } from "../chain/market/dealTracker.ts";
import type { MarketEvent } from "../chain/market/watchMarketEvents.ts";
import { domainOf, jobOfferApproved, resourceOfferSigner } from "../chain/verifyOffers.ts";
import { jobOfferDigest } from "../chain/offers.ts";
import { DealState, Outcome, ZERO_ADDRESS, type ResourceOffer, type Signature } from "../core/dealTypes.ts";
import type {
  CapacityBody,
  CapacityListing,
  ClientMessage,
  JobLogEntry,
  JobRecord,
  JobStatus,
  JobTimelineEntry,
  ServerMessage,
  SubmitJobBody,
} from "../core/api/solverProtocol.ts";
import type { CapacityOffer, JobRequest } from "../core/market/marketOrders.ts";
import type { Logger } from "../core/logger.ts";
import { createRoleMetrics, errorCodeOf, type RoleMetrics } from "../metrics/roleMetrics.ts";
import { matchOffers } from "./matchOffers.ts";
import { resourceTermsFor } from "../core/market/resourceTerms.ts";
import { ACTIVE_STATUSES, SolverStore, type JobsFilter, type StoredCapacity, type StoredJob } from "./solverStore.ts";
import { offerIdByLoad } from "./offerIdByLoad.ts";
import { SolverError } from "./solverError.ts";
import { BUSY_RETRY_AFTER_SECONDS, SolverErrorCode } from "../core/api/solverErrors.ts";

export interface SolverParameters {
  conn: ChainConnection;
  store: SolverStore;
  log: Logger;
  /** Sends a message to every socket of `address` (no-op when none is connected). */
  deliver: (address: Address, message: ServerMessage) => void;
  /** Whether `address` has an authenticated event socket open: only connected providers get jobs. */
  isConnected: (address: Address) => boolean;
  /** Unix seconds (the chain's clock on the devnet may run ahead: tests move it). */
  now?: () => number;
  /** How long a provider has to sign a proposal before the job goes back to the queue. */
  proposalTimeoutMs?: number;
  /** Most deals opened in one transaction. */
  maxBatch?: number;
  /** Where its figures go (default: a registry of its own). */
  metrics?: RoleMetrics;
  /** Most unfinished jobs held (default DEFAULT_MAX_ACTIVE_JOBS); past it a submission is told SOLVER_BUSY. */
  maxActiveJobs?: number;
  /**
   * Most submissions being checked at once (each waits on chain reads; default DEFAULT_MAX_CHECKING); past it a
   * submission is told SOLVER_BUSY at once instead of joining a queue whose answers would come too late.
   */
  maxChecking?: number;
}

/**
 * Saturation bounds. A burst of 10,000 submissions over 1,000 sockets is checked and queued within them (see
 * bench/load.ts); beyond them the answer is SOLVER_BUSY (HTTP 503 with Retry-After), which the SDK retries.
 */
export const DEFAULT_MAX_ACTIVE_JOBS = 50_000;
export const DEFAULT_MAX_CHECKING = 20_000;

interface Proposal {
  provider: Address;
  resource: ResourceOffer;
  timer: NodeJS.Timeout;
}

interface ReadyDeal extends SignedDealOffers {
  dealId: Hex;
  provider: Address;
}

const MATCH_INTERVAL_MS = 250;
/** After the chain failed to answer, the next attempt to open a deal waits this long. */
const RETRY_OPEN_MS = 1000;
/** How long a provider whose signature named another key (or none) may not offer capacity. */
const PENALTY_SECONDS = 600;
const CURSOR_KEY = "chainCursor";
/** Statuses of jobs whose deal is open on chain. */
const ON_CHAIN_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(["open", "result-posted", "challenged"]);

export class Solver {
  readonly #p: SolverParameters;
  readonly #store: SolverStore;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #metrics: RoleMetrics;
  /** Jobs still in play, by deal id: the store holds the truth, this is its working copy. */
  readonly #jobs = new Map<Hex, StoredJob>();
  /** Submissions between their arrival and their answer. */
  #checking = 0;
  readonly #capacity = new Map<Address, StoredCapacity>();
  /** Lower-case provider address -> unix seconds its penalty ends. */
  readonly #penalized = new Map<string, number>();
  readonly #proposals = new Map<Hex, Proposal>();
  readonly #opening: BatchQueue<ReadyDeal>;
  readonly #blocked = new Set<Hex>();
  /** Why each waiting job is still waiting (from the last matching round). */
  readonly #waitingReason = new Map<Hex, { code: string; reason: string }>();
  #matchScheduled = false;
  /** A job left a provider's slot since the last tick. */
  #slotFreed = false;
  #ticker: NodeJS.Timeout | undefined;
  #tracker: DealTracker | undefined;
  #stopped = false;

  constructor(params: SolverParameters) {
    this.#metrics = params.metrics ?? createRoleMetrics({ role: "solver" });
    // Every transaction it sends (opening deals) goes through this connection, so its metrics see them all.
    this.#p = { ...params, conn: withTransactionObserver(params.conn, this.#metrics.transaction) };
    this.#metrics.jobsInState(() => this.#jobsByStatus());
    this.#store = params.store;
    this.#log = params.log;
    this.#now = params.now ?? (() => Math.floor(Date.now() / 1000));
    this.#opening = new BatchQueue({
      send: (batch) => this.#openBatch(batch),
      onItemError: (ready, error) => void this.#openFailed(ready, error),
      maxBatch: params.maxBatch ?? 50,
    });
  }

  /** Loads state, catches up with the chain, then starts matching. */
  async start(): Promise<void> {
    for (const job of this.#store.jobsWithStatus(ACTIVE_STATUSES)) this.#jobs.set(job.record.dealId, job);
    for (const capacity of this.#store.capacities()) this.#capacity.set(capacity.provider, capacity);
    await this.#loadBlockedModules();
    const cursor = this.#store.getMeta(CURSOR_KEY);
    this.#tracker = await trackDeals(this.#p.conn, {
      fromBlock: cursor === undefined ? undefined : BigInt(cursor),
      // Deals that opened before the cursor are read back; the others are met as they open.
      resume: [...this.#jobs.values()].filter((j) => ON_CHAIN_STATUSES.has(j.record.status)).map((j) => j.record.dealId),
      keep: (deal) => this.#jobs.has(deal.dealId),
      onChanges: (changes) => this.#onDealChanges(changes),
      onOtherEvents: (events) => this.#onOtherEvents(events),
      onCursor: (next) => this.#store.setMeta(CURSOR_KEY, String(next)),
      onProgress: this.#metrics.chainProgress,
      log: this.#log,
    });
    // A proposal does not survive a restart: jobs caught between matching and opening go back to the queue.
    for (const job of this.#jobs.values()) if (job.record.status === "matched") this.#setStatus(job, "queued", { provider: undefined });
    this.#ticker = setInterval(() => this.#tick(), MATCH_INTERVAL_MS);
    this.#scheduleMatch();
    this.#log.info({ jobs: this.#jobs.size, providers: this.#capacity.size }, "solver started");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#tracker?.watcher.stop();
    for (const p of this.#proposals.values()) clearTimeout(p.timer);
    await this.#opening.drain();
  }

  // ---- requests ----

  /** Validates and queues a job; the returned record says where it is. */
  async submitJob(submitter: Address, body: SubmitJobBody): Promise<JobRecord> {
    const maxActive = this.#p.maxActiveJobs ?? DEFAULT_MAX_ACTIVE_JOBS;
    const maxChecking = this.#p.maxChecking ?? DEFAULT_MAX_CHECKING;
    if (this.#jobs.size >= maxActive || this.#checking >= maxChecking) {
      throw new SolverError(
        SolverErrorCode.solverBusy,
        `the solver is saturated (${this.#jobs.size} jobs unfinished, ${this.#checking} submissions being checked); try again in ${BUSY_RETRY_AFTER_SECONDS} s`,
      );
    }
    this.#checking++;
    try {
      return await this.#checkAndQueue(submitter, body);
    } finally {
      this.#checking--;
    }
  }

  async #checkAndQueue(submitter: Address, body: SubmitJobBody): Promise<JobRecord> {
    const { offer } = body;
    const now = this.#now();
    const dealId = jobOfferDigest(domainOf(this.#p.conn), offer);
    const existing = this.#store.getJob(dealId);
    if (existing) {
      // Submitting again is harmless for its own parties; to anyone else the record is private.
      if (existing.record.submitter === submitter || existing.record.creator === submitter) return existing.record;
      throw new SolverError(SolverErrorCode.alreadySubmitted, `job ${dealId} was already submitted`);
    }
    if (offer.expiry <= BigInt(now)) throw new SolverError(SolverErrorCode.offerExpired, `the job offer expired at ${offer.expiry}`);
    if (offer.submitter !== ZERO_ADDRESS && !isAddressEqual(offer.submitter, this.#p.conn.address)) {
      throw new SolverError(SolverErrorCode.wrongSubmitter, `the job offer may be opened only by ${offer.submitter}; this solver is ${this.#p.conn.address}`);
    }
    if (body.deadline > Number(offer.expiry)) throw new SolverError(SolverErrorCode.badDeadline, "the deadline is after the offer's expiry");
    if (inputsHashOf(body.inputs) !== offer.inputsHash) {
      throw new SolverError(SolverErrorCode.inputsMismatch, "the inputs do not hash to the offer's inputsHash");
    }
    if (this.#blocked.has(offer.moduleId)) throw new SolverError(SolverErrorCode.moduleBlocked, `module ${offer.moduleId} is blocked on this network`);
    if (!(await jobOfferApproved(this.#p.conn, offer, body.signature, dealId))) {
      throw new SolverError(SolverErrorCode.badSignature, `the job offer is not signed by its creator ${offer.creator}`);
    }
    if (this.#store.laneWaiting(offer.creator, offer.lane)) {
      throw new SolverError(SolverErrorCode.laneBusy, `lane ${offer.lane} of ${offer.creator} already has a job waiting`);
    }
    // Read together: one round trip (one JSON-RPC batch) instead of two.
    const [lane, available] = await Promise.all([laneStatus(this.#p.conn, offer.creator, offer.lane), availableInEscrow(this.#p.conn, offer.creator)]);
    // From here to the insert there is no await. First the same job, submitted meanwhile by another party (a
    // second relay) and perhaps opened already: the answer is the duplicate's, not its own lane's.
    if (this.#store.getJob(dealId)) return this.#checkAndQueue(submitter, body);
    if (lane.state !== DealState.None && lane.state !== DealState.Closed) {
      throw new SolverError(SolverErrorCode.laneBusy, `lane ${offer.lane} of ${offer.creator} has an open deal on chain`);
    }
    if (offer.seq <= lane.seq) throw new SolverError(SolverErrorCode.staleSequence, `seq ${offer.seq} must exceed the lane's last, ${lane.seq}`);
    const reserved = this.#reservedBy(offer.creator);
    if (available < reserved + offer.paymentCollateral) {
      throw new SolverError(
        SolverErrorCode.insufficientEscrow,
        `${offer.creator} has ${available} wei available in escrow; this job needs ${offer.paymentCollateral} more than the ${reserved} its other jobs hold`,
      );
    }
    // Checked again: a rival in the lane may have arrived meanwhile.
    if (this.#store.laneWaiting(offer.creator, offer.lane)) {
      throw new SolverError(SolverErrorCode.laneBusy, `lane ${offer.lane} of ${offer.creator} already has a job waiting`);
    }
    const record: JobRecord = {
      dealId,
      creator: offer.creator,
      submitter,
      moduleId: offer.moduleId,
      inputs: body.inputs,
      status: "queued",
      createdAt: Date.now() / 1000,
      updatedAt: Date.now() / 1000,
    };
    const job = { record, body };
    this.#store.insertJob(job);
    this.#store.appendEvent(dealId, { event: "submitted", at: record.createdAt });
    this.#jobs.set(dealId, job);
    this.#metrics.job("submitted");
    this.#log.info({ dealId, creator: offer.creator }, "job queued");
    this.#scheduleMatch();
    return record;
  }

  /** Records a provider's standing offer, once its escrow covers the timeout collateral of every slot. */
  async putCapacity(provider: Address, body: CapacityBody): Promise<void> {
    if (body.expiresAt <= this.#now()) throw new SolverError(SolverErrorCode.offerExpired, "the capacity offer has already expired");
    const penaltyEnds = this.#penalized.get(provider.toLowerCase()) ?? 0;
    if (penaltyEnds > this.#now()) {
      throw new SolverError(SolverErrorCode.providerPenalized, `${provider} signed a proposal with another key; it may offer again at ${penaltyEnds}`);
    }
    const available = await availableInEscrow(this.#p.conn, provider);
    const needed = body.timeoutCollateral * BigInt(body.slots);
    if (available < needed) {
      throw new SolverError(SolverErrorCode.insufficientEscrow, `${provider} has ${available} wei available in escrow; ${body.slots} slots need ${needed}`);
    }
    const capacity = { provider, body, updatedAt: Date.now() / 1000 };
    this.#store.putCapacity(capacity);
    this.#capacity.set(provider, capacity);
    this.#scheduleMatch();
  }

  /** Every standing offer, with whether its provider is online (connected, offer unexpired): the public listing. */
  standingOffers(): CapacityListing["offers"] {
    const now = this.#now();
    return [...this.#capacity.values()].map(({ provider, body, updatedAt }) => ({
      provider,
      offer: body,
      updatedAt,
      online: this.#isOnline(provider, body, now),
    }));
  }

  /** A provider can take work now: connected, and its standing offer unexpired. */
  #isOnline(provider: Address, body: CapacityBody, now: number): boolean {
    return body.expiresAt > now && this.#p.isConnected(provider);
  }

  getJob(dealId: Hex): StoredJob | undefined {
    return this.#jobs.get(dealId) ?? this.#store.getJob(dealId);
  }

  /** A job's status lines and output chunks numbered above `after`. */
  logsOf(dealId: Hex, after?: number): JobLogEntry[] {
    return this.#store.logsOf(dealId, after);
  }

  /** A job's timeline: when it was submitted, and each status since. */
  timelineOf(dealId: Hex): JobTimelineEntry[] {
    return this.#store.timelineOf(dealId);
  }

  listJobs(address: Address, limit: number, filter?: JobsFilter): JobRecord[] {
    return this.#store.jobsOf(address, limit, filter);
  }

  /** Whether `address` may read this job: its creator, submitter, provider or mediator. */
  mayRead(job: StoredJob, address: Address): boolean {
    const { record, body } = job;
    return (
      record.creator === address ||
      record.submitter === address ||
      record.provider === address ||
      body.offer.mediators.includes(address)
    );
  }

  /** A message from an authenticated client socket. Throws a SolverError for the client to see. */
  async onClientMessage(from: Address, message: Exclude<ClientMessage, { type: "job.submit" }>): Promise<void> {
    switch (message.type) {
      case "proposal.signed":
        return this.#onProposalSigned(from, message.dealId, message.resource, message.signature);
      case "proposal.declined": {
        const proposal = this.#ownProposal(from, message.dealId);
        this.#log.info({ dealId: message.dealId, provider: from, reason: message.reason }, "proposal declined");
        this.#dropProposal(message.dealId, proposal);
        return;
      }
      case "job.output": {
        // Kept for whoever follows the job (bounded per job); not relayed: the creator reads it when it asks.
        const job = this.#jobs.get(message.dealId);
        if (!job || job.record.provider !== from) throw new SolverError(SolverErrorCode.notYourDeal, `deal ${message.dealId} is not yours`);
        this.#store.appendLog(message.dealId, message.data, Date.now() / 1000, message.stream);
        return;
      }
      case "result.ready":
      case "job.log": {
        const job = this.#jobs.get(message.dealId);
        if (!job || job.record.provider !== from) throw new SolverError(SolverErrorCode.notYourDeal, `deal ${message.dealId} is not yours`);
        if (message.type === "job.log") this.#store.appendLog(message.dealId, message.line, Date.now() / 1000);
        if (message.type === "result.ready") {
          job.record.resultsUrl = message.resultsUrl;
          job.record.result = message.result;
          // The chain's ResultPosted (or the challenge after it) may have come first: the provider's word moves the
          // status on, never back, and a step is recorded once.
          if (job.record.status !== "result-posted" && job.record.status !== "challenged") this.#setStatus(job, "result-posted", {});
          else this.#store.updateJob(job.record);
        }
        this.#tellCreator(job.record, message);
        return;
      }
    }
  }

  // ---- matching ----

  #scheduleMatch(): void {
    if (this.#matchScheduled || this.#stopped) return;
    this.#matchScheduled = true;
    setImmediate(() => {
      this.#matchScheduled = false;
      try {
        this.#matchRound();
      } catch (error) {
        this.#metrics.error(errorCodeOf(error));
        this.#log.error({ err: String(error) }, "matching round failed");
      }
    });
  }

  /**
   * New jobs, capacity and dropped proposals schedule a round themselves; the ticker adds one only when a running
   * job freed a provider's slot or a waiting job's deadline passed. (Re-matching a long queue on every tick is
   * what a burst of jobs with no provider online would otherwise pay for.)
   */
  #tick(): void {
    const now = this.#now();
    if (this.#slotFreed || [...this.#jobs.values()].some((j) => j.record.status === "queued" && j.body.deadline <= now)) {
      this.#slotFreed = false;
      this.#scheduleMatch();
    }
    this.#store.pruneNonces(this.#now());
  }

  #matchRound(): void {
    const now = this.#now();
    const waiting = [...this.#jobs.values()].filter((j) => j.record.status === "queued");
    if (waiting.length === 0) return;
    const requests: JobRequest[] = waiting.map(({ record, body }) => ({
      id: record.dealId,
      creator: record.creator,
      moduleId: record.moduleId,
      engine: body.engine,
      resources: body.resources,
      maxBasePrice: body.offer.maxBasePrice,
      maxPricePerMInstr: body.offer.maxPricePerMInstr,
      mediators: body.offer.mediators.filter((m) => m !== ZERO_ADDRESS),
      targetProvider: body.offer.targetProvider === ZERO_ADDRESS ? undefined : body.offer.targetProvider,
      deadline: body.deadline,
      createdAt: record.createdAt,
    }));
    const { matches, unmatched } = matchOffers({ jobs: requests, offers: this.#liveOffers(now), now, isBlocked: (m) => this.#blocked.has(m) });
    for (const match of matches) {
      const job = this.#jobs.get(match.jobId as Hex);
      const capacity = this.#capacity.get(match.provider);
      if (!job || !capacity) continue;
      this.#propose(job, capacity, now);
    }
    for (const miss of unmatched) {
      const job = this.#jobs.get(miss.jobId as Hex);
      if (!job) continue;
      if (miss.code === "EXPIRED") {
        const last = this.#waitingReason.get(job.record.dealId);
        this.#fail(job, last?.code ?? "EXPIRED", `no resource provider took the job before its deadline${last ? `: ${last.reason}` : ""}`);
      } else {
        this.#waitingReason.set(job.record.dealId, { code: miss.code, reason: miss.reason });
      }
    }
  }

  /** Providers' offers as the matcher sees them: connected, unexpired, minus what their running jobs take. */
  #liveOffers(now: number): CapacityOffer[] {
    const busy = new Map<Address, { slots: number; cpu: number; ramMiB: number; gpu: number; diskMiB: number }>();
    for (const { record, body } of this.#jobs.values()) {
      if (!record.provider || (record.status !== "matched" && record.status !== "open")) continue;
      const b = busy.get(record.provider) ?? { slots: 0, cpu: 0, ramMiB: 0, gpu: 0, diskMiB: 0 };
      b.slots++;
      b.cpu += body.resources.cpu;
      b.ramMiB += body.resources.ramMiB;
      b.gpu += body.resources.gpu;
      b.diskMiB += body.resources.diskMiB;
      busy.set(record.provider, b);
    }
    const offers: CapacityOffer[] = [];
    for (const { provider, body } of this.#capacity.values()) {
      if (!this.#isOnline(provider, body, now)) continue;
      const b = busy.get(provider) ?? { slots: 0, cpu: 0, ramMiB: 0, gpu: 0, diskMiB: 0 };
      offers.push({
        id: offerIdByLoad(provider, b.slots, body.slots),
        provider,
        free: {
          cpu: Math.max(0, body.free.cpu - b.cpu),
          ramMiB: Math.max(0, body.free.ramMiB - b.ramMiB),
          gpu: Math.max(0, body.free.gpu - b.gpu),
          diskMiB: Math.max(0, body.free.diskMiB - b.diskMiB),
        },
        slots: Math.max(0, body.slots - b.slots),
        modules: body.modules,
        engines: body.engines,
        basePrice: body.basePrice,
        pricePerMInstr: body.pricePerMInstr,
        mediators: body.mediators,
        expiresAt: body.expiresAt,
      });
    }
    return offers;
  }

  #propose(job: StoredJob, capacity: StoredCapacity, now: number): void {
    const { dealId } = job.record;
    const resource = resourceTermsFor({ dealId, offer: job.body.offer, capacity: capacity.body, now });
    const timer = setTimeout(() => {
      this.#log.warn({ dealId, provider: capacity.provider }, "provider did not sign in time; job back in the queue");
      this.#dropProposal(dealId, this.#proposals.get(dealId));
    }, this.#p.proposalTimeoutMs ?? 5000);
    this.#proposals.set(dealId, { provider: capacity.provider, resource, timer });
    this.#waitingReason.delete(dealId);
    this.#setStatus(job, "matched", { provider: capacity.provider });
    this.#p.deliver(capacity.provider, { type: "deal.proposal", dealId, offer: job.body.offer, inputs: job.body.inputs, resource });
  }

  #ownProposal(from: Address, dealId: Hex): Proposal {
    const proposal = this.#proposals.get(dealId);
    if (!proposal || proposal.provider !== from) throw new SolverError(SolverErrorCode.noProposal, `no open proposal ${dealId} for ${from}`);
    return proposal;
  }

  #dropProposal(dealId: Hex, proposal: Proposal | undefined): void {
    if (!proposal) return;
    clearTimeout(proposal.timer);
    this.#proposals.delete(dealId);
    const job = this.#jobs.get(dealId);
    if (job?.record.status === "matched") this.#setStatus(job, "queued", { provider: undefined });
    this.#scheduleMatch();
  }

  async #onProposalSigned(from: Address, dealId: Hex, resource: ResourceOffer, signature: Signature): Promise<void> {
    const proposal = this.#ownProposal(from, dealId);
    const same = (Object.keys(proposal.resource) as (keyof ResourceOffer)[]).every((k) => proposal.resource[k] === resource[k]);
    if (!same) throw new SolverError(SolverErrorCode.termsChanged, "the signed resource offer differs from the proposal");
    clearTimeout(proposal.timer);
    this.#proposals.delete(dealId);
    const job = this.#jobs.get(dealId);
    if (!job) return;
    this.#opening.push({ dealId, provider: from, job: job.body.offer, jobSignature: job.body.signature, resource, resourceSignature: signature });
  }

  // ---- opening deals ----

  async #openBatch(batch: ReadyDeal[]): Promise<void> {
    const { receipt, opened, skipped } = await openDeals(this.#p.conn, batch);
    const readyOf = new Map(batch.map((b) => [b.dealId, b]));
    for (const deal of opened) {
      const job = this.#jobs.get(deal.dealId);
      // The market takes the provider from the signature. A provider that signed with another (funded) key still
      // made a valid deal, with that key as the provider; it loses its own place all the same.
      const ready = readyOf.get(deal.dealId);
      if (ready && !isAddressEqual(deal.provider, ready.provider)) {
        this.#penalize(ready.provider, `signed its resource offer as ${deal.provider}`, deal.dealId);
        if (job) job.record.provider = deal.provider;
      }
      if (job) this.#markOpen(job, deal.deal, receipt.transactionHash);
    }
    for (const { dealId, reason } of skipped) {
      const job = this.#jobs.get(dealId);
      const ready = readyOf.get(dealId);
      if (!job || !ready) continue;
      const [account] = reason.args;
      const short = reason.name === "InsufficientBalance" && typeof account === "string" ? (account as Address) : undefined;
      if (short !== undefined && !isAddressEqual(short, ready.provider) && !isAddressEqual(short, ready.job.creator)) {
        // The market recovered someone else from the provider's signature (an unfunded throwaway key): signatures are
        // checked here, when the chain says so, rather than by a recovery per proposal. It costs the provider its
        // place, never the job.
        this.#penalize(ready.provider, `signed its resource offer as ${short}`, dealId);
        this.#setStatus(job, "queued", { provider: undefined });
        this.#scheduleMatch();
      } else if (short !== undefined && isAddressEqual(short, ready.provider)) {
        // The provider's escrow could not lock its timeout collateral: the job goes back to the queue, and the
        // provider's capacity is dropped until it offers again, which needs an escrow covering every slot.
        this.#log.warn({ dealId, provider: ready.provider }, "provider could not lock its timeout collateral; its capacity is dropped");
        this.#dropCapacity(ready.provider);
        this.#setStatus(job, "queued", { provider: undefined });
        this.#scheduleMatch();
      } else {
        this.#fail(job, reason.name, `the market skipped the deal: ${reason.name}(${reason.args.map(String).join(", ")})`);
      }
    }
  }

  #dropCapacity(provider: Address): void {
    this.#capacity.delete(provider);
    this.#store.deleteCapacity(provider);
  }

  /** A provider that signed a proposal with another key loses its capacity offer and may not offer again for a while. */
  #penalize(provider: Address, why: string, dealId: Hex): void {
    this.#log.warn({ dealId, provider, why }, `provider ${why}; its capacity is dropped for ${PENALTY_SECONDS} s`);
    this.#dropCapacity(provider);
    this.#penalized.set(provider.toLowerCase(), this.#now() + PENALTY_SECONDS);
  }

  async #openFailed(ready: ReadyDeal, error: unknown): Promise<void> {
    this.#metrics.error(errorCodeOf(error));
    const job = this.#jobs.get(ready.dealId);
    if (!job) return;
    if (error instanceof MarketTxError && error.revert === "InvalidSignature" && resourceOfferSigner(this.#p.conn, ready.resource, ready.resourceSignature) !== ready.provider) {
      // A resource offer signature nothing can be recovered from reverts the batch; alone it lands here.
      this.#penalize(ready.provider, "signed its resource offer with no valid signature", ready.dealId);
      this.#setStatus(job, "queued", { provider: undefined });
      this.#scheduleMatch();
      return;
    }
    if (error instanceof MarketTxError && error.revert) {
      this.#fail(job, error.revert, `the market refused to open the deal: ${describeRevert(error)}`);
    } else {
      // The chain did not answer: the job goes back to the queue for another round in a second (the offers are
      // still signed and valid; the ticker does not re-match a queue on its own).
      this.#log.warn({ dealId: job.record.dealId, err: String(error) }, "opening the deal failed; will retry");
      this.#setStatus(job, "queued", { provider: undefined });
      setTimeout(() => this.#scheduleMatch(), RETRY_OPEN_MS).unref();
    }
  }

  #markOpen(job: StoredJob, deal: readonly bigint[], txHash: string): void {
    if (job.record.status !== "matched" && job.record.status !== "queued") return;
    this.#metrics.matchLatency(Date.now() / 1000 - job.record.createdAt);
    this.#setStatus(job, "open", { deal: [...deal], openTx: txHash }, txHash as Hex);
    const provider = job.record.provider;
    if (!provider) return;
    const message: ServerMessage = { type: "deal.opened", dealId: job.record.dealId, provider, creator: job.record.creator, deal: [...deal], txHash };
    this.#p.deliver(provider, message);
    this.#tellCreator(job.record, message);
  }

  // ---- following the chain ----

  #onOtherEvents(events: MarketEvent[]): void {
    for (const event of events) {
      if (event.eventName === "OffersRevoked") {
        this.#revokeOffers(event.args.creator, event.args.lane, event.args.seq);
        continue;
      }
      if (event.eventName === "ModuleBlockStatusChanged") {
        if (event.args.blocked) {
          this.#blocked.add(event.args.moduleId);
          // Jobs waiting for it would only wait out their deadline: they fail now, with the reason.
          for (const job of [...this.#jobs.values()]) {
            if (job.record.status === "queued" && job.record.moduleId === event.args.moduleId) {
              this.#fail(job, "MODULE_BLOCKED", `module ${event.args.moduleId} was blocked by the network's governance`);
            }
          }
        } else this.#blocked.delete(event.args.moduleId);
      }
    }
  }

  #onDealChanges(changes: DealChange[]): void {
    for (const { kind, deal, txHash } of changes) {
      const job = this.#jobs.get(deal.dealId);
      if (!job) continue;
      switch (kind) {
        case "opened":
          if (job.record.status === "queued" || job.record.status === "matched") {
            job.record.provider = deal.provider;
            this.#markOpen(job, deal.deal, txHash);
          }
          break;
        case "posted":
          job.record.result = deal.result;
          if (job.record.status === "open") this.#setStatus(job, "result-posted", {}, txHash);
          else this.#store.appendEvent(job.record.dealId, { event: "result-posted", at: Date.now() / 1000, txHash: txHash });
          break;
        case "challenged":
          this.#setStatus(job, "challenged", {}, txHash);
          break;
        case "closed":
          if (deal.outcome === Outcome.Declined) {
            // The provider said on chain that it cannot run the job; its last log line says why.
            const why = this.#store.logsOf(job.record.dealId).filter((l) => l.stream === "status").at(-1)?.line ?? "no reason given";
            this.#setStatus(job, "closed", { outcome: deal.outcome, code: "DECLINED", reason: `the provider declined the job (${why})` }, txHash);
          } else this.#setStatus(job, "closed", { outcome: deal.outcome }, txHash);
          this.#jobs.delete(job.record.dealId);
          break;
      }
    }
  }

  /**
   * The creator revoked its offers of `lane` up to `seq`: its jobs there not yet on chain can never open a deal. They
   * end revoked (a proposal out for one is dropped), which frees the lane and the escrow they reserved.
   */
  #revokeOffers(creator: Address, lane: number, seq: number): void {
    for (const job of [...this.#jobs.values()]) {
      const { offer } = job.body;
      if (job.record.status !== "queued" && job.record.status !== "matched") continue;
      if (!isAddressEqual(offer.creator, creator) || offer.lane !== lane || offer.seq > seq) continue;
      const proposal = this.#proposals.get(job.record.dealId);
      if (proposal) clearTimeout(proposal.timer);
      this.#proposals.delete(job.record.dealId);
      this.#fail(job, "REVOKED", `the creator revoked its offers of lane ${lane} up to seq ${seq} on chain before any deal opened`, "revoked");
    }
  }

  /** The watcher resumes from its cursor, so the block list is read whole once at start. */
  async #loadBlockedModules(): Promise<void> {
    const logs = await this.#p.conn.publicClient.getLogs({
      address: this.#p.conn.network.contracts.market,
      event: getAbiItem({ abi: lilypadMarketAbi, name: "ModuleBlockStatusChanged" }),
      fromBlock: BigInt(this.#p.conn.network.deployBlock),
    });
    for (const log of logs) {
      if (log.args.blocked) this.#blocked.add(log.args.moduleId as Hex);
      else this.#blocked.delete(log.args.moduleId as Hex);
    }
  }

  // ---- bookkeeping ----

  /** The jobs in play by status (every active status listed, so an empty one reads 0 rather than vanishing). */
  #jobsByStatus(): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(ACTIVE_STATUSES.map((s) => [s, 0]));
    for (const { record } of this.#jobs.values()) counts[record.status] = (counts[record.status] ?? 0) + 1;
    return counts;
  }

  #reservedBy(creator: Address): bigint {
    let sum = 0n;
    for (const { record, body } of this.#jobs.values()) {
      if (record.creator === creator && (record.status === "queued" || record.status === "matched")) sum += body.offer.paymentCollateral;
    }
    return sum;
  }

  /** Ends a job that never reached the chain: failed, or revoked by its creator. */
  #fail(job: StoredJob, code: string, reason: string, status: "failed" | "revoked" = "failed"): void {
    this.#waitingReason.delete(job.record.dealId);
    this.#setStatus(job, status, { code, reason });
    this.#jobs.delete(job.record.dealId);
    this.#log.info({ dealId: job.record.dealId, code, reason }, `job ${status}`);
  }

  /** The creator hears of its job, and so does whoever submitted it for the creator (a relay, a gateway). */
  #tellCreator(record: JobRecord, message: ServerMessage): void {
    this.#p.deliver(record.creator, message);
    if (record.submitter !== record.creator) this.#p.deliver(record.submitter, message);
  }

  /** Moves a job to `status`, records the step in its timeline (with the transaction that made it), and says so. */
  #setStatus(job: StoredJob, status: JobStatus, changes: Partial<JobRecord>, txHash?: Hex): void {
    if (status !== "matched" && status !== "open" && status !== "queued") this.#slotFreed = true;
    const at = Date.now() / 1000;
    Object.assign(job.record, changes, { status, updatedAt: at });
    this.#metrics.job(status);
    // Failed and revoked jobs get their line from #fail, with the reason.
    if (status !== "failed" && status !== "revoked") {
      this.#log.info({ dealId: job.record.dealId, provider: job.record.provider, txHash, outcome: status === "closed" ? job.record.outcome : undefined }, `job ${status}`);
    }
    this.#store.appendEvent(job.record.dealId, { event: status, at, txHash, outcome: status === "closed" ? job.record.outcome : undefined });
    if ("provider" in changes && changes.provider === undefined) delete job.record.provider;
    this.#store.updateJob(job.record);
    const update: ServerMessage = { type: "job.update", dealId: job.record.dealId, status, code: job.record.code, reason: job.record.reason };
    this.#tellCreator(job.record, update);
  }
}

function describeRevert(error: MarketTxError): string {
  const args = error.revertArgs.map(String).join(", ");
  return `${error.revert}${args ? `(${args})` : ""}`;
}
