import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { importer, type ImporterOptions, type InProgressImportResult } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { addFile, fileKind } from "./addFile.ts";
import { blockWriter } from "./blockWriter.ts";
import type { Blockstore } from "./createBlockstore.ts";
import {
  HiddenFileRefusedError,
  InvalidFileNameError,
  NotADirectoryError,
  SymlinkRefusedError,
  UnsupportedFileTypeError,
} from "./errors.ts";
import { kuboImporterOptions } from "./kuboParameters.ts";

/**
 * What to do with entries whose name starts with ".". `ipfs add -r` skips them unless given `-H`.
 * - "refuse" (default): throw HiddenFileRefusedError, so the CID is the same with or without `-H` and no output is
 *   silently dropped.
 * - "include": store them; the CID is that of `ipfs add -r -H --cid-version 1`.
 * - "skip": leave them out; the CID is that of `ipfs add -r --cid-version 1`.
 */
export type HiddenFiles = "refuse" | "include" | "skip";

export interface AddDirectoryParameters {
  blockstore: Blockstore;
  /** The directory to store. It is the root of the DAG: nothing wraps it. */
  path: string;
  /** Dotfiles: see HiddenFiles. Default "refuse". */
  hiddenFiles?: HiddenFiles;
  signal?: AbortSignal;
}

export interface AddDirectoryResult {
  /** What `ipfs add -r --cid-version 1 <path>` prints last (the directory itself). */
  cid: CID;
  /** The DAG's cumulative size, the Tsize a parent link to it would record. */
  size: bigint;
  /** Regular files stored, empty ones included. */
  files: number;
  /** Directories stored, the root and empty ones included. */
  directories: number;
  /** Total length of the files. */
  fileBytes: bigint;
}

interface Child {
  name: string;
  cid: CID;
  size: bigint;
}

interface Totals {
  files: number;
  directories: number;
  fileBytes: bigint;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Files stored at once within one directory. */
const FILE_CONCURRENCY = 8;

/**
 * Stores a local directory as UnixFS with the CID kubo would give it, refusing anything that is not a regular file
 * or directory.
 *
 * Directories are built bottom-up: each one's children are stored first, then the directory node from their CIDs.
 * Handing the importer a whole tree of paths instead would count the links to non-empty sub-directories as zero bytes
 * when deciding whether to shard (they have no CID yet while the tree is built), where kubo counts every link, so a
 * directory near the 256 KiB threshold would get a different CID. Here every link is known when the decision is made.
 *
 * Neither timestamps nor modes are read into the DAG (kubo leaves them out unless asked), so only names and bytes
 * decide the CID.
 */
export async function addDirectory(params: AddDirectoryParameters): Promise<AddDirectoryResult> {
  const { path, signal } = params;
  const blockstore = blockWriter(params.blockstore);
  const hiddenFiles = params.hiddenFiles ?? "refuse";
  // Listing and checking entries is synchronous: microseconds per call on a local disk, where the thread pool's
  // hand-offs cost several times that for every entry of every result.
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw new SymlinkRefusedError({ path });
  if (!stat.isDirectory()) throw new NotADirectoryError({ path });

  const totals: Totals = { files: 0, directories: 0, fileBytes: 0n };

  async function addDir(dirPath: string): Promise<{ cid: CID; size: bigint }> {
    signal?.throwIfAborted();
    totals.directories += 1;
    const raw = readdirSync(dirPath, { encoding: "buffer" });
    // The CID does not depend on this order (dag-pb sorts links by name bytes, a HAMT places them by hash), but
    // importing in a fixed order, the bytewise order kubo's directory nodes use, keeps runs reproducible.
    raw.sort(Buffer.compare);
    const entries: Array<{ name: string; childPath: string; kind: "file" | "directory" }> = [];
    for (const nameBytes of raw) {
      let name: string;
      try {
        name = utf8.decode(nameBytes);
      } catch {
        throw new InvalidFileNameError({ path: join(dirPath, nameBytes.toString("latin1")) });
      }
      const childPath = join(dirPath, name);
      if (name.startsWith(".")) {
        if (hiddenFiles === "skip") continue;
        if (hiddenFiles === "refuse") throw new HiddenFileRefusedError({ path: childPath });
      }
      const childStat = lstatSync(childPath);
      if (childStat.isSymbolicLink()) throw new SymlinkRefusedError({ path: childPath });
      if (childStat.isDirectory()) entries.push({ name, childPath, kind: "directory" });
      else if (childStat.isFile()) entries.push({ name, childPath, kind: "file" });
      else throw new UnsupportedFileTypeError({ path: childPath, kind: fileKind(childStat) });
    }
    // This directory's entries are all checked before its files are stored, so a refusal comes early. Files are
    // then stored a few at a time (many small files are common in results); sub-directories one after another, so
    // the concurrency does not multiply with depth.
    const children: Child[] = new Array(entries.length);
    await forEachConcurrently(entries, FILE_CONCURRENCY, async (entry, index) => {
      if (entry.kind !== "file") return;
      const file = await addFile({ blockstore, path: entry.childPath, signal });
      totals.files += 1;
      totals.fileBytes += file.fileBytes;
      children[index] = { name: entry.name, cid: file.cid, size: file.size };
    });
    for (const [index, entry] of entries.entries()) {
      if (entry.kind === "directory") children[index] = { name: entry.name, ...(await addDir(entry.childPath)) };
    }
    return buildDirectory(children, blockstore);
  }

  const root = await addDir(path);
  return { cid: root.cid, size: root.size, ...totals };
}

/**
 * Builds one directory node from children that are already stored, with the importer's own directory code (flat
 * dag-pb, or a HAMT at kubo's threshold) so the encoding is the one the importer and kubo share.
 */
async function buildDirectory(children: Child[], blockstore: Blockstore): Promise<{ cid: CID; size: bigint }> {
  // The importer's dagBuilder turns candidates into stored nodes; ours yields the children already built. Each path is
  // a single name, so the importer's own path splitting (on "/" unless escaped with "\") never sees a separator.
  const dagBuilder: ImporterOptions["dagBuilder"] = async function* () {
    for (const child of children) {
      const result: InProgressImportResult = { cid: child.cid, size: child.size, path: child.name };
      yield async () => result;
    }
  };
  let root: { cid: CID; size: bigint } | undefined;
  // wrapWithDirectory makes the importer's root directory node the result; it is this directory, not a wrapper
  // around it, because every child was given at the top level.
  for await (const entry of importer([], blockstore, { ...kuboImporterOptions(), wrapWithDirectory: true, dagBuilder })) {
    root = entry;
  }
  if (root === undefined) throw new Error("the importer returned no directory node");
  return { cid: root.cid, size: root.size };
}

/** Runs `task` over `items` with at most `limit` running at once; rejects with the first failure. */
async function forEachConcurrently<T>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
