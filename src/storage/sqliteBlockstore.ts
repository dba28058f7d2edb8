import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { CID } from "multiformats/cid";
import { ContentNotFoundError } from "./errors.ts";

interface AbortOptions {
  signal?: AbortSignal;
}

/** What ipfs-unixfs-importer and the other writers hand to `put`: one buffer, or a block in chunks. */
export type BlockBytes = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** A read-only store consulted on a miss: the blocks an older version of lilypad filed one per file. */
export interface FallbackBlockstore {
  get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array>;
  has(cid: CID, options?: AbortOptions): Promise<boolean>;
}

export interface SqliteBlockstoreParameters {
  /** The database file; created if missing. */
  file: string;
  fallback?: FallbackBlockstore;
}

/**
 * Blocks in one SQLite file, keyed by multihash (as kubo files them: a raw and a dag-pb CID of the same bytes are
 * one block).
 *
 * Why not a file per block: a result of five blocks cost the provider some thirty file-system calls to store and
 * as many again to serve, and the creator as many to store its copy: a third of the network's CPU at full load.
 * Here a write is one insert in its own transaction, so a crash never leaves half a block, and the store keeps the
 * invariant the rest of this folder relies on (a block that links to others is written after everything below it)
 * because inserts commit in call order. WAL with `synchronous = NORMAL` survives a process crash whole; a power cut
 * may lose the last writes, never corrupt the file. Several processes may share the file (SQLite's locking, with
 * a busy timeout).
 */
export class SqliteBlockstore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #exists: StatementSync;
  readonly #fallback: FallbackBlockstore | undefined;

  constructor({ file, fallback }: SqliteBlockstoreParameters) {
    this.file = file;
    this.#fallback = fallback;
    this.#db = new DatabaseSync(file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS blocks (multihash BLOB PRIMARY KEY, bytes BLOB NOT NULL);
    `);
    // An empty view may reach SQLite as NULL (no data pointer); it is the empty block all the same. A block put
    // again replaces the stored one: that is how a block the disk corrupted is repaired (writers skip stored
    // blocks, see blockWriter, so this costs nothing otherwise).
    this.#insert = this.#db.prepare(
      "INSERT INTO blocks (multihash, bytes) VALUES (?, COALESCE(?, X'')) ON CONFLICT(multihash) DO UPDATE SET bytes = excluded.bytes",
    );
    this.#select = this.#db.prepare("SELECT bytes FROM blocks WHERE multihash = ?");
    this.#exists = this.#db.prepare("SELECT 1 FROM blocks WHERE multihash = ?");
  }

  async put(cid: CID, bytes: BlockBytes, options?: AbortOptions): Promise<CID> {
    options?.signal?.throwIfAborted();
    this.#insert.run(cid.multihash.bytes, bytes instanceof Uint8Array ? bytes : await concat(bytes));
    return cid;
  }

  /** Yields the block's bytes, unchecked: readers verify them against the CID (see readBlock). */
  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    options?.signal?.throwIfAborted();
    const row = this.#select.get(cid.multihash.bytes) as { bytes: Uint8Array } | undefined;
    if (row !== undefined) {
      yield row.bytes;
      return;
    }
    if (this.#fallback === undefined || !(await this.#fallback.has(cid, options))) throw new ContentNotFoundError({ path: cid.toString() });
    yield* this.#fallback.get(cid, options);
  }

  async has(cid: CID, options?: AbortOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    if (this.#exists.get(cid.multihash.bytes) !== undefined) return true;
    return this.#fallback !== undefined && (await this.#fallback.has(cid, options));
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

async function concat(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
