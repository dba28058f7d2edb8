import { importBytes } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { blockWriter } from "./blockWriter.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { kuboImporterOptions } from "./kuboParameters.ts";

export interface AddBytesParameters {
  blockstore: Blockstore;
  /** The whole file's content. For big files use addFile, which streams. */
  bytes: Uint8Array;
}

export interface AddBytesResult {
  /** What `ipfs add --cid-version 1` prints for a file with these bytes: a raw CID up to 256 KiB, dag-pb above. */
  cid: CID;
  /** The DAG's cumulative size, the Tsize a directory link to it records. */
  size: bigint;
}

/** Stores bytes as a UnixFS file named as kubo names it (a module manifest, a model file, a single output). */
export async function addBytes({ blockstore, bytes }: AddBytesParameters): Promise<AddBytesResult> {
  const { cid, size } = await importBytes(bytes, blockWriter(blockstore), kuboImporterOptions());
  return { cid, size };
}
