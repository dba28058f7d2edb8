import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { NotAFileError } from "./errors.ts";
import { verifyingReader } from "./readBlock.ts";
import { exportEntry, isPlainFile } from "./unixfsEntries.ts";

export interface ReadFileBytesParameters {
  blockstore: Pick<Blockstore, "get">;
  cid: CID;
  /** Refuse files larger than this many bytes. */
  maxBytes: number;
  signal?: AbortSignal;
}

/** Reads a whole UnixFS file into memory, every block verified against its CID (a module, a manifest). */
export async function readFileBytes({ blockstore, cid, maxBytes, signal }: ReadFileBytesParameters): Promise<Uint8Array> {
  const entry = await exportEntry(cid, "", verifyingReader(blockstore), signal);
  if (!isPlainFile(entry)) throw new NotAFileError({ path: cid.toString() });
  if (entry.size > BigInt(maxBytes)) throw new RangeError(`${cid} is ${entry.size} bytes, more than ${maxBytes}`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.content({ signal })) chunks.push(chunk);
  return Buffer.concat(chunks);
}
