import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";

const wrapped = Symbol("lilypad.blockWriter");

/** Writes in progress, per underlying store, so that every wrapper of one store (and every caller) shares them. */
const inFlightByStore = new WeakMap<Blockstore, Map<string, Promise<CID>>>();

export type BlockWriterResult = Blockstore & { [wrapped]: true };

/**
 * The blockstore, with writes of a block that is already stored, or being stored, skipped.
 *
 * Why: the importer writes up to 10 blocks at once and identical blocks are common (every empty file, every chunk of
 * a file of zeros), and a block already stored needs no write at all. With blockstore-fs (any store of the same
 * shape may be passed) it also avoids a race: that store writes each block through the same temporary file name,
 * so two concurrent writes of one block could rename a half-written file into place.
 */
export function blockWriter(blockstore: Blockstore): BlockWriterResult {
  if (wrapped in blockstore) return blockstore as BlockWriterResult;
  let inFlight = inFlightByStore.get(blockstore);
  if (inFlight === undefined) {
    inFlight = new Map();
    inFlightByStore.set(blockstore, inFlight);
  }
  const writes = inFlight;
  return {
    [wrapped]: true,
    get: (cid, options) => blockstore.get(cid, options),
    has: (cid, options) => blockstore.has(cid, options),
    put(cid, bytes, options) {
      // Keyed by multihash, as blockstore-fs files blocks: a raw and a dag-pb CID of the same bytes share a file.
      const key = Buffer.from(cid.multihash.bytes).toString("base64");
      const pending = writes.get(key);
      if (pending !== undefined) return pending.then(() => cid);
      const write = (async () => {
        try {
          if (!(await blockstore.has(cid, options))) await blockstore.put(cid, bytes, options);
          return cid;
        } finally {
          writes.delete(key);
        }
      })();
      writes.set(key, write);
      return write;
    },
  };
}
