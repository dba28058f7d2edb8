import { FsBlockstore } from "blockstore-fs";

/**
 * What the storage operations need from a blockstore. Structural, so tests and other roles can pass any store with
 * the same methods (blockstore-fs, blockstore-core's MemoryBlockstore).
 *
 * The store keeps one invariant that the rest of this folder relies on: a block that links to others is only written
 * after everything below it. `has(cid)` therefore means "the whole DAG under cid is here".
 */
export type Blockstore = Pick<FsBlockstore, "get" | "put" | "has">;

export interface CreateBlockstoreParameters {
  /** The folder that holds the blocks; created if missing. */
  path: string;
}

export type CreateBlockstoreResult = FsBlockstore;

/**
 * Opens a file-system blockstore rooted at `path`. Blocks are files named by their multihash (base32) in folders
 * sharded by the next-to-last two characters, the layout kubo's flatfs uses, and each write is a rename of a
 * finished temporary file, so a crash never leaves half a block under its final name.
 */
export async function createBlockstore({ path }: CreateBlockstoreParameters): Promise<CreateBlockstoreResult> {
  const blockstore = new FsBlockstore(path, { createIfMissing: true });
  await blockstore.open();
  return blockstore;
}
