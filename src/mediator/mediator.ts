// The mediator: when a deal it was chosen for is challenged, it gathers the job (inputs, module, input files) from
// whoever has it, re-runs it in its own metered sandbox, checks that the provider delivers the result it posted,
// and rules on chain. The provider is right only if the result CID, the output hash and the instruction count all
// match the mediator's own run exactly, and its registered URL serves that result. Runs are deterministic, so an
// honest provider that serves its result always is. A re-run the sandbox stopped where another run might not have
// been (the wall clock, the host) decides nothing: after a retry with a longer wall clock the mediator abstains
// (judgeRerun.ts).
//
// Nothing here depends on which solver matched the deal or on this mediator having seen it before: the deal's
// on-chain data names the module (moduleId), the inputs (inputsHash), the provider, the creator and the solver (the
// sender of the opening transaction), and the service registry says where each can be reached. Every answer is
// checked against those hashes. The mediator serves what it gathered and ran (results, inputs) at its own
// registered URL, so a creator that paid for a result can always get it.
import Fastify, { type FastifyInstance } from "fastify";
import type { Address, Hex } from "viem";
import type { Logger } from "../core/logger.ts";
import { unpackDeal } from "../core/dealPacking.ts";
import { MAX_RESULT_BYTES, resultCidOfDigest } from "../core/resultCid.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { withTransactionObserver } from "../chain/observeTransactions.ts";
import { dealServicesOf, type DealServices } from "../chain/dealServices.ts";
import { ruleOnDeal } from "../chain/market/dealCalls.ts";
import { advertisedUrlFor } from "../net/advertisedUrl.ts";
import { trackDeals, type DealTracker, type TrackedDeal } from "../chain/market/dealTracker.ts";
import { registerService, ServiceRole } from "../chain/serviceRegistry.ts";
import { domainOf } from "../chain/verifyOffers.ts";
import { gatherDealJob, type DealJobSources } from "../modules/gatherDealJob.ts";
import type { LoadModuleResult } from "../modules/loadModule.ts";
import { runDealJob } from "../modules/runDealJob.ts";
import { judgeRerun } from "./judgeRerun.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import { carRoutes } from "../storage/carRoutes.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { jobInputsRoutes } from "../storage/jobInputsRoutes.ts";
import { verifyServedCar } from "../storage/verifyServedCar.ts";
import { PrivateAddressError, refusePrivateUrl, refusesPrivateAddresses } from "../net/privateAddresses.ts";
import { SolverClient } from "../net/solverClient.ts";
import { metricsRoutes } from "../metrics/metricsRoutes.ts";
import { createRoleMetrics, errorCodeOf, type RoleMetrics } from "../metrics/roleMetrics.ts";

/** A deal that could not be mediated is tried again after this, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export interface MediatorParameters {
  conn: ChainConnection;
  log: Logger;
  blockstore: Blockstore;
  pool: SandboxPool;
  workRoot: string;
  /** A solver to ask for a deal's inputs besides the one that opened the deal (found on chain). */
  solverUrl?: string;
  /** Stores (base URLs serving `/ipfs` and `/inputs`) to ask for what a deal's parties do not serve. */
  stores?: string[];
  /** Where to serve results and inputs (default 127.0.0.1, a free port); registered as this mediator's URL. */
  host?: string;
  /** The URL others reach the results it re-ran at (registered on chain); default: the one it listens on. */
  publicUrl?: string;
  port?: number;
  /** Tries at reading the provider's result before ruling it undelivered, 1, 2, 4, ... s apart (default 4). */
  deliveryAttempts?: number;
  /**
   * Reach the deal's parties at loopback, private and link-local addresses. Default: only on a devnet (chain id
   * 31337); elsewhere a URL a party registered on chain that is (or resolves to) one is refused: nothing is gathered
   * from it, and a provider's result served only there is not delivered. The solver and stores configured here are
   * always reached.
   */
  allowPrivateAddresses?: boolean;
  now?: () => number;
  /** Where its figures go, served at /metrics beside its results (default: a registry of its own). */
  metrics?: RoleMetrics;
}

export interface Ruling {
  dealId: Hex;
  providerRight: boolean;
  /** What differed, or what was not delivered, when the provider was wrong. */
  reason?: string;
}

/** A deal the mediator will not rule on: the deal closes at its mediation timeout, both sides refunded. */
export interface Abstention {
  dealId: Hex;
  reason: string;
}

export class Mediator {
  readonly address: Address;
  readonly metrics: RoleMetrics;
  readonly #p: MediatorParameters;
  readonly #log: Logger;
  readonly #refusePrivateAddresses: boolean;
  readonly #modules = new Map<string, Promise<LoadModuleResult>>();
  /** Deals challenged to this mediator and not closed yet. */
  readonly #challenged = new Map<Hex, TrackedDeal>();
  /** Deals being mediated, or waiting to be tried again. */
  readonly #handled = new Set<Hex>();
  readonly #failures = new Map<Hex, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #listeners = new Set<(ruling: Ruling) => void>();
  readonly #abstentionListeners = new Set<(abstention: Abstention) => void>();
  #tracker: DealTracker | undefined;
  #http: FastifyInstance | undefined;
  #url = "";
  #stopped = false;

  constructor(params: MediatorParameters) {
    this.metrics = params.metrics ?? createRoleMetrics({ role: "mediator" });
    // Every transaction it sends (rulings) goes through this connection, so its metrics see them all.
    this.#p = { ...params, conn: withTransactionObserver(params.conn, this.metrics.transaction) };
    this.metrics.jobsInState(() => ({ challenged: this.#challenged.size }));
    this.address = params.conn.address;
    this.#log = params.log.child({ mediator: this.address });
    this.#refusePrivateAddresses = refusesPrivateAddresses({ chainId: params.conn.network.chainId, allowPrivateAddresses: params.allowPrivateAddresses });
  }

  /** Where this mediator serves the results it re-ran and the inputs it gathered (registered on chain). */
  get url(): string {
    return this.#url;
  }

  /** Called after each ruling is on chain. */
  onRuling(listener: (ruling: Ruling) => void): void {
    this.#listeners.add(listener);
  }

  /** Called when the mediator decides not to rule on a deal. */
  onAbstention(listener: (abstention: Abstention) => void): void {
    this.#abstentionListeners.add(listener);
  }

  async start(): Promise<void> {
    const advertise = advertisedUrlFor({ host: this.#p.host, publicUrl: this.#p.publicUrl });
    this.#http = Fastify({ logger: false });
    await this.#http.register(carRoutes, { blockstore: this.#p.blockstore });
    await this.#http.register(jobInputsRoutes, { blockstore: this.#p.blockstore });
    await this.#http.register(metricsRoutes, { metrics: this.metrics });
    this.#url = advertise(await this.#http.listen({ host: this.#p.host ?? "127.0.0.1", port: this.#p.port ?? 0 }));
    await registerService(this.#p.conn, { role: ServiceRole.Mediator, url: this.#url });
    this.#tracker = await trackDeals(this.#p.conn, {
      onChanges: (changes) => {
        for (const { kind, deal } of changes) {
          if (kind === "challenged" && deal.mediator === this.address) this.#challenged.set(deal.dealId, deal);
          if (kind === "closed") {
            this.#challenged.delete(deal.dealId);
            this.#failures.delete(deal.dealId);
          }
        }
        this.#mediateChallenged();
      },
      onProgress: this.metrics.chainProgress,
      log: this.#log,
    });
    this.#log.info({ url: this.#url }, "mediator ready");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#tracker?.watcher.stop();
    for (const timer of this.#timers) clearTimeout(timer);
    const http = this.#http;
    this.#http = undefined;
    await http?.close();
  }

  #mediateChallenged(): void {
    if (this.#stopped) return;
    for (const [dealId, deal] of this.#challenged) {
      if (this.#handled.has(dealId)) continue;
      this.#handled.add(dealId);
      // Counted when its mediation starts, not when the event is read: at start the mediator reads the chain's
      // history, and a challenge long since closed is no challenge of this process's. A retry is not a new one.
      if (!this.#failures.has(dealId)) {
        this.metrics.job("challenged");
        this.#log.info({ dealId, provider: deal.provider }, "challenged; mediating");
      }
      void this.#mediate(deal);
    }
  }

  async #mediate(deal: TrackedDeal): Promise<void> {
    const { dealId } = deal;
    const log = this.#log.child({ dealId });
    try {
      const services = await dealServicesOf(this.#p.conn, { dealId, provider: deal.provider, creator: unpackDeal(deal.deal).creator });
      const job = await gatherDealJob({
        moduleId: deal.moduleId,
        inputsHash: deal.inputsHash,
        blockstore: this.#p.blockstore,
        workRoot: this.#p.workRoot,
        moduleCache: this.#modules,
        sources: async () => this.#sourcesOf(dealId, services),
      });
      if (job.fetched.length > 0) log.info({ fetched: job.fetched }, "gathered the job");
      const posted = deal.result;
      const verdict = await judgeRerun({
        posted,
        rerun: ({ wallClockFactor }) =>
          runDealJob({
            moduleId: deal.moduleId,
            inputs: job.inputs,
            inputsHash: deal.inputsHash,
            blockstore: this.#p.blockstore,
            pool: this.#p.pool,
            workRoot: this.#p.workRoot,
            moduleCache: this.#modules,
            maxInstructions: unpackDeal(deal.deal).maxInstructions,
            wallClockFactor,
            onRun: this.metrics.sandboxRun,
          }),
        onFailedRun: (failed, attempt) => log.warn({ attempt, reason: failed.reason, err: failed.message }, "the re-run failed"),
      });
      if (verdict.kind === "abstain") {
        // The deal stays handled: running it again on the next event would only fail again. Without a ruling the
        // deal closes at the mediation timeout and both sides are refunded.
        this.metrics.job("abstained");
        log.warn({ reason: verdict.reason }, "not ruling");
        for (const listener of this.#abstentionListeners) listener({ dealId, reason: verdict.reason });
        this.#failures.delete(dealId);
        return;
      }
      let { providerRight, reason } = verdict;
      // The right result is worth nothing to a creator that cannot get it: the provider must serve it too. (Its CID
      // is the re-run's here, so the mediator checks the provider's copy, block by block.)
      if (providerRight) {
        const undelivered = await this.#undelivered(deal, services, resultCidOfDigest(posted.cidDigest).toString());
        if (undelivered) [providerRight, reason] = [false, undelivered];
      }
      await ruleOnDeal(this.#p.conn, { dealId, deal: deal.deal, result: posted }, providerRight);
      this.metrics.job(providerRight ? "provider-right" : "provider-wrong");
      const ruling: Ruling = { dealId, providerRight, reason };
      log.info({ providerRight, reason, resultsUrl: providerRight ? this.#url : undefined }, "ruled");
      this.#failures.delete(dealId);
      for (const listener of this.#listeners) listener(ruling);
    } catch (error) {
      // Tried again, with back-off, while the deal stays challenged. Without a ruling the deal closes at the
      // mediation timeout and both sides are refunded.
      const failures = (this.#failures.get(dealId) ?? 0) + 1;
      this.#failures.set(dealId, failures);
      const retryInMs = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
      this.metrics.error(errorCodeOf(error));
      log.error({ err: String(error), retryInMs }, "could not mediate");
      this.#later(retryInMs, () => {
        this.#handled.delete(dealId);
        this.#mediateChallenged();
      });
    }
  }

  /** Everything this mediator may ask, in order: the deal's provider, its creator, the configured stores, then solvers. */
  #sourcesOf(dealId: Hex, services: DealServices): DealJobSources {
    const solverUrls = [...new Set([services.solver?.url, this.#p.solverUrl].filter((u): u is string => u !== undefined))];
    // The solver keeps the creator's input files.
    const stores = [...new Set([services.provider, services.creator, ...solverUrls, ...(this.#p.stores ?? [])].filter((u): u is string => u !== undefined))];
    const { conn, now } = this.#p;
    // URLs the parties registered on chain; what this mediator was configured with is its operator's choice.
    const configured = new Set([...(this.#p.stores ?? []), ...(this.#p.solverUrl === undefined ? [] : [this.#p.solverUrl])]);
    const publicOnly = (url: string) => this.#refusePrivateAddresses && !configured.has(url);
    return {
      stores,
      publicOnly: new Set(stores.filter(publicOnly)),
      inputs: solverUrls.map((url) => ({
        name: `solver ${url}`,
        get: async () => {
          if (publicOnly(url)) await refusePrivateUrl(url);
          return (await new SolverClient({ url, account: conn.account, scope: domainOf(conn), now }).getJob(dealId)).record.inputs;
        },
      })),
    };
  }

  /**
   * Why the provider's result is not delivered, or undefined when it is: its registered URL must serve the whole
   * DAG under the result CID, every block verified. Tried `deliveryAttempts` times, 1, 2, 4, ... s apart.
   */
  async #undelivered(deal: TrackedDeal, services: DealServices, resultCid: string): Promise<string | undefined> {
    if (services.provider === undefined) return `the result ${resultCid} was not delivered: provider ${deal.provider} registered no URL`;
    const attempts = this.#p.deliveryAttempts ?? 4;
    let failure = "";
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise<void>((resolve) => this.#later(FIRST_RETRY_MS * 2 ** (attempt - 1), resolve));
      try {
        await verifyServedCar({ url: services.provider, root: resultCid, maxBytes: MAX_RESULT_BYTES, refusePrivateAddresses: this.#refusePrivateAddresses });
        return undefined;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
        // A refused address is refused again: no point waiting.
        if (error instanceof PrivateAddressError) break;
      }
    }
    return `the result ${resultCid} was not delivered (${failure})`;
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}
