// Test helpers for the storage tests: temporary folders, deterministic bytes, hand-made blocks.
import { CarBlockIterator } from "@ipld/car/iterator";
import { CarWriter } from "@ipld/car/writer";
import * as dagPb from "@ipld/dag-pb";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { createBlockstore, type CreateBlockstoreResult } from "../../src/storage/createBlockstore.ts";
import { SqliteBlockstore } from "../../src/storage/sqliteBlockstore.ts";

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = "lilypad-storage-"): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A blockstore in its own temporary folder. */
export async function tempBlockstore(): Promise<{ blockstore: CreateBlockstoreResult; cleanup: () => Promise<void> }> {
  const dir = await tempDir("lilypad-blocks-");
  const blockstore = await createBlockstore({ path: dir.path });
  return { blockstore, cleanup: dir.cleanup };
}

/**
 * Simulates the disk flipping bits under the store: rewrites, behind its back (a second connection to its
 * database file), every stored block that `pick` selects. The store itself still holds good copies of blocks it
 * wrote or read lately (its cache), so what the disk now holds is read through the store returned, opened afresh
 * on the same file. Returns it with how many blocks were rewritten.
 */
export function corruptStoredBlocks(
  store: CreateBlockstoreResult,
  pick: (bytes: Uint8Array) => boolean,
  replace: (bytes: Uint8Array) => Uint8Array,
): { rewritten: number; reopened: SqliteBlockstore } {
  const db = new DatabaseSync(store.file);
  try {
    const rows = db.prepare("SELECT multihash, bytes FROM blocks").all() as Array<{ multihash: Uint8Array; bytes: Uint8Array }>;
    const update = db.prepare("UPDATE blocks SET bytes = ? WHERE multihash = ?");
    const victims = rows.filter((row) => pick(row.bytes));
    for (const row of victims) update.run(replace(row.bytes), row.multihash);
    return { rewritten: victims.length, reopened: new SqliteBlockstore({ file: store.file }) };
  } finally {
    db.close();
  }
}

/** `length` bytes from a fixed xorshift32 stream: the same for a seed on every run and machine. */
export function deterministicBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Protobuf varint, for hand-encoding UnixFS Data without the ipfs-unixfs package. */
export function protoVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** UnixFS Data for a directory: `Type: Directory` only, as kubo writes it. */
export const UNIXFS_DIRECTORY_DATA = Uint8Array.of(0x08, 0x01);

/** UnixFS Data for a symlink to `target`: Type (field 1) = Symlink (4), Data (field 2) = the target. */
export function unixfsSymlinkData(target: string): Uint8Array {
  const bytes = new TextEncoder().encode(target);
  return Uint8Array.from([0x08, 0x04, 0x12, ...protoVarint(bytes.length), ...bytes]);
}

/** Encodes a dag-pb node, names it (CIDv1, sha2-256) and stores it. */
export async function putDagPb(
  blockstore: { put: (cid: CID, bytes: Uint8Array) => Promise<CID> },
  node: { Data?: Uint8Array; Links: Array<{ Name: string; Hash: CID; Tsize?: number }> },
): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = dagPb.encode(dagPb.prepare(node));
  const cid = CID.create(1, dagPb.code, await sha256.digest(bytes));
  await blockstore.put(cid, bytes);
  return { cid, bytes };
}

export async function putRaw(
  blockstore: { put: (cid: CID, bytes: Uint8Array) => Promise<CID> },
  bytes: Uint8Array,
): Promise<CID> {
  const cid = CID.create(1, raw.code, await sha256.digest(bytes));
  await blockstore.put(cid, bytes);
  return cid;
}

/** Collects an async iterable of byte chunks into one array. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  // A plain Uint8Array, so that .slice() copies (on a Buffer it is a view).
  return new Uint8Array(Buffer.concat(chunks));
}

/** Encodes a CAR v1 from arbitrary roots and blocks, in the given order: for forging bad CARs. */
export async function encodeCar(roots: CID[], blocks: Array<{ cid: CID; bytes: Uint8Array }>): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create(roots);
  const collected = collect(out);
  for (const block of blocks) await writer.put(block);
  await writer.close();
  return collected;
}

/** The blocks of a CAR, in order, without any verification. */
export async function decodeCarBlocks(car: Uint8Array): Promise<{ roots: CID[]; blocks: Array<{ cid: CID; bytes: Uint8Array }> }> {
  const iterator = await CarBlockIterator.fromBytes(car);
  const blocks: Array<{ cid: CID; bytes: Uint8Array }> = [];
  for await (const block of iterator) blocks.push({ cid: block.cid, bytes: block.bytes });
  return { roots: await iterator.getRoots(), blocks };
}

/** Every file under a directory, by relative path, with its bytes; directories map to "dir". */
export async function snapshotTree(root: string): Promise<Map<string, Uint8Array | "dir">> {
  const out = new Map<string, Uint8Array | "dir">();
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        out.set(rel, "dir");
        await walk(join(dir, entry.name), rel);
      } else {
        out.set(rel, await readFile(join(dir, entry.name)));
      }
    }
  }
  await walk(root, "");
  return out;
}

/** Writes a small tree with the cases that matter: nesting, empty file, empty directory, a multi-chunk file. */
export async function writeSampleTree(root: string): Promise<void> {
  await mkdir(join(root, "sub", "deeper"), { recursive: true });
  await mkdir(join(root, "empty-dir"));
  await writeFile(join(root, "a.txt"), "alpha\n");
  await writeFile(join(root, "sub", "b.txt"), "beta\n");
  await writeFile(join(root, "sub", "empty"), "");
  await writeFile(join(root, "sub", "deeper", "big.bin"), deterministicBytes(700_000, 11));
  await writeFile(join(root, "sub", "deeper", "same-as-a.txt"), "alpha\n");
}
