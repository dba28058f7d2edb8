import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { importByteStream, importBytes } from "ipfs-unixfs-importer";
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

/** Files up to this size are read in one go; larger ones are streamed. */
const SMALL_FILE_BYTES = 1024 * 1024;

/**
 * Stores a file in the blockstore as UnixFS, with kubo's parameters.
 *
 * The file is opened with O_NOFOLLOW and checked with fstat on the open descriptor, so a symlink swapped in after a
 * directory listing is still refused, and what is read is exactly what was checked. O_NONBLOCK keeps a FIFO from
 * hanging the open; it is then refused as not a regular file. Opening, checking and reading a small file are
 * synchronous (microseconds each on a local disk, where the thread pool's hand-offs cost several times that, for
 * every file of every result); a large file is streamed.
 */
export async function addFile({ blockstore, path, signal }: AddFileParameters): Promise<AddFileResult> {
  signal?.throwIfAborted();
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // Linux says ELOOP for O_NOFOLLOW on a symlink; the BSDs say EMLINK.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "EMLINK") throw new SymlinkRefusedError({ path });
    throw error;
  }
  let streaming = false;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UnsupportedFileTypeError({ path, kind: fileKind(stat) });
    const writer = blockWriter(blockstore);
    if (stat.size <= SMALL_FILE_BYTES) {
      const bytes = readWhole(fd, stat.size);
      if (bytes !== undefined) {
        const { cid, size } = await importBytes(bytes, writer, kuboImporterOptions());
        return { cid, size, fileBytes: BigInt(bytes.byteLength) };
      }
    }
    // Large, or grew while being read: streamed from the same descriptor, which the stream then closes.
    streaming = true;
    let fileBytes = 0n;
    const content = (async function* () {
      for await (const chunk of createReadStream("", { fd, start: 0, signal }) as AsyncIterable<Uint8Array>) {
        fileBytes += BigInt(chunk.byteLength);
        yield chunk;
      }
    })();
    const { cid, size } = await importByteStream(content, writer, kuboImporterOptions());
    return { cid, size, fileBytes };
  } finally {
    if (!streaming) closeSync(fd);
  }
}

/** The file's bytes when it holds exactly `size` of them; undefined when it grew meanwhile. */
function readWhole(fd: number, size: number): Uint8Array | undefined {
  const buffer = Buffer.allocUnsafe(size + 1);
  let length = 0;
  while (length <= size) {
    const read = readSync(fd, buffer, length, size + 1 - length, length);
    if (read === 0) break;
    length += read;
  }
  return length > size ? undefined : buffer.subarray(0, length);
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
