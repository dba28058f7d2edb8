// The solver's state in SQLite (a real file, WAL journal): jobs with their signed offers, providers' capacity
// offers, the nonces of signed requests until they expire, and the chain cursor. Writes commit in groups (see
// `committed`); a job is acknowledged only once it is on disk, and the cursor commits with the statuses it
// advanced, so a restart resumes from a consistent state.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { nodeSqlite } from "../core/nodeSqlite.ts";
import type { Address, Hex } from "viem";
import { toWireJson } from "../core/api/wire.ts";
import {
  capacityBodySchema,
  jobRecordSchema,
  jobTimelineEntrySchema,
  submitJobBodySchema,
  type JobLogEntry,
  type JobTimelineEntry,
  type LogStream,
  type CapacityBody,
  type JobRecord,
  type JobStatus,
  type SubmitJobBody,
} from "../core/api/solverProtocol.ts";
import { GroupCommit } from "../storage/groupCommit.ts";

export interface StoredJob {
  record: JobRecord;
  body: SubmitJobBody;
}

/** Which jobs a listing keeps (all of them when a field is absent). */
export interface JobsFilter {
  statuses?: readonly JobStatus[];
  moduleId?: Hex;
  /** Submitted at or after this time (unix seconds). */
  since?: number;
}

export interface StoredCapacity {
  provider: Address;
  body: CapacityBody;
  updatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  deal_id TEXT PRIMARY KEY,
  creator TEXT NOT NULL,
  provider TEXT,
  status TEXT NOT NULL,
  lane_key TEXT NOT NULL,
  record TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE INDEX IF NOT EXISTS jobs_creator ON jobs(creator, created_at);
CREATE INDEX IF NOT EXISTS jobs_provider ON jobs(provider, created_at);
CREATE INDEX IF NOT EXISTS jobs_lane ON jobs(lane_key, status);
CREATE TABLE IF NOT EXISTS capacity (
  provider TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
  address TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expiry INTEGER NOT NULL,
  PRIMARY KEY (address, nonce)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_logs (
  deal_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at REAL NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (deal_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_events (
  deal_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  at REAL NOT NULL,
  tx_hash TEXT,
  outcome INTEGER,
  PRIMARY KEY (deal_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Columns added to tables of an existing store after it was made: each is added when missing, with a default that
 * reads the old rows right (a store made before job output was kept holds only status lines).
 */
const ADDED_COLUMNS: readonly { table: string; column: string; definition: string }[] = [
  { table: "job_logs", column: "stream", definition: "TEXT NOT NULL DEFAULT 'status'" },
];

/** Status lines kept per job: a chatty or hostile provider cannot fill the solver's disk. */
export const MAX_LOG_LINES = 500;
/** How long the solver's writes gather before one commit (see the constructor). */
export const SOLVER_COMMIT_WINDOW_MS = 10;
/**
 * Characters of a job's live stdout and stderr kept per job (together). The output is a preview for whoever follows
 * the job; the whole of it is in the result.
 */
export const MAX_OUTPUT_CHARS = 256 * 1024;

/** Statuses in which a job still holds its lane and the creator's funds in the solver's books. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["queued", "matched", "open", "result-posted", "challenged"];

export class SolverStore {
  readonly #db: DatabaseSync;
  readonly #insertJob: StatementSync;
  readonly #updateJob: StatementSync;
  readonly #getJob: StatementSync;
  readonly #putCapacity: StatementSync;
  readonly #insertNonce: StatementSync;
  readonly #laneWaiting: StatementSync;
  readonly #nextLogSeq: StatementSync;
  readonly #insertLog: StatementSync;
  readonly #logUsage: StatementSync;
  readonly #logsAfter: StatementSync;
  readonly #nextEventSeq: StatementSync;
  readonly #insertEvent: StatementSync;
  readonly #eventsOf: StatementSync;
  readonly #pruneNonces: StatementSync;
  readonly #getMeta: StatementSync;
  readonly #setMeta: StatementSync;
  readonly #writes: GroupCommit;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new (nodeSqlite().DatabaseSync)(path);
    this.#db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec(SCHEMA);
    addMissingColumns(this.#db);
    this.#insertJob = this.#db.prepare(
      "INSERT INTO jobs (deal_id, creator, provider, status, lane_key, record, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#updateJob = this.#db.prepare("UPDATE jobs SET provider = ?, status = ?, record = ? WHERE deal_id = ?");
    this.#getJob = this.#db.prepare("SELECT record, body FROM jobs WHERE deal_id = ?");
    this.#putCapacity = this.#db.prepare(
      "INSERT INTO capacity (provider, body, updated_at) VALUES (?, ?, ?) ON CONFLICT(provider) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    );
    this.#insertNonce = this.#db.prepare("INSERT OR IGNORE INTO nonces (address, nonce, expiry) VALUES (?, ?, ?)");
    this.#laneWaiting = this.#db.prepare("SELECT 1 FROM jobs WHERE lane_key = ? AND status IN ('queued', 'matched') LIMIT 1");
    this.#nextLogSeq = this.#db.prepare("SELECT COALESCE(MAX(seq) + 1, 0) AS n FROM job_logs WHERE deal_id = ?");
    this.#insertLog = this.#db.prepare("INSERT INTO job_logs (deal_id, seq, at, line, stream) VALUES (?, ?, ?, ?, ?)");
    this.#logUsage = this.#db.prepare(
      "SELECT COALESCE(SUM(stream = 'status'), 0) AS lines, COALESCE(SUM(CASE WHEN stream = 'status' THEN 0 ELSE length(line) END), 0) AS chars FROM job_logs WHERE deal_id = ?",
    );
    this.#logsAfter = this.#db.prepare("SELECT seq, at, stream, line FROM job_logs WHERE deal_id = ? AND seq > ? ORDER BY seq");
    this.#nextEventSeq = this.#db.prepare("SELECT COALESCE(MAX(seq) + 1, 0) AS n FROM job_events WHERE deal_id = ?");
    this.#insertEvent = this.#db.prepare("INSERT INTO job_events (deal_id, seq, event, at, tx_hash, outcome) VALUES (?, ?, ?, ?, ?, ?)");
    this.#eventsOf = this.#db.prepare("SELECT event, at, tx_hash, outcome FROM job_events WHERE deal_id = ? ORDER BY seq");
    this.#pruneNonces = this.#db.prepare("DELETE FROM nonces WHERE expiry < ?");
    this.#getMeta = this.#db.prepare("SELECT value FROM meta WHERE key = ?");
    this.#setMeta = this.#db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    // Nearly every message of every job writes a row here (a status, an event, a log line): at a hundred jobs a
    // second, committing each turn's writes alone was the solver thread's largest cost. A submission waits for
    // its commit before it is acknowledged, so a job is acknowledged at most this much later.
    this.#writes = new GroupCommit(this.#db, { windowMs: SOLVER_COMMIT_WINDOW_MS });
  }

  /**
   * Resolves once every write made so far is on disk. Writes commit in groups (see GroupCommit): one commit per
   * burst of messages instead of one per message, which at full load cost the solver a fifth of its time. Whatever
   * acknowledges a write to someone else waits for this first, so a crash loses nothing that was acknowledged.
   */
  committed(): Promise<void> {
    return this.#writes.committed();
  }

  insertJob(job: StoredJob): void {
    const { record, body } = job;
    this.#writes.write(() => this.#insertJob.run(
      record.dealId,
      record.creator,
      record.provider ?? null,
      record.status,
      laneKey(body.offer.creator, body.offer.lane),
      toWireJson(record),
      toWireJson(body),
      record.createdAt,
    ));
  }

  updateJob(record: JobRecord): void {
    this.#writes.write(() => this.#updateJob.run(record.provider ?? null, record.status, toWireJson(record), record.dealId));
  }

  getJob(dealId: Hex): StoredJob | undefined {
    const row = this.#getJob.get(dealId.toLowerCase()) as { record: string; body: string } | undefined;
    return row ? decodeJob(row) : undefined;
  }

  /** Jobs in these statuses, oldest first. */
  jobsWithStatus(statuses: readonly JobStatus[]): StoredJob[] {
    const rows = this.#db
      .prepare(`SELECT record, body FROM jobs WHERE status IN (${statuses.map(() => "?").join(",")}) ORDER BY created_at`)
      .all(...statuses) as { record: string; body: string }[];
    return rows.map(decodeJob);
  }

  /** The newest jobs an address created or provided, newest first, narrowed by `filter`. */
  jobsOf(address: Address, limit: number, filter: JobsFilter = {}): JobRecord[] {
    const where = ["(creator = ? OR provider = ?)"];
    const args: (string | number)[] = [address, address];
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => "?").join(",")})`);
      args.push(...filter.statuses);
    }
    if (filter.moduleId !== undefined) {
      where.push("json_extract(record, '$.moduleId') = ?");
      args.push(filter.moduleId.toLowerCase());
    }
    if (filter.since !== undefined) {
      where.push("created_at >= ?");
      args.push(filter.since);
    }
    const rows = this.#db
      .prepare(`SELECT record FROM jobs WHERE ${where.join(" AND ")} ORDER BY created_at DESC LIMIT ?`)
      .all(...args, limit) as { record: string }[];
    return rows.map((r) => jobRecordSchema.parse(JSON.parse(r.record)));
  }

  /**
   * Whether a job not yet on chain waits in this creator's lane. (Once a deal is open, the market's lane status
   * is the truth: the solver's own view of it may lag the chain by a poll.)
   */
  laneWaiting(creator: Address, lane: number): boolean {
    return this.#laneWaiting.get(laneKey(creator, lane)) !== undefined;
  }

  /**
   * Appends a status line or a chunk of output to a job's log, keeping at most `MAX_LOG_LINES` status lines and
   * `MAX_OUTPUT_CHARS` of output per job; says whether it was kept.
   */
  appendLog(dealId: Hex, line: string, at: number, stream: LogStream = "status"): boolean {
    const used = this.#logUsage.get(dealId) as { lines: number; chars: number };
    if (stream === "status" ? used.lines >= MAX_LOG_LINES : used.chars + line.length > MAX_OUTPUT_CHARS) return false;
    const { n } = this.#nextLogSeq.get(dealId) as { n: number };
    this.#writes.write(() => this.#insertLog.run(dealId, n, at, line, stream));
    return true;
  }

  /** A job's log entries numbered above `after` (default: all), in order. */
  logsOf(dealId: Hex, after = -1): JobLogEntry[] {
    return this.#logsAfter.all(dealId, after) as JobLogEntry[];
  }

  /** Records a step of a job's timeline (see jobTimelineEntrySchema). */
  appendEvent(dealId: Hex, entry: JobTimelineEntry): void {
    this.#writes.write(() => {
      const { n } = this.#nextEventSeq.get(dealId) as { n: number };
      this.#insertEvent.run(dealId, n, entry.event, entry.at, entry.txHash ?? null, entry.outcome ?? null);
    });
  }

  /** A job's timeline, oldest first (empty for a job taken before the store kept one). */
  timelineOf(dealId: Hex): JobTimelineEntry[] {
    const rows = this.#eventsOf.all(dealId) as { event: string; at: number; tx_hash: string | null; outcome: number | null }[];
    const timeline: JobTimelineEntry[] = [];
    for (const r of rows) {
      const entry = jobTimelineEntrySchema.parse({
        event: r.event,
        at: r.at,
        ...(r.tx_hash === null ? {} : { txHash: r.tx_hash }),
        ...(r.outcome === null ? {} : { outcome: r.outcome }),
      });
      // A step heard twice (the provider's message, then the chain's event with its transaction) is one step.
      const last = timeline.at(-1);
      if (last?.event === entry.event) {
        if (last.txHash === undefined && entry.txHash !== undefined) last.txHash = entry.txHash;
        if (last.outcome === undefined && entry.outcome !== undefined) last.outcome = entry.outcome;
      } else timeline.push(entry);
    }
    return timeline;
  }

  putCapacity(capacity: StoredCapacity): void {
    this.#writes.write(() => this.#putCapacity.run(capacity.provider, toWireJson(capacity.body), capacity.updatedAt));
  }

  deleteCapacity(provider: Address): void {
    this.#writes.write(() => this.#db.prepare("DELETE FROM capacity WHERE provider = ?").run(provider));
  }

  capacities(): StoredCapacity[] {
    const rows = this.#db.prepare("SELECT provider, body, updated_at FROM capacity").all() as {
      provider: Address;
      body: string;
      updated_at: number;
    }[];
    return rows.map((r) => ({ provider: r.provider, body: capacityBodySchema.parse(JSON.parse(r.body)), updatedAt: r.updated_at }));
  }

  /** Records a request nonce; false when it was seen before (a replay). */
  recordNonce(address: Address, nonce: string, expiry: number): boolean {
    return this.#writes.write(() => this.#insertNonce.run(address, nonce, expiry).changes === 1);
  }

  /** Forgets nonces whose requests have expired: they can no longer be replayed anyway. */
  pruneNonces(now: number): void {
    this.#writes.write(() => this.#pruneNonces.run(now));
  }

  getMeta(key: string): string | undefined {
    const row = this.#getMeta.get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.#writes.write(() => this.#setMeta.run(key, value));
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.#writes.flush();
    this.#db.close();
  }
}

function addMissingColumns(db: DatabaseSync): void {
  for (const { table, column, definition } of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  }
}

function laneKey(creator: Address, lane: number): string {
  return `${creator}:${lane}`;
}

function decodeJob(row: { record: string; body: string }): StoredJob {
  return { record: jobRecordSchema.parse(JSON.parse(row.record)), body: submitJobBodySchema.parse(JSON.parse(row.body)) };
}
