import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { importByteStream } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { blockWriter } from "./blockWriter.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { SymlinkRefusedError, UnsupportedFileTypeError } from "./errors.ts";
import { kuboImporterOptions } from "./kuboParameters.ts";

export interface AddFileParameters {
  blockstore: Blockstore;
  /** A regular file. Symbolic links are refused, not followed. */
  path: string;
  signal?: AbortSignal;
}

export interface AddFileResult {
  /** What `ipfs add --cid-version 1 <path>` prints. */
  cid: CID;
  /** The DAG's cumulative size, the Tsize a directory link to it records. */
  size: bigint;
  /** The file's length. */
  fileBytes: bigint;
}

/**
 * Streams a file into the blockstore as UnixFS, with kubo's parameters.
 *
 * The file is opened with O_NOFOLLOW and checked with fstat on the open descriptor, so a symlink swapped in after a
 * directory listing is still refused, and what is read is exactly what was checked. O_NONBLOCK keeps a FIFO from
 * hanging the open; it is then refused as not a regular file.
 */
export async function addFile({ blockstore, path, signal }: AddFileParameters): Promise<AddFileResult> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // Linux says ELOOP for O_NOFOLLOW on a symlink; the BSDs say EMLINK.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "EMLINK") throw new SymlinkRefusedError({ path });
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new UnsupportedFileTypeError({ path, kind: fileKind(stat) });
    let fileBytes = 0n;
    const content = (async function* () {
      for await (const chunk of handle.createReadStream({ autoClose: false, signal }) as AsyncIterable<Uint8Array>) {
        fileBytes += BigInt(chunk.byteLength);
        yield chunk;
      }
    })();
    const { cid, size } = await importByteStream(content, blockWriter(blockstore), kuboImporterOptions());
    return { cid, size, fileBytes };
  } finally {
    await handle.close();
  }
}

/** A human name for a non-regular file, for error messages. */
export function fileKind(stat: {
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symbolic link";
  if (stat.isFIFO()) return "FIFO";
  if (stat.isSocket()) return "socket";
  if (stat.isBlockDevice()) return "block device";
  if (stat.isCharacterDevice()) return "character device";
  return "special file";
}
