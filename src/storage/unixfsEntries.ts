// Small helpers shared by extractDirectory and carRoutes for reading UnixFS entries from an untrusted DAG.
import { exporter, type UnixFSEntry } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { ContentNotFoundError, UnsupportedEntryError } from "./errors.ts";
import { checkCidSupported } from "./verifyBlock.ts";

/**
 * A name that is one path component on every platform we run on. Windows also splits on "\", so it is refused
 * there; on POSIX it is an ordinary character that kubo stores as is.
 */
export function isSafeName(name: string): boolean {
  if (name === "" || name === "." || name === "..") return false;
  if (name.includes("/") || name.includes("\0")) return false;
  if (process.platform === "win32" && (name.includes("\\") || name.includes(":"))) return false;
  return true;
}

export type PlainFile = Extract<UnixFSEntry, { type: "file" | "raw" }>;

/**
 * A file whose content is its bytes. The exporter reports UnixFS symlinks and metadata nodes as type "file" too,
 * so the UnixFS type is checked.
 */
export function isPlainFile(entry: UnixFSEntry): entry is PlainFile {
  if (entry.type === "raw") return true;
  return entry.type === "file" && (entry.unixfs.type === "file" || entry.unixfs.type === "raw");
}

export function entryTypeOf(entry: UnixFSEntry): string {
  return entry.type === "file" ? entry.unixfs.type : entry.type;
}

/** exporter(), with its not-found and not-UnixFS errors turned into ours, naming the path in the DAG. */
export async function exportEntry(
  cid: CID,
  dagPath: string,
  blockstore: Pick<Blockstore, "get">,
  signal: AbortSignal | undefined,
): Promise<UnixFSEntry> {
  // Identity CIDs, other codecs and other hashes are never in a DAG from `ipfs add`, and could not be verified.
  const supported = checkCidSupported(cid);
  if (!supported.supported) throw new UnsupportedEntryError({ path: dagPath, entryType: `CID (${supported.reason})` });
  try {
    return await exporter(cid, blockstore, { signal });
  } catch (error) {
    if (error instanceof Error && error.name === "NotFoundError") {
      throw new ContentNotFoundError({ path: dagPath, cause: error });
    }
    if (error instanceof Error && error.name === "NotUnixFSError") {
      throw new UnsupportedEntryError({ path: dagPath, entryType: "non-UnixFS dag-pb" });
    }
    throw error;
  }
}
