import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as dagPb from "@ipld/dag-pb";
import { importer } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { addBytes } from "../../src/storage/addBytes.ts";
import { addDirectory } from "../../src/storage/addDirectory.ts";
import {
  ContentNotFoundError,
  NotADirectoryError,
  StorageErrorCode,
  TargetExistsError,
  UnsafeEntryNameError,
  UnsupportedEntryError,
} from "../../src/storage/errors.ts";
import { extractDirectory } from "../../src/storage/extractDirectory.ts";
import { kuboImporterOptions } from "../../src/storage/kuboParameters.ts";
import { readBlock } from "../../src/storage/readBlock.ts";
import {
  UNIXFS_DIRECTORY_DATA,
  putDagPb,
  putRaw,
  snapshotTree,
  tempBlockstore,
  tempDir,
  unixfsSymlinkData,
  writeSampleTree,
} from "./helpers.ts";

describe("extractDirectory", () => {
  let store: Awaited<ReturnType<typeof tempBlockstore>>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let secret: CID;
  before(async () => {
    store = await tempBlockstore();
    work = await tempDir();
    secret = await putRaw(store.blockstore, new TextEncoder().encode("owned\n"));
  });
  after(async () => {
    await store.cleanup();
    await work.cleanup();
  });

  /** A hand-made directory (dag-pb + UnixFS Data 08 01) with one entry of the given name pointing at `secret`. */
  async function directoryWithEntry(name: string): Promise<CID> {
    return (await putDagPb(store.blockstore, { Data: UNIXFS_DIRECTORY_DATA, Links: [{ Name: name, Hash: secret, Tsize: 6 }] })).cid;
  }

  /** Lists the work folder, to prove a refused extraction left nothing behind, in it or beside it. */
  async function leftovers(): Promise<string[]> {
    return (await readdir(work.path)).filter((name) => name !== "keep");
  }

  for (const name of ["..", ".", "", "../escape", "a/b", "/etc/cron.d/x", "nul\0byte"]) {
    it(`refuses the entry name ${JSON.stringify(name)} and writes nothing`, async () => {
      // Nested one level down, so ".." would land in the work folder itself.
      const inner = await directoryWithEntry(name);
      const outer = (await putDagPb(store.blockstore, { Data: UNIXFS_DIRECTORY_DATA, Links: [{ Name: "inner", Hash: inner, Tsize: 60 }] })).cid;
      const target = join(work.path, "out");
      await assert.rejects(extractDirectory({ blockstore: store.blockstore, root: outer, path: target }), (error: unknown) => {
        assert.ok(error instanceof UnsafeEntryNameError);
        assert.equal(error.code, StorageErrorCode.unsafeEntryName);
        assert.equal(error.entryName, name);
        assert.equal(error.parentPath, `${outer}/inner`);
        return true;
      });
      assert.deepEqual(await leftovers(), [], "no target, no staging folder, no escaped file");
    });
  }

  it("refuses a UnixFS symlink entry", async () => {
    const link = (await putDagPb(store.blockstore, { Data: unixfsSymlinkData("/etc/passwd"), Links: [] })).cid;
    const dir = (await putDagPb(store.blockstore, { Data: UNIXFS_DIRECTORY_DATA, Links: [{ Name: "passwd", Hash: link, Tsize: 20 }] })).cid;
    await assert.rejects(
      extractDirectory({ blockstore: store.blockstore, root: dir, path: join(work.path, "out") }),
      (error: unknown) => {
        assert.ok(error instanceof UnsupportedEntryError);
        assert.equal(error.code, StorageErrorCode.symlinkRefused);
        assert.equal(error.path, `${dir}/passwd`);
        return true;
      },
    );
    assert.deepEqual(await leftovers(), []);
  });

  it("refuses duplicate names instead of overwriting, and cleans up", async () => {
    const other = await putRaw(store.blockstore, new TextEncoder().encode("second\n"));
    const dir = (
      await putDagPb(store.blockstore, {
        Data: UNIXFS_DIRECTORY_DATA,
        Links: [
          { Name: "same", Hash: secret, Tsize: 6 },
          { Name: "same", Hash: other, Tsize: 7 },
        ],
      })
    ).cid;
    await assert.rejects(extractDirectory({ blockstore: store.blockstore, root: dir, path: join(work.path, "out") }), TargetExistsError);
    assert.deepEqual(await leftovers(), []);
  });

  it("refuses a file root, a missing block, and a target that is not empty", async () => {
    const file = (await addBytes({ blockstore: store.blockstore, bytes: new TextEncoder().encode("just a file") })).cid;
    await assert.rejects(extractDirectory({ blockstore: store.blockstore, root: file, path: join(work.path, "out") }), NotADirectoryError);

    const absent = await putRaw({ put: async (cid) => cid }, new TextEncoder().encode("never stored"));
    const dangling = (await putDagPb(store.blockstore, { Data: UNIXFS_DIRECTORY_DATA, Links: [{ Name: "gone", Hash: absent, Tsize: 12 }] })).cid;
    await assert.rejects(
      extractDirectory({ blockstore: store.blockstore, root: dangling, path: join(work.path, "out") }),
      ContentNotFoundError,
    );
    assert.deepEqual(await leftovers(), []);

    const src = join(work.path, "keep");
    await mkdir(src);
    await writeFile(join(src, "x"), "x");
    const { cid } = await addDirectory({ blockstore: store.blockstore, path: src });
    await assert.rejects(extractDirectory({ blockstore: store.blockstore, root: cid, path: src }), TargetExistsError);
    assert.equal(await readFile(join(src, "x"), "utf8"), "x", "the existing folder is untouched");
  });

  it("extracts into an empty existing directory, and extracts HAMT-sharded directories", async () => {
    const src = join(work.path, "sample");
    await writeSampleTree(src);
    const { cid } = await addDirectory({ blockstore: store.blockstore, path: src });
    const into = join(work.path, "empty-target");
    await mkdir(into);
    const result = await extractDirectory({ blockstore: store.blockstore, root: cid, path: into });
    assert.equal(result.files, 5);
    assert.deepEqual(await snapshotTree(into), await snapshotTree(src));

    // A HAMT made with a tiny threshold: the exporter walks the shards, and names come out without their prefixes.
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `hamt/file-${i}.txt`, content: new TextEncoder().encode(`${i}\n`) }));
    let root: CID | undefined;
    for await (const entry of importer(files, store.blockstore, { ...kuboImporterOptions(), shardSplitThresholdBytes: 100 })) {
      if (entry.path === "hamt") root = entry.cid;
    }
    assert.ok(root);
    assert.equal(dagPb.decode(await readBlock({ blockstore: store.blockstore, cid: root })).Data?.[1], 5, "a HAMT shard");
    const hamtOut = join(work.path, "hamt-out");
    const hamt = await extractDirectory({ blockstore: store.blockstore, root, path: hamtOut });
    assert.equal(hamt.files, 40);
    assert.equal(await readFile(join(hamtOut, "file-39.txt"), "utf8"), "39\n");
  });
});
