// The mediator: when a deal it was chosen for is challenged, it fetches the job's inputs, re-runs the job in its
// own metered sandbox, and rules on chain: the provider is right only if the result CID, the output hash and the
// instruction count all match its own run exactly. Runs are deterministic, so an honest provider always matches.
// A re-run the sandbox stopped where another run might not have been (the wall clock, the host) decides nothing:
// after a retry with a longer wall clock the mediator abstains (judgeRerun.ts).
import type { Address, Hex } from "viem";
import type { Logger } from "../core/logger.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { ruleOnDeal } from "../chain/market/dealCalls.ts";
import { readDeal } from "../chain/market/readDeal.ts";
import { unpackDeal } from "../core/dealPacking.ts";
import { logChainOutages, watchMarketEvents, type MarketWatcher } from "../chain/market/watchMarketEvents.ts";
import { domainOf } from "../chain/verifyOffers.ts";
import type { LoadModuleResult } from "../modules/loadModule.ts";
import { runDealJob } from "../modules/runDealJob.ts";
import { judgeRerun } from "./judgeRerun.ts";
import type { SandboxPool } from "../sandbox/sandboxPool.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { SolverClient } from "../net/solverClient.ts";

export interface MediatorParameters {
  conn: ChainConnection;
  solverUrl: string;
  log: Logger;
  blockstore: Blockstore;
  pool: SandboxPool;
  workRoot: string;
  now?: () => number;
}

export interface Ruling {
  dealId: Hex;
  providerRight: boolean;
  /** What differed, when the provider was wrong. */
  reason?: string;
}

/** A deal the mediator will not rule on: the deal closes at its mediation timeout, both sides refunded. */
export interface Abstention {
  dealId: Hex;
  reason: string;
}

export class Mediator {
  readonly address: Address;
  readonly #p: MediatorParameters;
  readonly #log: Logger;
  readonly #solver: SolverClient;
  readonly #modules = new Map<string, Promise<LoadModuleResult>>();
  readonly #handled = new Set<Hex>();
  readonly #listeners = new Set<(ruling: Ruling) => void>();
  readonly #abstentionListeners = new Set<(abstention: Abstention) => void>();
  #watcher: MarketWatcher | undefined;

  constructor(params: MediatorParameters) {
    this.#p = params;
    this.address = params.conn.address;
    this.#log = params.log.child({ mediator: this.address });
    this.#solver = new SolverClient({ url: params.solverUrl, account: params.conn.account, scope: domainOf(params.conn), now: params.now });
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
    const challenged = new Set<Hex>();
    this.#watcher = watchMarketEvents(this.#p.conn, {
      onEvents: async (events) => {
        for (const event of events) {
          if (event.eventName === "DealChallenged" && event.args.mediator === this.address) challenged.add(event.args.dealId);
          if (event.eventName === "DealClosed") challenged.delete(event.args.dealId);
        }
        for (const dealId of challenged) {
          if (this.#handled.has(dealId)) continue;
          this.#handled.add(dealId);
          void this.#mediate(dealId);
        }
      },
      ...logChainOutages(this.#log),
    });
    await this.#watcher.poll();
    this.#log.info("mediator ready");
  }

  async stop(): Promise<void> {
    this.#watcher?.stop();
  }

  async #mediate(dealId: Hex): Promise<void> {
    const log = this.#log.child({ dealId });
    try {
      const deal = await readDeal(this.#p.conn, dealId);
      if (!deal) throw new Error("no such deal on chain");
      const { record } = await this.#solver.getJob(dealId);
      const posted = deal.result;
      const verdict = await judgeRerun({
        posted,
        rerun: ({ wallClockFactor }) =>
          runDealJob({
            moduleId: deal.moduleId,
            inputs: record.inputs,
            inputsHash: deal.inputsHash,
            blockstore: this.#p.blockstore,
            pool: this.#p.pool,
            workRoot: this.#p.workRoot,
            moduleCache: this.#modules,
            maxInstructions: unpackDeal(deal.deal).maxInstructions,
            wallClockFactor,
          }),
        onFailedRun: (failed, attempt) => log.warn({ attempt, reason: failed.reason, err: failed.message }, "the re-run failed"),
      });
      if (verdict.kind === "abstain") {
        // The deal stays handled: running it again on the next event would only fail again. Without a ruling the
        // deal closes at the mediation timeout and both sides are refunded.
        log.warn({ reason: verdict.reason }, "not ruling");
        for (const listener of this.#abstentionListeners) listener({ dealId, reason: verdict.reason });
        return;
      }
      const { providerRight } = verdict;
      await ruleOnDeal(this.#p.conn, { dealId, deal: deal.deal, result: posted }, providerRight);
      const ruling: Ruling = { dealId, providerRight, reason: verdict.reason };
      log.info({ providerRight, reason: ruling.reason }, "ruled");
      for (const listener of this.#listeners) listener(ruling);
    } catch (error) {
      // Without a ruling the deal closes at the mediation timeout and both sides are refunded.
      log.error({ err: String(error) }, "could not mediate");
      this.#handled.delete(dealId);
    }
  }
}
