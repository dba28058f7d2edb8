// The resource provider: offers this machine's capacity to the solver, signs a resource offer for each job it is
// proposed and wants, runs the job in the metered sandbox once the deal is open on chain, stores the result and
// serves it over HTTP (CAR and plain files), posts it on chain in batches, and finalizes its deals when the job
// creator lets the judging window pass. It follows the chain itself, so a lost solver message costs nothing.
// It registers its URL in the service registry and serves there, besides its results, everything a mediator needs
// to re-run its deals: their inputs (by inputsHash), modules and input files (by CID). A mediator rules it right
// only if that URL delivers the result it posted.
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { createWalletClient, custom, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { CapacityBodyInput, DealProposal, ServerMessage } from "../core/api/solverProtocol.ts";
import { DEFAULT_ENGINES, type FreeCapacity } from "../core/market/marketOrders.ts";
import type { ModuleEngine } from "../core/moduleManifest.ts";
import { DealState, emptyResult, type Result } from "../core/dealTypes.ts";
import { resultsCollateralOf } from "../core/pricing.ts";
import { unpackDeal, type PackedDeal } from "../core/dealPacking.ts";
import type { Logger } from "../core/logger.ts";
import type { ResolvedInputs } from "../core/moduleInputs.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { withTransactionObserver } from "../chain/observeTransactions.ts";
import { BatchQueue } from "../chain/market/batchQueue.ts";
import { declineDeal, finalizeDeals, postResults } from "../chain/market/dealCalls.ts";
import { ensureEscrow } from "../chain/market/escrow.ts";
import { MarketTxError } from "../chain/market/sendMarketTx.ts";
import { laneStatus } from "../chain/market/laneStatus.ts";
import { advertisedUrlFor } from "../net/advertisedUrl.ts";
import { refusesPrivateAddresses } from "../net/privateAddresses.ts";
import { trackDeals, type DealChange, type DealTracker } from "../chain/market/dealTracker.ts";
import type { MarketEvent } from "../chain/market/watchMarketEvents.ts";
import { signResourceOffer } from "../chain/offers.ts";
import { registerService, ServiceRole, serviceUrlOf } from "../chain/serviceRegistry.ts";
import { domainOf } from "../chain/verifyOffers.ts";
import { gatherDealJob } from "../modules/gatherDealJob.ts";
import type { LoadModuleResult } from "../modules/loadModule.ts";
import { runDealJob } from "../modules/runDealJob.ts";
import { availableEngines } from "../sandbox/engines.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import { carRoutes } from "../storage/carRoutes.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { jobInputsRoutes } from "../storage/jobInputsRoutes.ts";
import { SolverClient, type EventStream } from "../net/solverClient.ts";
import { metricsRoutes } from "../metrics/metricsRoutes.ts";
import { createRoleMetrics, errorCodeOf, type RoleMetrics } from "../metrics/roleMetrics.ts";
import { forwardJobOutput } from "./forwardJobOutput.ts";
import { vetProposal, type ProposalPolicy } from "./vetProposal.ts";

/**
 * How long a signed proposal may wait for its deal to open before its slot counts as free again. (The solver gives
 * up on a proposal after seconds; a deal still opened later is picked up from the chain all the same.)
 */
const PROPOSAL_PATIENCE_MS = 60_000;
/** A result whose post failed is tried again this many times, after 1, 2, 4, ... seconds, before the provider gives up. */
const MAX_POST_ATTEMPTS = 6;
/** A job offer may ask up to this many times the provider's own collateral multiple, and no more. */
const MAX_MULTIPLE_FACTOR = 5;
/** The default most locked in one deal, as a multiple of timeout collateral x collateral multiple. */
const DEFAULT_MAX_STAKE_FACTOR = 10n;

export interface ProviderPricing {
  basePrice: bigint;
  pricePerMInstr: bigint;
  timeoutCollateral: bigint;
  collateralMultiple: number;
}

/**
 * Deliberate misbehaviour, for the scenario tests and demos of what the protocol does to a cheat. A real
 * provider leaves this unset.
 */
export interface ProviderFaults {
  /** Post a result whose CID digest is wrong. */
  wrongResult?: boolean;
  /** Add this many instructions to the count it posts. */
  inflateInstructions?: bigint;
  /** Post the right result CID with an output hash that is not its stdout's. */
  wrongOutputHash?: boolean;
  /** Take deals, then never run them or post anything. */
  neverAnswer?: boolean;
  /** Sign proposals with this other (throwaway) key instead of the provider's own. */
  signWithKey?: Hex;
  /** Fail every run with this message, as a provider that cannot run the job would. */
  failToRun?: string;
  /** Post the right result and never serve it (its inputs, module and input files are still served). */
  withholdResult?: boolean;
  /** Answer the first this-many requests for each of its results with 404, then serve it. */
  refuseFirstResultRequests?: number;
  /** Announce this URL for its results (in `result.ready`) instead of the one it registered on chain. */
  announceResultsUrl?: string;
}

export interface ResourceProviderParameters {
  conn: ChainConnection;
  solverUrl: string;
  log: Logger;
  blockstore: Blockstore;
  pool: SandboxPool;
  workRoot: string;
  pricing: ProviderPricing;
  /** Mediators this provider trusts. */
  mediators: Address[];
  /** Jobs run at once. */
  slots: number;
  resources: FreeCapacity;
  /** Module ids it runs; "any" runs every module the network does not block. */
  modules: Hex[] | "any";
  /** The engines this provider offers (default: what this machine runs, availableEngines: container where podman works). */
  engines?: readonly ModuleEngine[];
  /** Keep at least this much available in escrow, depositing from the wallet when short (0 = never deposit). */
  keepInEscrow?: bigint;
  /** The most this provider locks in one deal (default 10 x timeout collateral x collateral multiple). */
  maxStake?: bigint;
  /** Stores (base URLs serving `/ipfs` and `/inputs`) to fetch modules and input files from, after the creator's URL. */
  stores?: string[];
  /** Where to serve results (default 127.0.0.1, a free port); registered on chain as this provider's URL. */
  host?: string;
  /** The URL others reach its results at (registered on chain, sent in offers); default: the one it listens on. */
  publicUrl?: string;
  /** Fetch from a URL the creator registered even at a loopback or private address (default: only on a devnet). */
  allowPrivateAddresses?: boolean;
  port?: number;
  /** Capacity offers live this long and are refreshed at half-life. */
  offerTtlSeconds?: number;
  /** Results waiting this long (ms) are posted together in one transaction. */
  postBatchMs?: number;
  /** How often to look for deals to finalize (ms). */
  finalizeEveryMs?: number;
  now?: () => number;
  faults?: ProviderFaults;
  /** Where its figures go, served at /metrics beside its results (default: a registry of its own). */
  metrics?: RoleMetrics;
}

interface DealWork {
  dealId: Hex;
  deal: PackedDeal;
  moduleId: Hex;
  inputs?: ResolvedInputs;
  inputsHash: Hex;
  state: "proposed" | "running" | "posting" | "posted" | "closed";
  result: Result;
  /** Judging deadline (chain time) once the result is posted, read from the chain when it may have passed. */
  deadline?: number;
  /** When this provider signed the proposal (ms), while the deal is not open yet. */
  proposedAt?: number;
  /** Chain time after which the judging deadline may have passed (estimated when the result was seen posted). */
  checkAfter?: number;
  /** Failed attempts to post the result so far. */
  postFailures?: number;
}

export class ResourceProvider {
  readonly address: Address;
  readonly metrics: RoleMetrics;
  readonly #p: ResourceProviderParameters;
  readonly #log: Logger;
  readonly #solver: SolverClient;
  readonly #deals = new Map<Hex, DealWork>();
  readonly #modules = new Map<string, Promise<LoadModuleResult>>();
  /** Modules the network's governance blocked (from the chain): refused even if on this provider's list. */
  readonly #blocked = new Set<Hex>();
  #engines: ModuleEngine[] = [...DEFAULT_ENGINES];
  readonly #posting: BatchQueue<DealWork>;
  #events: EventStream | undefined;
  #tracker: DealTracker | undefined;
  #refresh: NodeJS.Timeout | undefined;
  #finalizer: NodeJS.Timeout | undefined;
  #http: FastifyInstance | undefined;
  #running = 0;
  #stopped = false;
  /** The latest chain time seen (block timestamp). */
  #chainTime = 0;
  #resultsUrl = "";
  readonly #refusePrivateAddresses: boolean;
  /** Its results' CIDs, each with the requests still to refuse, when a fault withholds them. */
  readonly #withheld = new Map<string, number>();

  constructor(params: ResourceProviderParameters) {
    this.metrics = params.metrics ?? createRoleMetrics({ role: "resource-provider" });
    // Every transaction it sends goes through this connection, so its metrics see them all.
    this.#p = { ...params, conn: withTransactionObserver(params.conn, this.metrics.transaction) };
    this.metrics.jobsInState(() => this.#dealsByState());
    this.address = params.conn.address;
    this.#log = params.log.child({ provider: this.address });
    this.#refusePrivateAddresses = refusesPrivateAddresses({ chainId: params.conn.network.chainId, allowPrivateAddresses: params.allowPrivateAddresses });
    this.#solver = new SolverClient({
      url: params.solverUrl,
      account: params.conn.account,
      scope: { chainId: params.conn.network.chainId, market: params.conn.network.contracts.market },
      now: params.now,
    });
    this.#posting = new BatchQueue({
      send: async (batch) => {
        await postResults(this.#p.conn, batch.map((w) => ({ dealId: w.dealId, deal: w.deal, result: w.result })));
        this.metrics.job("posted", batch.length);
        for (const work of batch) this.#log.info({ dealId: work.dealId }, "result posted");
        for (const work of batch) this.#announce(work);
      },
      onItemError: (work, error) => void this.#retryPost(work, error),
      delayMs: params.postBatchMs,
    });
  }

  get resultsUrl(): string {
    return this.#resultsUrl;
  }

  async start(): Promise<void> {
    const { pricing, slots } = this.#p;
    if (this.#p.engines) this.#engines = [...this.#p.engines];
    else {
      // Asking podman takes a second or more: the provider offers wasm and js at once, and container once it knows.
      void availableEngines().then((found) => {
        if (found.containerNote) this.#log.info({ reason: found.containerNote }, "container modules are not offered");
        if (found.engines.length === this.#engines.length || this.#stopped) return;
        this.#engines = found.engines;
        if (this.#events) void this.#offerCapacity();
      });
    }
    const keep = this.#p.keepInEscrow ?? pricing.timeoutCollateral * BigInt(slots) * 2n;
    if (keep > 0n) {
      const deposited = await ensureEscrow(this.#p.conn, keep);
      if (deposited > 0n) this.#log.info({ deposited: deposited.toString() }, "deposited collateral");
    }
    const advertise = advertisedUrlFor({ host: this.#p.host, publicUrl: this.#p.publicUrl });
    this.#chainTime = Number((await this.#p.conn.publicClient.getBlock()).timestamp);
    this.#http = Fastify({ logger: false });
    if (this.#p.faults?.withholdResult || this.#p.faults?.refuseFirstResultRequests) this.#http.addHook("onRequest", async (request, reply) => this.#withhold(request.url, reply));
    await this.#http.register(carRoutes, { blockstore: this.#p.blockstore });
    await this.#http.register(jobInputsRoutes, { blockstore: this.#p.blockstore });
    await this.#http.register(metricsRoutes, { metrics: this.metrics });
    this.#resultsUrl = advertise(await this.#http.listen({ host: this.#p.host ?? "127.0.0.1", port: this.#p.port ?? 0 }));
    // Before any capacity is offered: a mediator looks the provider's results up at this URL.
    if (await registerService(this.#p.conn, { role: ServiceRole.ResourceProvider, url: this.#resultsUrl })) {
      this.#log.info({ url: this.#resultsUrl }, "registered its URL on chain");
    }
    this.#tracker = await trackDeals(this.#p.conn, {
      keep: (deal) => deal.provider === this.address,
      onChanges: (changes) => this.#onDealChanges(changes),
      onOtherEvents: (events) => this.#onOtherEvents(events),
      onProgress: this.metrics.chainProgress,
      log: this.#log,
    });
    this.#events = this.#solver.subscribe({
      onMessage: (message) => this.#onSolverMessage(message),
      onConnected: () => void this.#offerCapacity(),
      onDisconnected: (reason, retryInMs) => this.#log.warn({ reason, retryInMs }, "lost the solver; reconnecting"),
    });
    const ttl = this.#p.offerTtlSeconds ?? 60;
    this.#refresh = setInterval(() => void this.#offerCapacity(), (ttl * 1000) / 2);
    this.#finalizer = setInterval(() => void this.#finalizeDue(), this.#p.finalizeEveryMs ?? 1000);
    await this.#events.ready();
    this.#log.info({ resultsUrl: this.#resultsUrl }, "resource provider ready");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#events?.close();
    this.#tracker?.watcher.stop();
    if (this.#refresh) clearInterval(this.#refresh);
    if (this.#finalizer) clearInterval(this.#finalizer);
    await this.#posting.drain();
    await this.#http?.close();
  }

  async #offerCapacity(): Promise<void> {
    const { pricing } = this.#p;
    const body: CapacityBodyInput = {
      free: this.#p.resources,
      slots: this.#p.slots,
      modules: this.#p.modules === "any" ? [] : this.#p.modules,
      engines: this.#engines,
      basePrice: pricing.basePrice,
      pricePerMInstr: pricing.pricePerMInstr,
      timeoutCollateral: pricing.timeoutCollateral,
      collateralMultiple: pricing.collateralMultiple,
      mediators: this.#p.mediators,
      expiresAt: this.#now() + (this.#p.offerTtlSeconds ?? 60),
      resultsUrl: this.#resultsUrl,
    };
    try {
      await this.#solver.putCapacity(body);
    } catch (error) {
      this.metrics.error(errorCodeOf(error));
      this.#log.warn({ err: String(error) }, "the solver refused the capacity offer");
    }
  }

  #now(): number {
    return this.#p.now?.() ?? Math.floor(Date.now() / 1000);
  }

  // ---- the solver's messages ----

  #onSolverMessage(message: ServerMessage): void {
    if (message.type === "deal.proposal") void this.#onProposal(message);
    else if (message.type === "deal.opened" && message.provider === this.address) this.#onOpened(message.dealId);
    else if (message.type === "error") {
      this.metrics.error(message.code);
      this.#log.warn({ code: message.code, message: message.message }, "the solver refused a message");
    }
  }

  async #onProposal(proposal: DealProposal): Promise<void> {
    const { dealId, offer, resource } = proposal;
    const decline = (reason: string) => {
      this.metrics.job("refused");
      this.#log.info({ dealId, reason }, "declining a proposal");
      this.#send({ type: "proposal.declined", dealId, reason });
    };
    const { pricing } = this.#p;
    if (this.#p.modules !== "any" && !this.#p.modules.includes(offer.moduleId)) return decline(`module ${offer.moduleId} is not on this provider's list`);
    if (this.#blocked.has(offer.moduleId)) return decline(`module ${offer.moduleId} is blocked on this network`);
    const policy: ProposalPolicy = {
      ...pricing,
      mediators: this.#p.mediators,
      maxTimeoutCollateral: pricing.timeoutCollateral * 10n,
      maxCollateralMultiple: pricing.collateralMultiple * MAX_MULTIPLE_FACTOR,
      maxStake: this.#p.maxStake ?? pricing.timeoutCollateral * BigInt(pricing.collateralMultiple) * DEFAULT_MAX_STAKE_FACTOR,
    };
    const refused = vetProposal({ proposal, policy, domain: domainOf(this.#p.conn), now: this.#now() });
    if (refused) return decline(refused);
    if (this.#running + this.#pendingCount() >= this.#p.slots) return decline("no free slot");
    this.#deals.set(dealId, {
      dealId,
      deal: [0n, 0n, 0n, 0n, 0n],
      moduleId: offer.moduleId,
      inputs: proposal.inputs,
      inputsHash: offer.inputsHash,
      state: "proposed",
      result: emptyResult,
      proposedAt: Date.now(),
    });
    const throwaway = this.#p.faults?.signWithKey;
    const signer = throwaway ? createWalletClient({ account: privateKeyToAccount(throwaway), transport: custom({ request: async () => null }) }) : this.#p.conn.wallet;
    const signature = await signResourceOffer(signer, domainOf(this.#p.conn), resource);
    this.metrics.job("proposed");
    this.#send({ type: "proposal.signed", dealId, resource, signature });
  }

  /** Proposals signed and not yet opened; one that never opens (the job went elsewhere) is forgotten in time. */
  #pendingCount(): number {
    let n = 0;
    const stale = Date.now() - PROPOSAL_PATIENCE_MS;
    for (const [dealId, work] of this.#deals) {
      if (work.state !== "proposed") continue;
      if ((work.proposedAt ?? 0) < stale) this.#deals.delete(dealId);
      else n++;
    }
    return n;
  }

  #send(message: Parameters<EventStream["send"]>[0]): void {
    try {
      this.#events?.send(message);
    } catch (error) {
      this.metrics.error(errorCodeOf(error));
      this.#log.warn({ err: String(error), type: message.type, dealId: "dealId" in message ? message.dealId : undefined }, "could not reach the solver");
    }
  }

  // ---- running deals ----

  /**
   * The solver says a deal opened. Its word is not the chain's: the provider reads the chain now, and its watcher
   * runs the deal from the DealOpened event it finds there, with the chain's terms (#onChainEvents). A message
   * about a deal that is not on chain starts nothing.
   */
  #onOpened(dealId: Hex): void {
    if (this.#deals.get(dealId)?.state === "proposed") void this.#tracker?.watcher.poll();
  }

  async #run(work: DealWork): Promise<void> {
    const { dealId } = work;
    work.state = "running";
    this.metrics.job("running");
    this.#log.info({ dealId, moduleId: work.moduleId }, "deal open on chain; running the job");
    if (this.#p.faults?.neverAnswer) return;
    this.#running++;
    const log = (line: string) => this.#send({ type: "job.log", dealId, line });
    try {
      // The proposal's inputs, or (a deal learned of from the chain alone: a restart) the solver's record of them;
      // a module or an input file not here yet from the creator's registered URL or the configured stores. The
      // inputs are kept, so that a mediator can ask this provider for them.
      const job = await gatherDealJob({
        moduleId: work.moduleId,
        inputsHash: work.inputsHash,
        inputs: work.inputs,
        blockstore: this.#p.blockstore,
        workRoot: this.#p.workRoot,
        moduleCache: this.#modules,
        sources: async () => {
          const creator = await serviceUrlOf(this.#p.conn, { service: unpackDeal(work.deal).creator, role: ServiceRole.JobCreator }).catch(() => undefined);
          return {
            // The solver keeps the creator's input files: the creator may be unreachable, or gone.
            stores: [...(creator === undefined ? [] : [creator]), this.#solver.url, ...(this.#p.stores ?? [])],
            // The creator chose its URL: off a devnet, it must not point this machine at its own private network.
            publicOnly: new Set(creator !== undefined && this.#refusePrivateAddresses ? [creator] : []),
            inputs: [{ name: `solver ${this.#solver.url}`, get: async () => (await this.#solver.getJob(dealId)).record.inputs }],
          };
        },
      });
      if (job.fetched.length > 0) this.#log.info({ dealId, fetched: job.fetched }, "gathered the job");
      work.inputs = job.inputs;
      log("running");
      if (this.#p.faults?.failToRun) throw new Error(this.#p.faults.failToRun);
      // The job's output goes to the solver as it comes, for its creator to follow (bounded: forwardJobOutput).
      const output = forwardJobOutput({ dealId, send: (message) => this.#send(message) });
      const run = await runDealJob({
        moduleId: work.moduleId,
        inputs: work.inputs,
        inputsHash: work.inputsHash,
        blockstore: this.#p.blockstore,
        pool: this.#p.pool,
        workRoot: this.#p.workRoot,
        moduleCache: this.#modules,
        maxInstructions: unpackDeal(work.deal).maxInstructions,
        onOutput: output.onOutput,
        onRun: this.metrics.sandboxRun,
      }).finally(() => output.close());
      if (run.kind === "failed") return await this.#decline(work, `${run.reason}: ${run.message}`);
      log(`finished: exit code ${run.exitCode}, ${run.result.instructions} instructions, ${run.durationMs.toFixed(1)} ms`);
      work.result = this.#applyFaults(run.result);
      if (this.#p.faults?.withholdResult || this.#p.faults?.refuseFirstResultRequests) {
        this.#withheld.set(run.resultCid.toString(), this.#p.faults.withholdResult ? Infinity : this.#p.faults.refuseFirstResultRequests ?? 0);
      }
      work.state = "posting";
      this.#posting.push(work);
      this.#log.info({ dealId, resultCid: run.resultCid.toString(), instructions: run.result.instructions.toString() }, "job done");
    } catch (error) {
      this.metrics.error(errorCodeOf(error));
      await this.#decline(work, error instanceof Error ? error.message : String(error));
    } finally {
      this.#running--;
    }
  }

  /**
   * A job that could not run, or a run the sandbox stopped where another honest run might not have been (the wall
   * clock, the host's stack or memory, a crash, a limit of the js engine: posting it would be posting something a
   * mediator cannot reproduce), is declined on chain at once. The creator gets its collateral back with this
   * provider's timeout collateral (what silence would cost) without waiting out the result timeout, and hears why
   * from the log line sent first.
   */
  async #decline(work: DealWork, reason: string): Promise<void> {
    this.#log.warn({ dealId: work.dealId, err: reason }, "the job gave no result; declining the deal");
    this.#send({ type: "job.log", dealId: work.dealId, line: `failed: ${reason}`.slice(0, 4000) });
    work.state = "closed";
    this.metrics.job("declined");
    await declineDeal(this.#p.conn, work).catch((error: unknown) => {
      this.metrics.error(errorCodeOf(error));
      this.#log.warn({ dealId: work.dealId, err: String(error) }, "could not decline the deal; it will time out");
    });
  }

  /**
   * A post that failed is tried again with back-off, an escrow too short for the results collateral topped up from
   * the wallet first (the deal's terms are the chain's already: deals start only from DealOpened events). After
   * MAX_POST_ATTEMPTS it gives up (the deal's deadline has passed by then, or the market keeps refusing for a reason
   * that waiting does not change).
   */
  async #retryPost(work: DealWork, error: unknown): Promise<void> {
    work.postFailures = (work.postFailures ?? 0) + 1;
    this.metrics.error(errorCodeOf(error));
    if (work.postFailures >= MAX_POST_ATTEMPTS) {
      this.metrics.job("post-failed");
      this.#log.error({ dealId: work.dealId, err: String(error), attempts: work.postFailures }, "posting the result failed; giving up");
      work.state = "closed";
      return;
    }
    const delayMs = 1000 * 2 ** (work.postFailures - 1);
    this.#log.warn({ dealId: work.dealId, err: String(error), retryInMs: delayMs }, "posting the result failed; retrying");
    if (error instanceof MarketTxError && error.revert === "InsufficientBalance") {
      await ensureEscrow(this.#p.conn, resultsCollateralOf(unpackDeal(work.deal), work.result.instructions)).catch((topUpError: unknown) =>
        this.#log.warn({ dealId: work.dealId, err: String(topUpError) }, "could not top up the escrow before retrying"),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    if (work.state === "posting" && !this.#stopped) this.#posting.push(work);
  }

  #applyFaults(result: Result): Result {
    const faults = this.#p.faults;
    if (!faults) return result;
    return {
      cidDigest: faults.wrongResult ? (`0x${"ab".repeat(32)}` as Hex) : result.cidDigest,
      outputHash: faults.wrongOutputHash ? (`0x${"cd".repeat(32)}` as Hex) : result.outputHash,
      instructions: result.instructions + (faults.inflateInstructions ?? 0n),
    };
  }

  /** The withholding faults: a request for one of its results (a CAR or a file in it) is refused while they say so. */
  #withhold(url: string, reply: FastifyReply): FastifyReply | undefined {
    const cid = /^\/ipfs\/([^/?]+)/.exec(url)?.[1];
    const left = cid === undefined ? undefined : this.#withheld.get(cid);
    if (cid === undefined || left === undefined || left <= 0) return undefined;
    this.#withheld.set(cid, left - 1);
    return reply.code(404).send({ code: "CONTENT_NOT_FOUND", message: `${cid} not found` });
  }

  #announce(work: DealWork): void {
    work.state = "posted";
    this.#send({ type: "result.ready", dealId: work.dealId, result: work.result, resultsUrl: this.#p.faults?.announceResultsUrl ?? this.#resultsUrl });
  }

  // ---- the chain ----

  #onOtherEvents(events: MarketEvent[]): void {
    for (const event of events) {
      if (event.eventName !== "ModuleBlockStatusChanged") continue;
      if (event.args.blocked) this.#blocked.add(event.args.moduleId);
      else this.#blocked.delete(event.args.moduleId);
    }
  }

  /** Only deals the chain says are this provider's are run: a proposal alone starts nothing. */
  #onDealChanges(changes: DealChange[]): void {
    for (const { kind, deal } of changes) {
      const work = this.#deals.get(deal.dealId);
      switch (kind) {
        case "opened": {
          if (work && work.state !== "proposed") break;
          const opened: DealWork = work ?? { dealId: deal.dealId, deal: deal.deal, moduleId: deal.moduleId, inputsHash: deal.inputsHash, state: "proposed", result: emptyResult };
          opened.deal = deal.deal;
          this.#deals.set(opened.dealId, opened);
          // A deal this process signed the proposal of has just opened: only its own result deadline can close it,
          // so it runs at once. One found in the history read at start may have closed since: the chain says first.
          if (work?.proposedAt !== undefined) void this.#run(opened);
          else void this.#runIfStillOpen(opened);
          break;
        }
        case "posted":
          if (!work) break;
          work.result = deal.result;
          work.state = "posted";
          // Most results are judged long before the window closes: read the real deadline only once it may have.
          work.checkAfter = this.#chainTime + unpackDeal(work.deal).judgingWindow;
          break;
        case "challenged":
          if (!work) break;
          // The mediator decides now.
          work.deadline = undefined;
          work.checkAfter = undefined;
          break;
        case "closed":
          if (!work) break;
          this.#deals.delete(deal.dealId);
          // A deal still "proposed" never ran here: the history read at start, or a proposal that went elsewhere.
          if (work.state === "proposed") break;
          this.metrics.job("closed");
          this.#log.info({ dealId: deal.dealId, outcome: deal.outcome }, "deal closed");
          break;
      }
    }
  }

  /** Deals in hand by state (every state listed, so an empty one reads 0). */
  #dealsByState(): Record<string, number> {
    const counts: Record<DealWork["state"], number> = { proposed: 0, running: 0, posting: 0, posted: 0, closed: 0 };
    for (const work of this.#deals.values()) counts[work.state]++;
    return counts;
  }

  async #runIfStillOpen(work: DealWork): Promise<void> {
    const deal = unpackDeal(work.deal);
    const lane = await laneStatus(this.#p.conn, deal.creator, deal.lane).catch(() => undefined);
    if (lane?.state === DealState.Open && work.state === "proposed") await this.#run(work);
  }

  async #learnDeadline(work: DealWork): Promise<void> {
    const deal = unpackDeal(work.deal);
    const lane = await laneStatus(this.#p.conn, deal.creator, deal.lane).catch(() => undefined);
    if (lane?.state === DealState.ResultPosted) work.deadline = lane.deadline;
  }

  /** Finalizes deals whose judging window passed without a verdict: the provider is paid. */
  async #finalizeDue(): Promise<void> {
    const posted = [...this.#deals.values()].filter((w) => w.state === "posted" && w.checkAfter !== undefined);
    if (posted.length === 0) return;
    try {
      const block = await this.#p.conn.publicClient.getBlock();
      this.#chainTime = Number(block.timestamp);
      const maybe = posted.filter((w) => (w.checkAfter ?? Infinity) <= this.#chainTime);
      await Promise.all(maybe.filter((w) => w.deadline === undefined).map((w) => this.#learnDeadline(w)));
      const ready = maybe.filter((w) => w.deadline !== undefined && w.deadline < this.#chainTime);
      if (ready.length === 0) return;
      for (const w of ready) w.checkAfter = undefined;
      await finalizeDeals(this.#p.conn, ready.map((w) => ({ dealId: w.dealId, deal: w.deal, result: w.result })));
      this.metrics.job("finalized", ready.length);
      this.#log.info({ deals: ready.length, dealIds: ready.map((w) => w.dealId) }, "finalized deals the creator did not judge");
    } catch (error) {
      this.metrics.error(errorCodeOf(error));
      this.#log.warn({ err: String(error), dealIds: posted.map((w) => w.dealId) }, "finalizing failed; will retry");
      for (const w of posted) if (w.state === "posted") w.checkAfter ??= this.#chainTime;
    }
  }
}


