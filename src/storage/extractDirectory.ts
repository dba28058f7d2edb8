import { randomBytes } from "node:crypto";
import { lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { UnixFSDirectory } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { NotADirectoryError, TargetExistsError, UnsafeEntryNameError, UnsupportedEntryError } from "./errors.ts";
import { verifyingReader } from "./readBlock.ts";
import { entryTypeOf, exportEntry, isPlainFile, isSafeName } from "./unixfsEntries.ts";

export interface ExtractDirectoryParameters {
  blockstore: Pick<Blockstore, "get">;
  /** A UnixFS directory (flat or HAMT-sharded). */
  root: CID;
  /** Where to write it. Must not exist yet, or be an empty directory; its parent must exist. */
  path: string;
  signal?: AbortSignal;
}

export interface ExtractDirectoryResult {
  /** The directory written, absolute. */
  path: string;
  files: number;
  /** Directories written, the root included. */
  directories: number;
  fileBytes: bigint;
}

/**
 * Writes a stored UnixFS directory to disk, byte for byte, treating the DAG as hostile: it may have come from
 * anyone's CAR.
 *
 * - Entry names must be plain names: not empty, ".", "..", nor containing "/" or NUL (nor "\" on Windows), so
 *   nothing is written outside `path`.
 * - Symlinks, and anything else that is not a file or directory, are refused.
 * - Every block is verified against its CID as it is read.
 * - Files and directories are created exclusively, so a duplicate name (dag-pb allows them) fails rather than
 *   overwrites, and nothing already on disk is followed.
 * - It is written into a fresh sibling folder, renamed onto `path` only when complete, and removed on failure: if
 *   `path` exists afterwards, it is the whole directory.
 */
export async function extractDirectory(params: ExtractDirectoryParameters): Promise<ExtractDirectoryResult> {
  const { root, signal } = params;
  const blockstore = verifyingReader(params.blockstore);
  const target = resolve(params.path);
  await checkTarget(target);

  const rootEntry = await exportEntry(root, root.toString(), blockstore, signal);
  if (rootEntry.type !== "directory") throw new NotADirectoryError({ path: root.toString() });

  const totals = { files: 0, directories: 0, fileBytes: 0n };
  const staging = join(dirname(target), `.${basename(target)}.partial-${randomBytes(6).toString("hex")}`);
  await mkdir(staging);
  try {
    await writeDirectory(rootEntry, staging, root.toString());
    try {
      // rename(2) replaces an empty directory and fails on a non-empty one, so a target that gained content since
      // the check is not overwritten.
      await rename(staging, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR") {
        throw new TargetExistsError({ path: target, cause: error });
      }
      throw error;
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { path: target, ...totals };

  async function writeDirectory(directory: UnixFSDirectory, dirPath: string, dagPath: string): Promise<void> {
    totals.directories += 1;
    for await (const child of directory.entries({ signal })) {
      signal?.throwIfAborted();
      if (!isSafeName(child.name)) throw new UnsafeEntryNameError({ entryName: child.name, parentPath: dagPath });
      const childDagPath = `${dagPath}/${child.name}`;
      const childPath = join(dirPath, child.name);
      const entry = await exportEntry(child.cid, childDagPath, blockstore, signal);
      if (entry.type === "directory") {
        await createExclusively(() => mkdir(childPath), childPath);
        await writeDirectory(entry, childPath, childDagPath);
      } else if (isPlainFile(entry)) {
        const handle = await createExclusively(() => open(childPath, "wx"), childPath);
        let written = 0n;
        const content = async function* (): AsyncGenerator<Uint8Array> {
          for await (const chunk of entry.content({ signal })) {
            written += BigInt(chunk.byteLength);
            yield chunk;
          }
        };
        // The write stream closes the handle when it finishes or fails.
        await pipeline(content, handle.createWriteStream());
        totals.files += 1;
        totals.fileBytes += written;
      } else {
        throw new UnsupportedEntryError({ path: childDagPath, entryType: entryTypeOf(entry) });
      }
    }
  }
}

/** The target must be absent, or an empty real directory that we then replace. */
async function checkTarget(target: string): Promise<void> {
  let stat;
  try {
    stat = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!stat.isDirectory() || (await readdir(target)).length > 0) throw new TargetExistsError({ path: target });
}

async function createExclusively<T>(create: () => Promise<T>, path: string): Promise<T> {
  try {
    return await create();
  } catch (error) {
    // Two entries with one name, or names that differ only in case on a case-insensitive file system.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new TargetExistsError({ path, cause: error });
    throw error;
  }
}
