import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as dagPb from "@ipld/dag-pb";
import { varint } from "multiformats";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { identity } from "multiformats/hashes/identity";
import { sha256, sha512 } from "multiformats/hashes/sha2";
import { addBytes } from "../../src/storage/addBytes.ts";
import { addDirectory } from "../../src/storage/addDirectory.ts";
import { BlockCorruptError, CarFailure, CarVerificationError, InvalidCidError } from "../../src/storage/errors.ts";
import { exportCar } from "../../src/storage/exportCar.ts";
import { extractDirectory } from "../../src/storage/extractDirectory.ts";
import { importCar } from "../../src/storage/importCar.ts";
import { walkDag } from "../../src/storage/walkDag.ts";
import {
  UNIXFS_DIRECTORY_DATA,
  collect,
  decodeCarBlocks,
  encodeCar,
  putDagPb,
  snapshotTree,
  tempBlockstore,
  tempDir,
  writeSampleTree,
  corruptStoredBlocks,
} from "./helpers.ts";

type Store = Awaited<ReturnType<typeof tempBlockstore>>;

/** Asserts a CarVerificationError with the given failure, naming `cid` when given. */
function carFailure(failure: CarFailure, cid?: CID) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CarVerificationError, `expected CarVerificationError, got ${String(error)}`);
    assert.equal(error.failure, failure);
    assert.equal(error.code, `CAR_${failure}`);
    if (cid !== undefined) {
      assert.equal(error.cid, cid.toString());
      assert.ok(error.message.includes(cid.toString()), `the message names ${cid}: ${error.message}`);
    }
    return true;
  };
}

describe("exportCar / importCar", () => {
  let source: Store;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let root: CID;
  let car: Uint8Array;
  let blocks: Array<{ cid: CID; bytes: Uint8Array }>;
  const fresh: Store[] = [];

  async function freshStore(): Promise<Store> {
    const store = await tempBlockstore();
    fresh.push(store);
    return store;
  }

  before(async () => {
    source = await tempBlockstore();
    work = await tempDir();
    await writeSampleTree(join(work.path, "result"));
    root = (await addDirectory({ blockstore: source.blockstore, path: join(work.path, "result") })).cid;
    car = await collect(exportCar({ blockstore: source.blockstore, root }));
    blocks = (await decodeCarBlocks(car)).blocks;
  });
  after(async () => {
    await source.cleanup();
    await work.cleanup();
    for (const store of fresh) await store.cleanup();
  });

  it("exports every block of the DAG once, parents first, with the root in the header, reproducibly", async () => {
    const decoded = await decodeCarBlocks(car);
    assert.deepEqual(decoded.roots.map(String), [root.toString()]);
    assert.equal(decoded.blocks[0]?.cid.toString(), root.toString(), "the root block comes first");
    const walked: string[] = [];
    for await (const block of walkDag({ blockstore: source.blockstore, root })) walked.push(block.cid.toString());
    assert.deepEqual(decoded.blocks.map((b) => b.cid.toString()), walked);
    assert.equal(new Set(walked).size, walked.length, "no block twice (a.txt and same-as-a.txt share one)");
    // root, sub, deeper, empty-dir, a.txt (= same-as-a.txt), b.txt, empty, big.bin's node and its 3 leaves
    assert.equal(walked.length, 11);
    const again = await collect(exportCar({ blockstore: source.blockstore, root }));
    assert.deepEqual(again, car);
  });

  it("round-trips: add, export, import into a fresh store, extract gives byte-identical files", async () => {
    const target = await freshStore();
    const result = await importCar({ blockstore: target.blockstore, car: [car], expectedRoot: root.toString() });
    assert.equal(result.root.toString(), root.toString());
    assert.equal(result.blocks, 11);
    assert.equal(result.dagBlocks, 11);
    assert.equal(result.unreachableBlocks, 0);
    assert.equal(result.bytes, car.byteLength);
    assert.ok(await target.blockstore.has(root));

    const out = join(work.path, "extracted");
    const extracted = await extractDirectory({ blockstore: target.blockstore, root, path: out });
    assert.equal(extracted.files, 5);
    assert.equal(extracted.directories, 4);
    assert.deepEqual(await snapshotTree(out), await snapshotTree(join(work.path, "result")));
    const readded = await addDirectory({ blockstore: target.blockstore, path: out });
    assert.equal(readded.cid.toString(), root.toString());
  });

  it("streams: imports a CAR arriving in small pieces, and exportCar's own stream directly", async () => {
    const target = await freshStore();
    const pieces = (async function* () {
      for (let i = 0; i < car.length; i += 1000) yield car.subarray(i, i + 1000);
    })();
    await importCar({ blockstore: target.blockstore, car: pieces, expectedRoot: root });
    const direct = await freshStore();
    await importCar({ blockstore: direct.blockstore, car: exportCar({ blockstore: target.blockstore, root }), expectedRoot: root });
    assert.ok(await direct.blockstore.has(root));
  });

  it("rejects a CAR with one byte flipped in a block, naming that block, and does not store the root", async () => {
    const leafIndex = blocks.findIndex((b) => b.cid.code === raw.code && b.bytes.length > 1000);
    const leaf = blocks[leafIndex]!;
    const tampered = blocks.map((b, i) => {
      if (i !== leafIndex) return b;
      const bytes = b.bytes.slice();
      bytes[500] = (bytes[500] as number) ^ 0x01;
      return { cid: b.cid, bytes };
    });
    const target = await freshStore();
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [await encodeCar([root], tampered)], expectedRoot: root }),
      carFailure(CarFailure.hashMismatch, leaf.cid),
    );
    assert.equal(await target.blockstore.has(root), false, "nothing claims the DAG is there");
    assert.equal(await target.blockstore.has(leaf.cid), false, "the forged block is not stored");

    // The same with the byte flipped in the raw CAR bytes, inside the root block (the first block after the header).
    const flipped = car.slice();
    const rootBlock = blocks[0]!;
    const at = indexOf(flipped, rootBlock.bytes) + 3;
    flipped[at] = (flipped[at] as number) ^ 0x80;
    const other = await freshStore();
    await assert.rejects(
      importCar({ blockstore: other.blockstore, car: [flipped], expectedRoot: root }),
      carFailure(CarFailure.hashMismatch, root),
    );
    assert.equal(await other.blockstore.has(root), false);
  });

  it("rejects a CAR whose root is not the one asked for", async () => {
    const other = (await addBytes({ blockstore: source.blockstore, bytes: new TextEncoder().encode("other\n") })).cid;
    const otherCar = await collect(exportCar({ blockstore: source.blockstore, root: other }));
    const target = await freshStore();
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [otherCar], expectedRoot: root }),
      carFailure(CarFailure.rootMismatch, other),
    );
    // Two roots, even if one is right, are refused too.
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [await encodeCar([root, other], blocks)], expectedRoot: root }),
      carFailure(CarFailure.rootMismatch),
    );
    assert.equal(await target.blockstore.has(root), false);
  });

  it("rejects a CAR missing a block, naming it, and keeps the root out until a complete CAR arrives", async () => {
    const missingIndex = blocks.findIndex((b, i) => i > 3 && b.cid.code === raw.code);
    const missing = blocks[missingIndex]!;
    const target = await freshStore();
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [await encodeCar([root], blocks.filter((_, i) => i !== missingIndex))], expectedRoot: root }),
      carFailure(CarFailure.missingBlock, missing.cid),
    );
    assert.equal(await target.blockstore.has(root), false);

    // Without the root block itself.
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [await encodeCar([root], blocks.slice(1))], expectedRoot: root }),
      carFailure(CarFailure.missingBlock, root),
    );
    assert.equal(await target.blockstore.has(root), false);

    // A complete CAR then succeeds; so does a CAR carrying only what the store lacks.
    const partial = await freshStore();
    await assert.rejects(
      importCar({ blockstore: partial.blockstore, car: [await encodeCar([root], blocks.filter((_, i) => i !== missingIndex))], expectedRoot: root }),
      CarVerificationError,
    );
    // The failed import kept the verified leaves, but none of the blocks with links (they wait for a complete DAG).
    const linking = blocks.filter((b) => b.cid.code === dagPb.code && dagPb.decode(b.bytes).Links.length > 0);
    for (const block of linking) assert.equal(await partial.blockstore.has(block.cid), false);
    const onlyMissing = await importCar({
      blockstore: partial.blockstore,
      car: [await encodeCar([root], [...linking, missing])],
      expectedRoot: root,
    });
    assert.equal(onlyMissing.dagBlocks, 11, "the rest was re-read from the store and verified");
    assert.ok(await partial.blockstore.has(root));
  });

  it("refuses hash functions other than sha2-256, identity CIDs, and links to them", async () => {
    const bytes = new TextEncoder().encode("hello\n");
    const sha512Cid = CID.create(1, raw.code, await sha512.digest(bytes));
    const target = await freshStore();
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [await encodeCar([sha512Cid], [{ cid: sha512Cid, bytes }])], expectedRoot: sha512Cid }),
      carFailure(CarFailure.unsupportedCid, sha512Cid),
    );
    const inline = CID.create(1, raw.code, identity.digest(bytes));
    const dirBytes = dagPb.encode(dagPb.prepare({ Data: UNIXFS_DIRECTORY_DATA, Links: [{ Name: "x", Hash: inline, Tsize: 6 }] }));
    const dir = CID.create(1, dagPb.code, await sha256.digest(dirBytes));
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [await encodeCar([dir], [{ cid: dir, bytes: dirBytes }])], expectedRoot: dir }),
      carFailure(CarFailure.unsupportedCid, dir),
    );
  });

  it("refuses malformed, truncated, oversized and over-long CARs", async () => {
    const target = await freshStore();
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [car.subarray(0, car.length - 10)], expectedRoot: root }),
      carFailure(CarFailure.malformed),
    );
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [new TextEncoder().encode("<html>not a car</html>")], expectedRoot: root }),
      carFailure(CarFailure.malformed),
    );
    // A section that claims 3 GiB: refused from its length, before anything is buffered.
    const [headerLength, varintLength] = varint.decode(car);
    const header = car.subarray(0, varintLength + headerLength);
    const huge = Uint8Array.from([...header, 0x80, 0x80, 0x80, 0x80, 0x0c, ...root.bytes, 1, 2, 3]);
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [huge], expectedRoot: root }),
      carFailure(CarFailure.blockTooLarge, root),
    );
    await assert.rejects(
      importCar({ blockstore: target.blockstore, car: [car], expectedRoot: root, maxBytes: 1000 }),
      carFailure(CarFailure.tooLarge),
    );
    await assert.rejects(importCar({ blockstore: target.blockstore, car: [car], expectedRoot: "nope" }), InvalidCidError);
    assert.equal(await target.blockstore.has(root), false);
  });

  it("accepts and reports verified blocks the root does not reach", async () => {
    const extraBytes = new TextEncoder().encode("stowaway");
    const extra = { cid: CID.create(1, raw.code, await sha256.digest(extraBytes)), bytes: extraBytes };
    const target = await freshStore();
    const result = await importCar({ blockstore: target.blockstore, car: [await encodeCar([root], [...blocks, extra])], expectedRoot: root });
    assert.equal(result.unreachableBlocks, 1);
    assert.equal(result.dagBlocks, 11);
  });

  it("stops reading its source when it fails (so an HTTP body is cancelled)", async () => {
    let closed = false;
    let served = 0;
    const source = (async function* () {
      try {
        yield new TextEncoder().encode("garbage, not a CAR header");
        for (;;) {
          served += 1;
          yield new Uint8Array(1024);
        }
      } finally {
        closed = true;
      }
    })();
    const target = await freshStore();
    await assert.rejects(importCar({ blockstore: target.blockstore, car: source, expectedRoot: root }), CarVerificationError);
    assert.ok(closed);
    assert.ok(served < 10);
  });

  it("refuses to export a block that the disk corrupted", async () => {
    const store = await freshStore();
    const { cid } = await addBytes({ blockstore: store.blockstore, bytes: new TextEncoder().encode("hello\n") });
    const { rewritten, reopened } = corruptStoredBlocks(store.blockstore, () => true, () => new TextEncoder().encode("jello\n"));
    assert.equal(rewritten, 1);
    await assert.rejects(collect(exportCar({ blockstore: reopened, root: cid })), (error: unknown) => {
      assert.ok(error instanceof BlockCorruptError);
      assert.equal(error.cid, cid.toString());
      return true;
    });
  });

  it("verifies a DAG that was already complete in the store, and one with a dag-pb leaf directory as root", async () => {
    const { cid, bytes } = await putDagPb(source.blockstore, { Data: UNIXFS_DIRECTORY_DATA, Links: [] });
    const target = await freshStore();
    const result = await importCar({ blockstore: target.blockstore, car: [await encodeCar([cid], [{ cid, bytes }])], expectedRoot: cid });
    assert.equal(result.dagBlocks, 1);
    // Importing the same CAR again over a complete store changes nothing and succeeds.
    await importCar({ blockstore: target.blockstore, car: [await encodeCar([cid], [{ cid, bytes }])], expectedRoot: cid });
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const found = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle));
  assert.ok(found >= 0, "needle present");
  return found;
}
