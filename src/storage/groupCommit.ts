import type { DatabaseSync } from "node:sqlite";

export interface GroupCommitParameters {
  /**
   * How long the first write of a transaction waits for others to join it before the commit (default 0: until
   * the next turn of the event loop). A busy writer whose writes come one per turn commits once per window
   * instead of once per turn; each commit rewrites in the WAL every page it touched, so a row a second later
   * write touches again (a status, the next log line) is written once.
   */
  windowMs?: number;
}

/**
 * Group commit for a SQLite connection: the first write opens a transaction, every write until the commit (the
 * next turn of the event loop, or the end of the window) joins it, and then it commits once. One commit (its
 * locks and WAL writes) per burst instead of one per write; whoever must know a write is on disk awaits
 * `committed()`. The connection's own reads see the writes at once; other connections see them after the commit,
 * all together or not at all.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #windowMs: number;
  /** The commit of the open transaction; undefined when none is open. */
  #pending: Promise<void> | undefined;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(db: DatabaseSync, params: GroupCommitParameters = {}) {
    this.#db = db;
    this.#windowMs = params.windowMs ?? 0;
  }

  /** Runs `fn` (its statements) inside the open transaction, opening one if needed. */
  write<T>(fn: () => T): T {
    if (this.#pending === undefined) {
      // IMMEDIATE takes the write lock now, waiting on another process's under the busy timeout; a deferred
      // transaction would fail outright if it had to upgrade its lock.
      this.#db.exec("BEGIN IMMEDIATE");
      this.#pending = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
      // Whoever awaits it sees a failure; with nobody waiting it must not go unhandled.
      this.#pending.catch(() => {});
      if (this.#windowMs > 0) setTimeout(() => this.flush(), this.#windowMs);
      else setImmediate(() => this.flush());
    }
    return fn();
  }

  /** Resolves once everything written so far is committed; rejects if that commit failed. */
  committed(): Promise<void> {
    return this.#pending ?? Promise.resolve();
  }

  /** Commits the open transaction now (the scheduled commit then finds nothing to do). */
  flush(): void {
    const settle = this.#settle;
    if (this.#pending === undefined || settle === undefined) return;
    this.#pending = undefined;
    this.#settle = undefined;
    try {
      this.#db.exec("COMMIT");
      settle.resolve();
    } catch (error) {
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec("ROLLBACK");
      settle.reject(error);
    }
  }
}
