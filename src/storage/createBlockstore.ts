import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { FsBlockstore } from "blockstore-fs";
import { SqliteBlockstore } from "./sqliteBlockstore.ts";

/**
 * What the storage operations need from a blockstore. Structural, so tests and other roles can pass any store with
 * the same methods (this folder's SqliteBlockstore, blockstore-fs, blockstore-core's MemoryBlockstore).
 *
 * The store keeps one invariant that the rest of this folder relies on: a block that links to others is only written
 * after everything below it. `has(cid)` therefore means "the whole DAG under cid is here".
 */
export type Blockstore = Pick<FsBlockstore, "get" | "put" | "has">;

export interface CreateBlockstoreParameters {
  /** The folder that holds the blocks; created if missing. */
  path: string;
}

export type CreateBlockstoreResult = SqliteBlockstore;

/** The database's name inside the blocks folder (plus SQLite's `-wal` and `-shm` beside it). */
export const BLOCKS_DATABASE = "blocks.sqlite";

/**
 * Opens the blockstore in the folder `path`: one SQLite file (see SqliteBlockstore for why). Blocks that an older
 * version filed one per file in the same folder (kubo's flatfs layout) stay readable: they are consulted on a miss,
 * so upgrading loses nothing.
 */
export async function createBlockstore({ path }: CreateBlockstoreParameters): Promise<CreateBlockstoreResult> {
  await mkdir(path, { recursive: true });
  const legacy = (await readdir(path, { withFileTypes: true })).some((entry) => entry.isDirectory());
  let fallback: FsBlockstore | undefined;
  if (legacy) {
    fallback = new FsBlockstore(path, { createIfMissing: false });
    await fallback.open();
  }
  return new SqliteBlockstore({ file: join(path, BLOCKS_DATABASE), fallback });
}
