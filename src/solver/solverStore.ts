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
  submitJobBodySchema,
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
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Log lines kept per job: a chatty or hostile provider cannot fill the solver's disk. */
export const MAX_LOG_LINES = 500;

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
  readonly #pruneNonces: StatementSync;
  readonly #getMeta: StatementSync;
  readonly #setMeta: StatementSync;
  readonly #writes: GroupCommit;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new (nodeSqlite().DatabaseSync)(path);
    this.#db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec(SCHEMA);
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
    this.#insertLog = this.#db.prepare("INSERT INTO job_logs (deal_id, seq, at, line) VALUES (?, ?, ?, ?)");
    this.#pruneNonces = this.#db.prepare("DELETE FROM nonces WHERE expiry < ?");
    this.#getMeta = this.#db.prepare("SELECT value FROM meta WHERE key = ?");
    this.#setMeta = this.#db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.#writes = new GroupCommit(this.#db);
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

  /** The newest jobs an address created or provided, newest first. */
  jobsOf(address: Address, limit: number): JobRecord[] {
    const rows = this.#db
      .prepare("SELECT record FROM jobs WHERE creator = ? OR provider = ? ORDER BY created_at DESC LIMIT ?")
      .all(address, address, limit) as { record: string }[];
    return rows.map((r) => jobRecordSchema.parse(JSON.parse(r.record)));
  }

  /**
   * Whether a job not yet on chain waits in this creator's lane. (Once a deal is open, the market's lane status
   * is the truth: the solver's own view of it may lag the chain by a poll.)
   */
  laneWaiting(creator: Address, lane: number): boolean {
    return this.#laneWaiting.get(laneKey(creator, lane)) !== undefined;
  }

  /** Appends a line to a job's log, keeping at most `MAX_LOG_LINES` per job. */
  appendLog(dealId: Hex, line: string, at: number): void {
    const { n } = this.#nextLogSeq.get(dealId) as { n: number };
    if (n >= MAX_LOG_LINES) return;
    this.#writes.write(() => this.#insertLog.run(dealId, n, at, line));
  }

  logsOf(dealId: Hex): { at: number; line: string }[] {
    return this.#db.prepare("SELECT at, line FROM job_logs WHERE deal_id = ? ORDER BY seq").all(dealId) as { at: number; line: string }[];
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

function laneKey(creator: Address, lane: number): string {
  return `${creator}:${lane}`;
}

function decodeJob(row: { record: string; body: string }): StoredJob {
  return { record: jobRecordSchema.parse(JSON.parse(row.record)), body: submitJobBodySchema.parse(JSON.parse(row.body)) };
}
