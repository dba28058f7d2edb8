// The SQLite blockstore and how createBlockstore opens it: round trips (including the empty block and chunked
// writes), one block per multihash, misses, persistence across reopen and across connections, and blocks that an
// older version filed one per file with blockstore-fs, read through as a fallback.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { BLOCKS_DATABASE, createBlockstore } from "../../src/storage/createBlockstore.ts";
import { BlockCorruptError, ContentNotFoundError } from "../../src/storage/errors.ts";
import { readBlock } from "../../src/storage/readBlock.ts";
import { SqliteBlockstore } from "../../src/storage/sqliteBlockstore.ts";
import { collect, corruptStoredBlocks, deterministicBytes, tempDir } from "./helpers.ts";

const cleanups: Array<() => Promise<void>> = [];
const stores: Array<{ close: () => void }> = [];

after(async () => {
  for (const store of stores) store.close();
  for (const cleanup of cleanups) await cleanup();
});

async function folder(): Promise<string> {
  const dir = await tempDir("lilypad-sqlite-blocks-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

async function open(path: string): Promise<SqliteBlockstore> {
  const store = await createBlockstore({ path });
  stores.push(store);
  return store;
}

async function rawCid(bytes: Uint8Array): Promise<CID> {
  return CID.create(1, raw.code, await sha256.digest(bytes));
}

/** readBlock, as a plain Uint8Array (blockstore-fs hands back Buffers, which deepEqual tells apart). */
const read = async (p: Parameters<typeof readBlock>[0]) => new Uint8Array(await readBlock(p));

const text = (s: string) => new TextEncoder().encode(s);

function isNotFound(cid: CID) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ContentNotFoundError, `expected ContentNotFoundError, got ${String(error)}`);
    assert.equal(error.path, cid.toString());
    return true;
  };
}

describe("SqliteBlockstore", () => {
  it("gives back what was put, and has() knows it", async () => {
    const store = await open(await folder());
    const bytes = deterministicBytes(10_000, 1);
    const cid = await rawCid(bytes);
    assert.equal(await store.has(cid), false);
    assert.equal((await store.put(cid, bytes)).toString(), cid.toString());
    assert.equal(await store.has(cid), true);
    assert.deepEqual(await collect(store.get(cid)), bytes);
    assert.deepEqual(await read({ blockstore: store, cid }), bytes);
  });

  // Some empty views (one over a zero-length ArrayBuffer, as a Buffer.concat or an importer may hand over) have no
  // data pointer and bind as NULL: the empty block was once dropped in silence that way.
  const emptyForms: Array<[string, () => Uint8Array | Uint8Array[]]> = [
    ["new Uint8Array(0)", () => new Uint8Array(0)],
    ["a view of a zero-length ArrayBuffer", () => new Uint8Array(new ArrayBuffer(0))],
    ["an empty view into a larger buffer", () => deterministicBytes(64, 2).subarray(10, 10)],
    ["no chunks", () => []],
    ["one empty chunk", () => [new Uint8Array(new ArrayBuffer(0))]],
  ];
  for (const [name, empty] of emptyForms) {
    it(`stores the empty block (0 bytes) given as ${name}, and reads it back`, async () => {
      const store = await open(await folder());
      const cid = await rawCid(new Uint8Array(0));
      await store.put(cid, empty());
      assert.equal(await store.has(cid), true);
      assert.equal((await collect(store.get(cid))).byteLength, 0);
      assert.equal((await readBlock({ blockstore: store, cid })).byteLength, 0);
      const reopened = new SqliteBlockstore({ file: store.file });
      stores.push(reopened);
      assert.equal((await readBlock({ blockstore: reopened, cid })).byteLength, 0, "on disk, not just cached");
    });
  }

  it("stores only the bytes of a view, not the buffer behind it", async () => {
    const store = await open(await folder());
    const backing = deterministicBytes(1000, 3);
    const view = backing.subarray(100, 300);
    const cid = await rawCid(view);
    await store.put(cid, view);
    assert.deepEqual(await read({ blockstore: store, cid }), new Uint8Array(view));
  });

  it("stores the concatenation of a block given as an iterable or an async iterable of chunks", async () => {
    const store = await open(await folder());
    const chunks = [text("alpha "), new Uint8Array(0), text("beta "), text("gamma")];
    const whole = text("alpha beta gamma");
    const cid = await rawCid(whole);
    await store.put(cid, chunks);
    assert.deepEqual(await read({ blockstore: store, cid }), whole);

    const asyncWhole = deterministicBytes(5000, 4);
    const asyncCid = await rawCid(asyncWhole);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < asyncWhole.length; i += 777) {
        await Promise.resolve();
        yield asyncWhole.subarray(i, i + 777);
      }
    }
    await store.put(asyncCid, pieces());
    assert.deepEqual(await read({ blockstore: store, cid: asyncCid }), asyncWhole);
  });

  it("keys blocks by multihash: a raw and a dag-pb CID of the same bytes are one block", async () => {
    const path = await folder();
    const store = await open(path);
    const bytes = text("shared bytes");
    const rawId = await rawCid(bytes);
    const pbId = CID.create(1, dagPb.code, rawId.multihash);
    const v0Id = CID.createV0(rawId.multihash as Parameters<typeof CID.createV0>[0]);
    await store.put(rawId, bytes);
    assert.equal(await store.has(pbId), true);
    assert.equal(await store.has(v0Id), true);
    assert.deepEqual(await collect(store.get(pbId)), bytes);
    // A second put under the other CID is a no-op: still one row.
    await store.put(pbId, bytes);
    store.close();
    const db = new DatabaseSync(join(path, BLOCKS_DATABASE), { readOnly: true });
    try {
      assert.deepEqual({ ...(db.prepare("SELECT COUNT(*) AS n FROM blocks").get() as object) }, { n: 1 });
    } finally {
      db.close();
    }
  });

  it("a missing CID: get rejects with ContentNotFoundError naming it, has() is false", async () => {
    const store = await open(await folder());
    const cid = await rawCid(text("never stored"));
    assert.equal(await store.has(cid), false);
    await assert.rejects(collect(store.get(cid)), isNotFound(cid));
    await assert.rejects(readBlock({ blockstore: store, cid }), isNotFound(cid));
  });

  it("keeps its blocks across close and reopen of the same folder", async () => {
    const path = await folder();
    const first = await open(path);
    const bytes = deterministicBytes(3000, 5);
    const cid = await rawCid(bytes);
    await first.put(cid, bytes);
    first.close();
    first.close(); // closing twice is harmless
    const second = await open(path);
    assert.equal(await second.has(cid), true);
    assert.deepEqual(await read({ blockstore: second, cid }), bytes);
  });

  it("a block put again replaces a stored copy the disk corrupted", async () => {
    const store = await open(await folder());
    const bytes = text("repair me");
    const cid = await rawCid(bytes);
    await store.put(cid, bytes);
    const { rewritten, reopened } = corruptStoredBlocks(store, () => true, () => text("garbage!!"));
    stores.push(reopened);
    assert.equal(rewritten, 1);
    await assert.rejects(readBlock({ blockstore: reopened, cid }), (error: unknown) => error instanceof BlockCorruptError);
    await reopened.put(cid, bytes);
    assert.deepEqual(await read({ blockstore: new SqliteBlockstore({ file: store.file, cacheBytes: 0 }), cid }), bytes);
  });

  it("commits the puts of one turn together: on disk once awaited, not before", async () => {
    const store = await open(await folder());
    const blocks = await Promise.all(["one", "two", "three"].map(async (t) => ({ bytes: text(t), cid: await rawCid(text(t)) })));
    const other = new DatabaseSync(store.file, { readOnly: true });
    try {
      const count = () => (other.prepare("SELECT COUNT(*) AS n FROM blocks").get() as { n: number }).n;
      const puts = blocks.map(({ cid, bytes }) => store.put(cid, bytes));
      assert.equal(await store.has(blocks[0]!.cid), true, "the store sees its own pending writes");
      assert.equal(count(), 0, "nothing committed within the turn");
      await Promise.all(puts);
      assert.equal(count(), 3);
    } finally {
      other.close();
    }
  });

  it("close() commits a pending batch, and the puts waiting on it resolve", async () => {
    const path = await folder();
    const store = await open(path);
    const bytes = text("closing");
    const cid = await rawCid(bytes);
    const put = store.put(cid, bytes);
    store.close();
    assert.equal((await put).toString(), cid.toString());
    const again = await open(path);
    assert.deepEqual(await read({ blockstore: again, cid }), bytes);
  });

  it("works with its cache turned off", async () => {
    const store = new SqliteBlockstore({ file: join(await folder(), "nocache.sqlite"), cacheBytes: 0 });
    stores.push(store);
    const bytes = deterministicBytes(5000, 9);
    const cid = await rawCid(bytes);
    await store.put(cid, bytes);
    assert.equal(await store.has(cid), true);
    assert.deepEqual(await read({ blockstore: store, cid }), bytes);
  });

  it("several writers creating and filling one file at once (threads, own connections) all land, none told it is locked", async () => {
    const file = join(await folder(), "shared.sqlite");
    const writers = ["a", "b", "c", "d"].map(
      (tag) => new Worker(new URL("./blockstoreWriter.worker.ts", import.meta.url), { workerData: { file, tag, count: 300, batch: 20 } }),
    );
    const outcomes = await Promise.all(writers.map((w) => once(w, "message") as Promise<[{ ok: boolean; error?: string }]>));
    for (const [outcome] of outcomes) assert.deepEqual(outcome, { ok: true });
    const store = new SqliteBlockstore({ file });
    stores.push(store);
    for (const tag of ["a", "b", "c", "d"]) {
      for (const i of [0, 151, 299]) assert.equal(await store.has(await rawCid(text(`${tag} block ${i}`))), true, `${tag} ${i}`);
    }
  });

  it("two stores on the same file see each other's writes at once", async () => {
    const path = await folder();
    const a = await open(path);
    const b = new SqliteBlockstore({ file: a.file });
    stores.push(b);
    const fromA = text("written by a");
    const fromB = text("written by b");
    const cidA = await rawCid(fromA);
    const cidB = await rawCid(fromB);
    await a.put(cidA, fromA);
    assert.equal(await b.has(cidA), true);
    assert.deepEqual(await read({ blockstore: b, cid: cidA }), fromA);
    await b.put(cidB, fromB);
    assert.deepEqual(await read({ blockstore: a, cid: cidB }), fromB);
  });

  it("an aborted signal rejects put, get and has", async () => {
    const store = await open(await folder());
    const bytes = text("abort me");
    const cid = await rawCid(bytes);
    const signal = AbortSignal.abort();
    const aborted = (error: unknown) => error instanceof Error && error.name === "AbortError";
    await assert.rejects(store.put(cid, bytes, { signal }), aborted);
    assert.equal(await store.has(cid), false, "an aborted put stores nothing");
    await store.put(cid, bytes);
    await assert.rejects(store.has(cid, { signal }), aborted);
    await assert.rejects(collect(store.get(cid, { signal })), aborted);
    await assert.rejects(readBlock({ blockstore: store, cid, signal }), aborted);
  });
});

describe("createBlockstore", () => {
  it("opens blocks.sqlite in the folder, creating the folder if missing", async () => {
    const path = join(await folder(), "nested", "blocks");
    const store = await open(path);
    assert.equal(store.file, join(path, BLOCKS_DATABASE));
    assert.ok((await readdir(path)).includes(BLOCKS_DATABASE));
  });

  describe("with blocks filed one per file by an older version", () => {
    async function legacyFolder(blocks: Uint8Array[]): Promise<{ path: string; cids: CID[] }> {
      const path = await folder();
      const fs = new FsBlockstore(path);
      await fs.open();
      const cids: CID[] = [];
      for (const bytes of blocks) {
        const cid = await rawCid(bytes);
        await fs.put(cid, bytes);
        cids.push(cid);
      }
      await fs.close();
      assert.ok((await readdir(path, { withFileTypes: true })).some((e) => e.isDirectory()), "blockstore-fs made shard folders");
      return { path, cids };
    }

    it("reads them: has, get and readBlock (which verifies them)", async () => {
      const blocks = [text("legacy one"), deterministicBytes(20_000, 6)];
      const { path, cids } = await legacyFolder(blocks);
      const store = await open(path);
      for (const [i, cid] of cids.entries()) {
        assert.equal(await store.has(cid), true);
        assert.deepEqual(await collect(store.get(cid)), blocks[i]);
        assert.deepEqual(await read({ blockstore: store, cid }), blocks[i]);
        // blockstore-fs files by multihash too: the dag-pb CID of the same bytes finds the same file.
        assert.equal(await store.has(CID.create(1, dagPb.code, cid.multihash)), true);
      }
    });

    it("still reports a block in neither store as not found", async () => {
      const { path } = await legacyFolder([text("legacy")]);
      const store = await open(path);
      const cid = await rawCid(text("in neither"));
      assert.equal(await store.has(cid), false);
      await assert.rejects(collect(store.get(cid)), isNotFound(cid));
      await assert.rejects(readBlock({ blockstore: store, cid }), isNotFound(cid));
    });

    it("writes new blocks to SQLite, not to the old files", async () => {
      const { path } = await legacyFolder([text("legacy")]);
      const store = await open(path);
      const bytes = text("new block");
      const cid = await rawCid(bytes);
      await store.put(cid, bytes);
      assert.deepEqual(await read({ blockstore: store, cid }), bytes);

      const fs = new FsBlockstore(path, { createIfMissing: false });
      await fs.open();
      try {
        assert.equal(await fs.has(cid), false, "not filed one per file");
      } finally {
        await fs.close();
      }
      const sqliteOnly = new SqliteBlockstore({ file: store.file });
      stores.push(sqliteOnly);
      assert.equal(await sqliteOnly.has(cid), true, "in the database");
    });
  });

  it("a folder without sub-directories gets no fallback: a miss is just a miss", async () => {
    const path = await folder();
    const store = await open(path);
    // Blocks filed one per file after the store was opened are not consulted: it opened with no fallback.
    const fs = new FsBlockstore(path);
    await fs.open();
    const bytes = text("filed later");
    const cid = await rawCid(bytes);
    await fs.put(cid, bytes);
    await fs.close();
    assert.equal(await store.has(cid), false);
    await assert.rejects(collect(store.get(cid)), isNotFound(cid));
    // Reopened, the folder now has shard directories, and they are read through.
    store.close();
    const reopened = await open(path);
    assert.deepEqual(await read({ blockstore: reopened, cid }), bytes);
  });
});
