// The on-chain job relay (`lilypad jobcreator`): follows the OnChainJobCreator contract's JobRequested events and
// hands each requested job offer to the solver, the way an off-chain job creator would submit its own.
//
// Why the relay cannot cheat as a forwarder: the job offer it submits is the one the contract emitted, and the
// contract approves exactly that offer (its EIP-712 digest, the deal id) through EIP-1271, so the relay has no key
// that matters: the signature it sends is a placeholder, and an offer it altered in any field (price, payment,
// inputs, mediators, callback) would have another digest that the contract refuses and the market rejects. It never
// holds the client's payment (the contract deposits it in escrow), and it cannot fake the result: the market itself
// calls the contract back when the deal closes, which calls the client. The worst a relay can do is stay
// silent, and then any other relay (or the client itself) can forward the same offer, or the client cancels the
// request after its expiry and takes its payment back.
//
// A request may also name the relay as its judge (`judge`). For those the relay checks the posted result as the SDK
// does and accepts or challenges it through the contract (relayJudge.ts): a client that names it trusts it with
// that, and a relay that judged wrongly could at most accept garbage (what an unjudged deal gets) or spend the
// client's mediation fee on a challenge the mediator settles. Requests naming any other judge are only forwarded.
//
// The relay keeps a block cursor from the network's deploy block, catches up after an outage, and backs off while
// the chain cannot be read. A request the solver refuses (bad inputs, stale lane, expired...) is logged with the
// solver's code and dropped; while the solver cannot be reached the request waits and is retried with back-off,
// until its expiry.
import { getAbiItem, type Address, type Hex } from "viem";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { withTransactionObserver } from "../chain/observeTransactions.ts";
import { onChainJobCreatorAbi } from "../chain/generated/contracts.ts";
import { backoff, logChainOutages, watchBlocks, type BlockRange, type BlockWatcher } from "../chain/market/watchMarketEvents.ts";
import { domainOf } from "../chain/verifyOffers.ts";
import { jobInputsSchema, type JobStatus } from "../core/api/solverProtocol.ts";
import { jobOfferSchema, type JobOffer, type Signature } from "../core/dealTypes.ts";
import type { Logger } from "../core/logger.ts";
import type { JobResources } from "../core/market/marketOrders.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { ResolvedInputs } from "../core/moduleInputs.ts";
import { readModuleManifest } from "../modules/loadModule.ts";
import type { ModuleEngine } from "../core/moduleManifest.ts";
import { SolverClient, SolverRequestError } from "../net/solverClient.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { createRoleMetrics, errorCodeOf, type RoleMetrics } from "../metrics/roleMetrics.ts";
import { RelayJudge, type JudgedRequest, type RequestedJob, type UnjudgedRequest } from "./relayJudge.ts";

export type { JudgedRequest, UnjudgedRequest };

const ZERO32: Hex = `0x${"0".repeat(64)}`;
/** The contract approves its offers through EIP-1271, so the signature's bytes do not matter. */
const NO_SIGNATURE: Signature = { r: ZERO32, vs: ZERO32 };
/** What a job needs when its module's manifest cannot be read here. */
export const DEFAULT_RELAY_RESOURCES: JobResources = { cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 64 };

/** What the solver needs to know of a request's module to find it a provider. */
interface ModuleNeeds {
  resources: JobResources;
  engine: ModuleEngine;
}
const DEFAULT_RELAY_NEEDS: ModuleNeeds = { resources: DEFAULT_RELAY_RESOURCES, engine: "wasm" };
/** The longest a relayed job waits for a provider (seconds), however far its offer's expiry. */
export const RELAY_MAX_WAIT_SECONDS = 300;

const jobRequestedEvent = getAbiItem({ abi: onChainJobCreatorAbi, name: "JobRequested" });

export interface OnChainJobRelayParameters {
  /**
   * The relay's own account: it signs its requests to the solver (any account will do; it holds nothing), and pays
   * the gas of its judgements for the requests that name it as judge.
   */
  conn: ChainConnection;
  solverUrl: string;
  log: Logger;
  /** Where modules are looked up to size a job's resources, and where results the relay judges are downloaded. */
  blockstore: Blockstore;
  /** Scratch space (unpacked module artifacts). */
  workDir: string;
  /** For requests that name the relay as judge: probability (0-1) of challenging a result that passes the checks. */
  mediationChance?: number;
  /** Draws the spot check (default Math.random). */
  random?: () => number;
  /** For requests that name the relay as judge: download from private addresses (default: only on a devnet). */
  allowPrivateAddresses?: boolean;
  /** How often the chain is read (ms; default 25 on the dev chain, 2000 elsewhere). */
  pollMs?: number;
  /** The first block to read (default: the network's deploy block). */
  fromBlock?: bigint;
  /** Most blocks read per getLogs call. */
  maxRange?: bigint;
  /** Unix seconds (the solver's clock; default: this machine's). */
  now?: () => number;
  /** How long one submission may take before it counts as a failed attempt (ms, default 30 s). */
  submitTimeoutMs?: number;
  /**
   * Where its figures go (default: a registry of its own). The relay has no HTTP server: whoever starts it serves
   * them (startMetricsServer; `lilypad jobcreator --metrics-port`).
   */
  metrics?: RoleMetrics;
}

/** A request the solver accepted. */
export interface RelayedRequest {
  requestId: bigint;
  dealId: Hex;
  client: Address;
  /** The job's status at the solver when it answered (a job it already had keeps its own). */
  status: JobStatus;
}

/** A request the relay gave up on: the solver refused it, its inputs are unusable, or it expired first. */
export interface DroppedRequest {
  requestId: bigint;
  dealId: Hex;
  client: Address;
  /** The solver's error code, or the relay's own (EXPIRED, INVALID_INPUTS). */
  code: string;
  reason: string;
}

interface PendingRequest {
  requestId: bigint;
  dealId: Hex;
  client: Address;
  offer: JobOffer;
  inputs: string;
  /** Failed submission attempts (solver unreachable or erring). */
  attempts: number;
  /** Looked up on the first attempt, kept for the retries. */
  needs?: ModuleNeeds;
}

export class OnChainJobRelay {
  readonly address: Address;
  readonly metrics: RoleMetrics;
  readonly #p: OnChainJobRelayParameters;
  readonly #log: Logger;
  readonly #solver: SolverClient;
  readonly #judge: RelayJudge;
  readonly #pollMs: number;
  readonly #maxRange: bigint;
  readonly #now: () => number;
  readonly #relayedListeners = new Set<(r: RelayedRequest) => void>();
  readonly #droppedListeners = new Set<(r: DroppedRequest) => void>();
  readonly #needs = new Map<Hex, Promise<ModuleNeeds>>();
  /** Deal ids already queued, relayed or dropped: a request is handled once, however often its event is read. */
  readonly #seen = new Set<Hex>();
  readonly #queue: PendingRequest[] = [];
  /** Where reading starts (again) when the relay starts. */
  #fromBlock: bigint;
  #watcher: BlockWatcher | undefined;
  /** The latest block's timestamp, as last read: past a request's expiry no deal can open from it. */
  #chainTime = 0n;
  #stopped = true;
  #submitFailures = 0;
  #submitTimer: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | undefined;

  constructor(params: OnChainJobRelayParameters) {
    this.metrics = params.metrics ?? createRoleMetrics({ role: "jobcreator" });
    // Its judgements are the transactions it sends, through this connection.
    this.#p = { ...params, conn: withTransactionObserver(params.conn, this.metrics.transaction) };
    this.address = params.conn.address;
    this.#log = params.log.child({ relay: this.address });
    this.#solver = new SolverClient({ url: params.solverUrl, account: params.conn.account, scope: domainOf(params.conn), now: params.now });
    this.#judge = new RelayJudge({
      conn: this.#p.conn,
      log: this.#log,
      blockstore: params.blockstore,
      workDir: params.workDir,
      mediationChance: params.mediationChance,
      random: params.random,
      allowPrivateAddresses: params.allowPrivateAddresses,
    });
    this.#pollMs = params.pollMs ?? (params.conn.network.chainId === 31337 ? 25 : 2000);
    this.#maxRange = params.maxRange ?? 5_000n;
    this.#now = params.now ?? (() => Math.floor(Date.now() / 1000));
    this.#fromBlock = params.fromBlock ?? BigInt(params.conn.network.deployBlock);
    this.metrics.jobsInState(() => ({ pending: this.#queue.length, judging: this.#judge.following }));
    this.#judge.onJudged((j) => this.metrics.job(j.verdict === "accept" ? "accepted" : "challenged"));
    this.#judge.onUnjudged(() => this.metrics.job("unjudged"));
  }

  /** The next block that will be read. */
  get cursor(): bigint {
    return this.#watcher?.cursor ?? this.#fromBlock;
  }

  /** Requests waiting for the solver. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Called after the solver accepts each request. */
  onRelayed(listener: (r: RelayedRequest) => void): () => void {
    this.#relayedListeners.add(listener);
    return () => this.#relayedListeners.delete(listener);
  }

  /** Called for each request the relay gives up on. */
  onDropped(listener: (r: DroppedRequest) => void): () => void {
    this.#droppedListeners.add(listener);
    return () => this.#droppedListeners.delete(listener);
  }

  /** Requests naming this relay as judge whose deal has not closed yet. */
  get judging(): number {
    return this.#judge.following;
  }

  /** Called after each result the relay accepted or challenged as a request's judge. */
  onJudged(listener: (j: JudgedRequest) => void): () => void {
    return this.#judge.onJudged(listener);
  }

  /** Called for each result the relay should have judged and could not (the deal then closes unjudged). */
  onUnjudged(listener: (u: UnjudgedRequest) => void): () => void {
    return this.#judge.onUnjudged(listener);
  }

  /** Catches up with the chain once (the solver may still be out of reach), then keeps following it. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#watcher = watchBlocks(this.#p.conn, {
      fromBlock: this.#fromBlock,
      pollMs: this.#pollMs,
      maxRange: this.#maxRange,
      read: (range) => this.#readRange(range),
      onProgress: this.metrics.chainProgress,
      ...logChainOutages(this.#log),
    });
    await this.#watcher.poll();
    this.#log.info({ jobCreator: this.#p.conn.network.contracts.jobCreator, cursor: this.cursor.toString() }, "on-chain job relay ready");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#submitTimer) clearTimeout(this.#submitTimer);
    this.#submitTimer = undefined;
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await Promise.allSettled([watcher?.stop(), this.#pumping, this.#judge.stop()]);
    if (watcher) this.#fromBlock = watcher.cursor;
  }

  // ---- following the chain ----

  /** Reads one range's requests, follows those it judges, then their deals' events in the same range. */
  async #readRange({ fromBlock, toBlock, head }: BlockRange): Promise<void> {
    this.#chainTime = head.timestamp;
    const logs = await this.#p.conn.publicClient.getLogs({
      address: this.#p.conn.network.contracts.jobCreator,
      event: jobRequestedEvent,
      fromBlock,
      toBlock,
      strict: true,
    });
    for (const log of logs) this.#enqueue(log.args);
    // The range's requests are followed before its deal events are read, so none of their results is missed. A
    // failure reads the range again: a request already queued or judged is not handled twice.
    const requested: RequestedJob[] = logs.map(({ args }) => ({ requestId: args.requestId, dealId: args.dealId, client: args.client, expiry: args.offer.expiry }));
    await this.#judge.track(requested);
    await this.#judge.read({ fromBlock, toBlock, head });
    if (this.#queue.length > 0) this.#pump();
  }

  #enqueue(args: { requestId: bigint; client: Address; dealId: Hex; offer: object; submitter: Address; inputs: string }): void {
    if (this.#seen.has(args.dealId)) return;
    this.#seen.add(args.dealId);
    // The offer is signed for its submitter, which the event carries beside it (calldata never holds it).
    const parsed = jobOfferSchema.safeParse({ ...args.offer, submitter: args.submitter });
    if (!parsed.success) {
      // The contract builds the offer, so this means a contract this relay does not understand.
      this.#drop({ requestId: args.requestId, dealId: args.dealId, client: args.client }, "INVALID_OFFER", parsed.error.message);
      return;
    }
    this.#queue.push({ requestId: args.requestId, dealId: args.dealId, client: args.client, offer: parsed.data, inputs: args.inputs, attempts: 0 });
    this.metrics.job("requested");
    this.#log.info({ requestId: args.requestId.toString(), dealId: args.dealId, client: args.client }, "job requested");
  }

  // ---- submitting ----

  /** Submits queued requests in order; stops at the first one the solver could not take for now. */
  #pump(): void {
    if (this.#stopped || this.#pumping || this.#submitTimer) return;
    this.#pumping = this.#pumpOnce().finally(() => {
      this.#pumping = undefined;
    });
  }

  async #pumpOnce(): Promise<void> {
    while (!this.#stopped) {
      const request = this.#queue.shift();
      if (!request) return;
      const failure = await this.#submit(request);
      if (failure === undefined) {
        this.#submitFailures = 0;
        continue;
      }
      // The solver is out of reach (or erring): this request goes to the back, and every request waits.
      request.attempts++;
      this.#queue.push(request);
      this.#submitFailures++;
      const retryInMs = backoff(this.#submitFailures, Math.max(this.#pollMs, 100));
      this.#log.warn(
        { requestId: request.requestId.toString(), dealId: request.dealId, ...failure, attempts: request.attempts, retryInMs },
        "could not submit the job; retrying",
      );
      this.#submitTimer = setTimeout(() => {
        this.#submitTimer = undefined;
        this.#pump();
      }, retryInMs);
      return;
    }
  }

  /** One attempt at one request. Resolves with what went wrong when it should be tried again later. */
  async #submit(request: PendingRequest): Promise<{ err: string; code?: string } | undefined> {
    const { requestId, dealId, client, offer } = request;
    const log = this.#log.child({ requestId: requestId.toString(), dealId });
    let inputs: ResolvedInputs;
    try {
      inputs = jobInputsSchema.parse(JSON.parse(request.inputs));
    } catch (error) {
      this.#drop(request, "INVALID_INPUTS", `the request's inputs are not a JSON object of module inputs: ${String(error)}`);
      return undefined;
    }
    request.needs ??= await this.#needsOf(offer.moduleId);
    const { resources, engine } = request.needs;
    const now = this.#now();
    // The chain's clock decides when the offer expires; the solver's decides when a job stops waiting. They can
    // differ (the dev chain runs ahead of the machine's: every block moves it on a second), so the deadline is the
    // time the chain leaves, counted on the solver's clock, at most RELAY_MAX_WAIT_SECONDS, and never after the
    // expiry the solver checks it against.
    const chainNow = this.#chainTime > 0n ? this.#chainTime : BigInt(now);
    if (offer.expiry <= chainNow || offer.expiry <= BigInt(now)) {
      this.#drop(request, "EXPIRED", `the request expired at ${offer.expiry}`, "info");
      return undefined;
    }
    const deadline = Math.min(Number(offer.expiry), now + Math.min(RELAY_MAX_WAIT_SECONDS, Number(offer.expiry - chainNow)));
    try {
      const record = await this.#withTimeout(this.#solver.submitJob({ offer, signature: NO_SIGNATURE, inputs, resources, engine, deadline }));
      this.metrics.job("relayed");
      log.info({ status: record.status, deadline, resources }, "job relayed to the solver");
      this.#emit(this.#relayedListeners, { requestId, dealId, client, status: record.status });
      return undefined;
    } catch (error) {
      if (error instanceof SolverRequestError && !isTransient(error)) {
        this.#drop(request, error.code, error.message);
        return undefined;
      }
      this.metrics.error(errorCodeOf(error));
      return { err: String(error), code: error instanceof SolverRequestError ? error.code : undefined };
    }
  }

  #drop(request: { requestId: bigint; dealId: Hex; client: Address }, code: string, reason: string, level: "info" | "warn" = "warn"): void {
    const { requestId, dealId, client } = request;
    this.metrics.job("dropped");
    // Expired requests are routine when catching up from an old block; refusals deserve a warning (and a count).
    if (level === "warn") this.metrics.error(code);
    this.#log[level]({ requestId: requestId.toString(), dealId, client, code, reason }, "request not relayed");
    this.#emit(this.#droppedListeners, { requestId, dealId, client, code, reason });
  }

  /** A listener that throws is logged; it does not make the relay submit the request again. */
  #emit<T>(listeners: Set<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.#log.error({ err: String(error), dealId: (value as { dealId?: Hex }).dealId }, "a relay listener threw");
      }
    }
  }

  /**
   * The module manifest's resources and engine when its manifest is here (its artifact is not needed: a container's
   * is an image of hundreds of megabytes), else a small default.
   */
  #needsOf(moduleId: Hex): Promise<ModuleNeeds> {
    let found = this.#needs.get(moduleId);
    if (!found) {
      found = readModuleManifest({ cid: moduleCidOfDigest(moduleId), blockstore: this.#p.blockstore })
        .then(({ resources, engine }) => ({ resources, engine }))
        .catch((error: unknown) => {
          this.#log.info({ moduleId, err: String(error) }, "module not available here; using default resources");
          // Not cached: the module may be published later.
          this.#needs.delete(moduleId);
          return DEFAULT_RELAY_NEEDS;
        });
      this.#needs.set(moduleId, found);
    }
    return found;
  }

  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.#p.submitTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // Status 0, as for a solver out of reach: worth another try (isTransient).
      timer = setTimeout(() => reject(new SolverRequestError({ code: "SOLVER_TIMEOUT", message: `the solver did not answer within ${ms} ms`, status: 0 })), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Out of reach, overloaded or failing: worth another try. Any other answer is the solver refusing the job. */
function isTransient(error: SolverRequestError): boolean {
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}
