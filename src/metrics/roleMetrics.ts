// One role's Prometheus metrics: its own prom-client Registry (never the global one: the embedded network runs every
// role in one process, and each role's /metrics must show only its own figures) holding the metrics every role
// shares, all named lilypad_* and labelled with the role. A role records through the methods below; what it does
// not do (a gateway runs no sandbox) simply stays at zero. docs/operators.md lists every metric.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SentTransaction } from "../chain/chainConnection.ts";
import type { ChainProgress } from "../chain/market/watchMarketEvents.ts";
import { LilypadError } from "../core/errors.ts";

/** The roles that keep metrics, as their loggers name them (the `role` label). */
export type MetricsRole = "solver" | "resource-provider" | "mediator" | "gateway" | "jobcreator" | "indexer";

export interface CreateRoleMetricsParameters {
  role: MetricsRole;
  /**
   * Also collect the process's own metrics (process_*, nodejs_*: CPU, memory, event loop lag, GC). Only where the
   * role has the process to itself (the `lilypad <role>` commands): in the embedded network every role shares one
   * process, and each registry would repeat the same figures as if they were its own.
   */
  processMetrics?: boolean;
}

/** One sandbox run, as the role that ran it saw it. */
export interface SandboxRunObservation {
  /** The module's name:version from its manifest ("unknown" when the run failed before it was loaded). */
  module: string;
  /** The manifest's engine ("unknown" likewise). */
  engine: string;
  /** ok, nonzero-exit, a sandbox limit code (e.g. TIMEOUT), or error (the run could not start). */
  outcome: string;
  seconds: number;
}

export interface RoleMetrics {
  readonly role: MetricsRole;
  /** Everything this role exposes; serve it with metricsRoutes. */
  readonly registry: Registry;
  /** A job (or deal) of this role entered `state` (`count` of them at once: a batch; default 1). */
  job(state: string, count?: number): void;
  /** Reads how many jobs are in each state now, at every scrape (replaces the previous reader). */
  jobsInState(read: () => Readonly<Record<string, number>>): void;
  /** Seconds from a job's submission to its deal opening on chain (the solver). */
  matchLatency(seconds: number): void;
  sandboxRun(run: SandboxRunObservation): void;
  /** A transaction this role sent (pass as a connection's observer: withTransactionObserver). */
  transaction(tx: SentTransaction): void;
  /** Where this role's chain watcher stands (pass as a watcher's onProgress). */
  chainProgress(progress: ChainProgress): void;
  /** An error this role answered with or ran into, by its stable code. */
  error(code: string): void;
}

/** Seconds: a devnet match takes a fraction of a second; a public chain's block time and confirmations add tens. */
const MATCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds: from a cowsay (milliseconds) to a model's inference (minutes), up to the longest wall clock allowed. */
const SANDBOX_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];
/** Gas: the market's calls use 50k-800k; batches of many deals go into the millions. */
const GAS_BUCKETS = [25_000, 50_000, 100_000, 200_000, 300_000, 500_000, 750_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000];

export function createRoleMetrics(params: CreateRoleMetricsParameters): RoleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role: params.role });
  if (params.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const jobs = new Counter({ name: "lilypad_jobs_total", help: "Jobs (or deals) that entered each state, as this role saw them", labelNames: ["state"], registers });
  let readStates: (() => Readonly<Record<string, number>>) | undefined;
  new Gauge({
    name: "lilypad_jobs",
    help: "Jobs (or deals) this role holds in each state now",
    labelNames: ["state"],
    registers,
    collect() {
      if (!readStates) return;
      // A state left empty since the last scrape drops out rather than repeating its old count.
      this.reset();
      for (const [state, n] of Object.entries(readStates())) this.set({ state }, n);
    },
  });
  const matchLatency = new Histogram({
    name: "lilypad_match_latency_seconds",
    help: "Seconds from a job's submission to its deal opening on chain",
    buckets: MATCH_BUCKETS,
    registers,
  });
  const sandboxRuns = new Histogram({
    name: "lilypad_sandbox_run_seconds",
    help: "Seconds each sandbox run took, by module, engine and outcome",
    labelNames: ["module", "engine", "outcome"],
    buckets: SANDBOX_BUCKETS,
    registers,
  });
  const transactions = new Counter({
    name: "lilypad_transactions_total",
    help: "Transactions this role sent, by contract, method and status (success, reverted, failed)",
    labelNames: ["contract", "method", "status"],
    registers,
  });
  const gas = new Histogram({
    name: "lilypad_transaction_gas_used",
    help: "Gas used by each mined transaction this role sent (its _sum is the total gas)",
    labelNames: ["contract", "method"],
    buckets: GAS_BUCKETS,
    registers,
  });
  const lag = new Gauge({ name: "lilypad_chain_lag_blocks", help: "The chain's newest block minus the last block this role has read", registers });
  const reachable = new Gauge({ name: "lilypad_chain_reachable", help: "1 while this role's last look at the chain succeeded, else 0", registers });
  const errors = new Counter({ name: "lilypad_errors_total", help: "Errors this role answered with or ran into, by stable code", labelNames: ["code"], registers });

  return {
    role: params.role,
    registry,
    job: (state, count = 1) => jobs.inc({ state }, count),
    jobsInState: (read) => {
      readStates = read;
    },
    matchLatency: (seconds) => matchLatency.observe(Math.max(0, seconds)),
    sandboxRun: ({ module, engine, outcome, seconds }) => sandboxRuns.observe({ module, engine, outcome }, Math.max(0, seconds)),
    transaction: (tx) => {
      transactions.inc({ contract: tx.contract, method: tx.method, status: tx.status });
      if (tx.gasUsed !== undefined) gas.observe({ contract: tx.contract, method: tx.method }, Number(tx.gasUsed));
    },
    chainProgress: (progress) => {
      reachable.set(progress.reachable ? 1 : 0);
      if (!progress.reachable) return;
      const behind = progress.head - progress.lastRead;
      lag.set(behind > 0n ? Number(behind) : 0);
    },
    error: (code) => errors.inc({ code }),
  };
}

/**
 * The stable code of anything thrown: a LilypadError's own, else INTERNAL. (Codes are a fixed catalogue, so the
 * `code` label stays small; a free-form message never becomes a label.)
 */
export function errorCodeOf(error: unknown): string {
  return error instanceof LilypadError ? error.code : "INTERNAL";
}
