import type { DatabaseSync, StatementSync } from "node:sqlite";
import { nodeSqlite } from "../core/nodeSqlite.ts";
import type { CID } from "multiformats/cid";
import { ContentNotFoundError } from "./errors.ts";
import { GroupCommit } from "./groupCommit.ts";

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
  /** Bytes of recently written or read blocks kept in memory (default 32 MiB; 0 turns the cache off). */
  cacheBytes?: number;
}

const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Blocks in one SQLite file, keyed by multihash (as kubo files them: a raw and a dag-pb CID of the same bytes are
 * one block).
 *
 * Why not a file per block: a result of five blocks cost the provider some thirty file-system calls to store and
 * as many again to serve, and the creator as many to store its copy: a third of the network's CPU at full load.
 *
 * Writes are grouped (see GroupCommit): a put joins the transaction of the current turn of the event loop, which
 * commits on the next, and resolves once it did (so an awaited put is on disk, and a crash never leaves part of a
 * batch). Inserts commit in call order, which keeps the invariant the rest of this folder relies on (a block
 * that links to others is written after everything below it). Recently written and read blocks stay in a small
 * cache: a provider serves a result right after storing it, and a creator reads the output it just imported.
 * WAL with `synchronous = NORMAL` survives a process crash whole; a power cut may lose the last writes, never
 * corrupt the file. Several processes may share the file (SQLite's locking, with a busy timeout).
 */
export class SqliteBlockstore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #exists: StatementSync;
  readonly #fallback: FallbackBlockstore | undefined;
  readonly #cache: ByteBoundedCache;
  readonly #writes: GroupCommit;

  constructor({ file, fallback, cacheBytes = DEFAULT_CACHE_BYTES }: SqliteBlockstoreParameters) {
    this.file = file;
    this.#fallback = fallback;
    this.#cache = new ByteBoundedCache(cacheBytes);
    this.#db = new (nodeSqlite().DatabaseSync)(file);
    this.#db.exec(`
      PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
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
    this.#writes = new GroupCommit(this.#db);
  }

  async put(cid: CID, bytes: BlockBytes, options?: AbortOptions): Promise<CID> {
    options?.signal?.throwIfAborted();
    const value = bytes instanceof Uint8Array ? bytes : await concat(bytes);
    const key = keyOf(cid);
    this.#writes.write(() => this.#insert.run(cid.multihash.bytes, value));
    this.#cache.set(key, value);
    try {
      await this.#writes.committed();
    } catch (error) {
      this.#cache.delete(key);
      throw error;
    }
    return cid;
  }

  /** Yields the block's bytes, unchecked: readers verify them against the CID (see readBlock). */
  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    options?.signal?.throwIfAborted();
    const key = keyOf(cid);
    const known = this.#cache.get(key);
    if (known !== undefined) {
      yield known;
      return;
    }
    const row = this.#select.get(cid.multihash.bytes) as { bytes: Uint8Array } | undefined;
    if (row !== undefined) {
      this.#cache.set(key, row.bytes);
      yield row.bytes;
      return;
    }
    if (this.#fallback === undefined || !(await this.#fallback.has(cid, options))) throw new ContentNotFoundError({ path: cid.toString() });
    yield* this.#fallback.get(cid, options);
  }

  async has(cid: CID, options?: AbortOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    const key = keyOf(cid);
    if (this.#cache.has(key)) return true;
    if (this.#exists.get(cid.multihash.bytes) !== undefined) return true;
    return this.#fallback !== undefined && (await this.#fallback.has(cid, options));
  }

  /** Commits the pending batch, then closes the file. */
  close(): void {
    if (!this.#db.isOpen) return;
    this.#writes.flush();
    this.#db.close();
  }
}

function keyOf(cid: CID): string {
  return Buffer.from(cid.multihash.bytes).toString("base64");
}

/** Least recently used first out, bounded by the bytes held. */
class ByteBoundedCache {
  readonly #limit: number;
  readonly #entries = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): Uint8Array | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  set(key: string, value: Uint8Array): void {
    if (value.byteLength > this.#limit / 4) return;
    this.delete(key);
    this.#entries.set(key, value);
    this.#bytes += value.byteLength;
    for (const [oldest, bytes] of this.#entries) {
      if (this.#bytes <= this.#limit) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.byteLength;
    }
  }

  delete(key: string): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= value.byteLength;
  }
}

async function concat(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
