import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdir, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { addBytes } from "../../src/storage/addBytes.ts";
import { addDirectory } from "../../src/storage/addDirectory.ts";
import { addFile } from "../../src/storage/addFile.ts";
import type { CreateBlockstoreResult } from "../../src/storage/createBlockstore.ts";
import {
  HiddenFileRefusedError,
  InvalidFileNameError,
  NotADirectoryError,
  StorageErrorCode,
  SymlinkRefusedError,
  UnsupportedFileTypeError,
} from "../../src/storage/errors.ts";
import { KUBO_CHUNK_SIZE_BYTES, KUBO_MAX_LINKS_PER_NODE } from "../../src/storage/kuboParameters.ts";
import { readBlock } from "../../src/storage/readBlock.ts";
import { deterministicBytes, protoVarint, tempBlockstore, tempDir } from "./helpers.ts";

// kubo 0.2x, `ipfs add --cid-version 1` (and `-r` for the directory).
const EMPTY_DIRECTORY = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
const HELLO_NEWLINE = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";
const EMPTY_FILE = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

const MiB = 1024 * 1024;

/**
 * An independent implementation of the file DAG that go-unixfs's balanced builder makes with kubo's defaults, from
 * the UnixFS spec: raw leaves of 256 KiB, parents of at most 174 links whose Data is a proto2 UnixFS message
 * (Type=File, filesize, one unpacked `blocksizes` field per child) and whose links are unnamed. It shares nothing
 * with the importer but the dag-pb codec, so agreement checks the importer's encoding, not just its determinism.
 */
async function referenceFileCid(bytes: Uint8Array): Promise<{ cid: CID; rootLinks: number }> {
  interface Node {
    cid: CID;
    tsize: number;
    fileSize: number;
  }
  let level: Node[] = [];
  for (let offset = 0; offset < bytes.length || offset === 0; offset += KUBO_CHUNK_SIZE_BYTES) {
    const chunk = bytes.subarray(offset, offset + KUBO_CHUNK_SIZE_BYTES);
    level.push({ cid: CID.create(1, raw.code, await sha256.digest(chunk)), tsize: chunk.length, fileSize: chunk.length });
    if (bytes.length === 0) break;
  }
  if (level.length === 1) return { cid: (level[0] as Node).cid, rootLinks: 0 };
  let rootLinks = 0;
  while (level.length > 1 || rootLinks === 0) {
    const next: Node[] = [];
    for (let i = 0; i < level.length; i += KUBO_MAX_LINKS_PER_NODE) {
      const children = level.slice(i, i + KUBO_MAX_LINKS_PER_NODE);
      const fileSize = children.reduce((sum, child) => sum + child.fileSize, 0);
      const data = Uint8Array.from([
        0x08, 0x02, // Type: File
        0x18, ...protoVarint(fileSize), // filesize
        ...children.flatMap((child) => [0x20, ...protoVarint(child.fileSize)]), // blocksizes, unpacked
      ]);
      const block = dagPb.encode({ Data: data, Links: children.map((c) => ({ Hash: c.cid, Name: "", Tsize: c.tsize })) });
      const cid = CID.create(1, dagPb.code, await sha256.digest(block));
      next.push({ cid, tsize: block.length + children.reduce((sum, c) => sum + c.tsize, 0), fileSize });
      rootLinks = children.length;
    }
    level = next;
  }
  return { cid: (level[0] as Node).cid, rootLinks };
}

/** The UnixFS type of a stored dag-pb node: 1 directory, 2 file, 5 HAMT shard. */
async function unixfsTypeOf(blockstore: CreateBlockstoreResult, cid: CID): Promise<number | undefined> {
  const node = dagPb.decode(await readBlock({ blockstore, cid }));
  assert.equal(node.Data?.[0], 0x08, "UnixFS Data starts with its Type field");
  return node.Data?.[1];
}

describe("addDirectory / addFile / addBytes: kubo's CIDs", () => {
  let store: Awaited<ReturnType<typeof tempBlockstore>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    store = await tempBlockstore();
    dir = await tempDir();
  });
  after(async () => {
    await store.cleanup();
    await dir.cleanup();
  });

  it("gives kubo's CID for the empty directory", async () => {
    const empty = join(dir.path, "empty");
    await mkdir(empty);
    const result = await addDirectory({ blockstore: store.blockstore, path: empty });
    assert.equal(result.cid.toString(), EMPTY_DIRECTORY);
    assert.equal(result.files, 0);
    assert.equal(result.directories, 1);
    assert.equal(result.size, 4n, "the node is 0a 02 08 01");
  });

  it("gives kubo's raw-leaf CIDs for small files, from bytes and from disk", async () => {
    const hello = new TextEncoder().encode("hello\n");
    assert.equal((await addBytes({ blockstore: store.blockstore, bytes: hello })).cid.toString(), HELLO_NEWLINE);
    assert.equal((await addBytes({ blockstore: store.blockstore, bytes: new Uint8Array() })).cid.toString(), EMPTY_FILE);
    await writeFile(join(dir.path, "hello.txt"), hello);
    await writeFile(join(dir.path, "empty.txt"), "");
    const file = await addFile({ blockstore: store.blockstore, path: join(dir.path, "hello.txt") });
    assert.equal(file.cid.toString(), HELLO_NEWLINE);
    assert.equal(file.fileBytes, 6n);
    assert.equal(file.size, 6n);
    const empty = await addFile({ blockstore: store.blockstore, path: join(dir.path, "empty.txt") });
    assert.equal(empty.cid.toString(), EMPTY_FILE);
  });

  it("chunks a 1 MiB file into a balanced DAG that matches an independent go-unixfs encoding", async () => {
    const bytes = deterministicBytes(MiB);
    const first = await addBytes({ blockstore: store.blockstore, bytes });
    const again = await addBytes({ blockstore: store.blockstore, bytes: deterministicBytes(MiB) });
    assert.equal(again.cid.toString(), first.cid.toString());
    assert.equal(first.cid.code, dagPb.code);
    const reference = await referenceFileCid(bytes);
    assert.equal(first.cid.toString(), reference.cid.toString());
    assert.equal(reference.rootLinks, 4);

    const changed = deterministicBytes(MiB);
    changed[MiB - 1] = (changed[MiB - 1] as number) ^ 1;
    const other = await addBytes({ blockstore: store.blockstore, bytes: changed });
    assert.notEqual(other.cid.toString(), first.cid.toString());

    await writeFile(join(dir.path, "big.bin"), bytes);
    const fromDisk = await addFile({ blockstore: store.blockstore, path: join(dir.path, "big.bin") });
    assert.equal(fromDisk.cid.toString(), first.cid.toString(), "streaming from disk gives the same CID");
    assert.equal(fromDisk.fileBytes, BigInt(MiB));
  });

  it("uses 174 links per node: 175 chunks give a two-level DAG", async () => {
    const bytes = deterministicBytes((KUBO_MAX_LINKS_PER_NODE + 1) * KUBO_CHUNK_SIZE_BYTES, 7);
    const result = await addBytes({ blockstore: store.blockstore, bytes });
    const root = dagPb.decode(await readBlock({ blockstore: store.blockstore, cid: result.cid }));
    assert.equal(root.Links.length, 2);
    const firstChild = dagPb.decode(await readBlock({ blockstore: store.blockstore, cid: root.Links[0]!.Hash }));
    assert.equal(firstChild.Links.length, KUBO_MAX_LINKS_PER_NODE);
    assert.equal(result.cid.toString(), (await referenceFileCid(bytes)).cid.toString());
  });
});

describe("addDirectory: determinism and refusals", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await dir.cleanup();
  });

  /** Writes the same tree in a given order, with the given timestamps and modes. */
  async function writeTree(root: string, order: "forward" | "reverse", time: Date, fileMode: number): Promise<void> {
    const files: Array<[string, Uint8Array | string]> = [
      ["a.txt", "alpha\n"],
      ["sub/b.txt", "beta\n"],
      ["sub/deeper/c.bin", deterministicBytes(300_000, 3)],
      ["sub/empty-file", ""],
      ["Z-upper.txt", "upper case sorts first in bytes\n"],
      ["ünïcödé.txt", "utf-8 names\n"],
    ];
    const dirs = ["sub", "sub/deeper", "sub/empty-dir", "also-empty"];
    const ordered = order === "forward" ? files : [...files].reverse();
    for (const d of order === "forward" ? dirs : [...dirs].reverse()) await mkdir(join(root, d), { recursive: true });
    for (const [name, content] of ordered) {
      await writeFile(join(root, name), content);
      await chmod(join(root, name), fileMode);
      await utimes(join(root, name), time, time);
    }
    for (const d of dirs) await utimes(join(root, d), time, time);
  }

  it("depends only on names and bytes: not creation order, timestamps, modes or the blockstore", async () => {
    const one = join(dir.path, "one");
    const two = join(dir.path, "two");
    await writeTree(one, "forward", new Date("2001-01-01T00:00:00Z"), 0o644);
    await writeTree(two, "reverse", new Date("2024-06-30T12:34:56Z"), 0o600);
    const storeA = await tempBlockstore();
    const storeB = await tempBlockstore();
    try {
      const a = await addDirectory({ blockstore: storeA.blockstore, path: one });
      const b = await addDirectory({ blockstore: storeB.blockstore, path: two });
      assert.equal(a.cid.toString(), b.cid.toString());
      assert.equal(a.size, b.size);
      assert.equal(a.files, 6);
      assert.equal(a.directories, 5, "root, sub, sub/deeper, sub/empty-dir, also-empty");
      assert.equal(a.fileBytes, BigInt(6 + 5 + 300_000 + 0 + 32 + 12));
      assert.match(a.cid.toString(), /^bafybei/);

      await writeFile(join(two, "sub/b.txt"), "beta!\n");
      const changed = await addDirectory({ blockstore: storeB.blockstore, path: two });
      assert.notEqual(changed.cid.toString(), a.cid.toString(), "one changed byte changes the root");
    } finally {
      await storeA.cleanup();
      await storeB.cleanup();
    }
  });

  it("refuses a symlink anywhere in the tree, naming it", async () => {
    const root = join(dir.path, "with-link");
    await mkdir(join(root, "sub"), { recursive: true });
    await writeFile(join(root, "sub", "ok.txt"), "ok");
    await symlink("/etc/passwd", join(root, "sub", "escape"));
    const store = await tempBlockstore();
    try {
      await assert.rejects(addDirectory({ blockstore: store.blockstore, path: root }), (error: unknown) => {
        assert.ok(error instanceof SymlinkRefusedError);
        assert.equal(error.code, StorageErrorCode.symlinkRefused);
        assert.equal(error.path, join(root, "sub", "escape"));
        assert.match(error.message, /escape/);
        return true;
      });
      // A symlink to a directory, given as the root itself.
      await symlink(join(root, "sub"), join(dir.path, "root-link"));
      await assert.rejects(
        addDirectory({ blockstore: store.blockstore, path: join(dir.path, "root-link") }),
        SymlinkRefusedError,
      );
      await assert.rejects(addFile({ blockstore: store.blockstore, path: join(root, "sub", "escape") }), SymlinkRefusedError);
    } finally {
      await store.cleanup();
    }
  });

  it("refuses FIFOs, non-UTF-8 names and non-directories", async (t) => {
    const store = await tempBlockstore();
    try {
      const root = join(dir.path, "odd");
      await mkdir(root);
      await writeFile(join(root, "file"), "x");
      await assert.rejects(addDirectory({ blockstore: store.blockstore, path: join(root, "file") }), NotADirectoryError);

      const badName = Buffer.concat([Buffer.from(join(root, "bad-")), Buffer.from([0xff, 0xfe])]);
      try {
        await writeFile(badName, "x");
      } catch {
        t.diagnostic("this file system refuses non-UTF-8 names; skipped that case");
      }
      await assert.rejects(addDirectory({ blockstore: store.blockstore, path: root }), InvalidFileNameError);

      const fifoRoot = join(dir.path, "fifo");
      await mkdir(fifoRoot);
      try {
        execFileSync("mkfifo", [join(fifoRoot, "pipe")]);
      } catch {
        t.skip("mkfifo is not available");
        return;
      }
      await assert.rejects(addDirectory({ blockstore: store.blockstore, path: fifoRoot }), (error: unknown) => {
        assert.ok(error instanceof UnsupportedFileTypeError);
        assert.match(error.message, /FIFO/);
        return true;
      });
      // Opening it must not hang waiting for a writer.
      await assert.rejects(addFile({ blockstore: store.blockstore, path: join(fifoRoot, "pipe") }), UnsupportedFileTypeError);
    } finally {
      await store.cleanup();
    }
  });

  it("refuses dotfiles by default; skip gives plain `ipfs add -r`, include gives `-H`", async () => {
    const store = await tempBlockstore();
    try {
      const withHidden = join(dir.path, "hidden");
      const without = join(dir.path, "no-hidden");
      for (const root of [withHidden, without]) {
        await mkdir(root);
        await writeFile(join(root, "visible.txt"), "v");
      }
      await mkdir(join(withHidden, ".cache"));
      await writeFile(join(withHidden, ".cache", "x"), "x");
      await assert.rejects(addDirectory({ blockstore: store.blockstore, path: withHidden }), (error: unknown) => {
        assert.ok(error instanceof HiddenFileRefusedError);
        assert.equal(error.path, join(withHidden, ".cache"));
        return true;
      });
      const plain = await addDirectory({ blockstore: store.blockstore, path: without });
      const skipped = await addDirectory({ blockstore: store.blockstore, path: withHidden, hiddenFiles: "skip" });
      const included = await addDirectory({ blockstore: store.blockstore, path: withHidden, hiddenFiles: "include" });
      assert.equal(skipped.cid.toString(), plain.cid.toString());
      assert.notEqual(included.cid.toString(), plain.cid.toString());
      assert.equal(included.files, 2);
    } finally {
      await store.cleanup();
    }
  });

  it("shards a directory exactly when kubo does: links (name + CID bytes) reaching 256 KiB, directories counted", async () => {
    // 1023 files and one sub-directory, each with a 220-byte name: 1024 × (220 + 36) = 262144, kubo's threshold,
    // which boxo compares with >=. The non-empty sub-directory's link must count: fed the whole tree at once, the
    // importer counts it as 0 bytes (it has no CID yet) and leaves this directory flat, unlike kubo.
    const store = await tempBlockstore();
    try {
      async function build(root: string, subdirNameLength: number): Promise<CID> {
        await mkdir(root);
        for (let i = 0; i < 1023; i++) await writeFile(join(root, `${String(i).padStart(4, "0")}`.padEnd(220, "f")), "");
        await mkdir(join(root, "d".repeat(subdirNameLength)));
        await writeFile(join(root, "d".repeat(subdirNameLength), "inner"), "not empty");
        return (await addDirectory({ blockstore: store.blockstore, path: root })).cid;
      }
      const atThreshold = await build(join(dir.path, "shard-at"), 220);
      const below = await build(join(dir.path, "shard-below"), 219);
      assert.equal(await unixfsTypeOf(store.blockstore, atThreshold), 5, "HAMT shard at 262144");
      assert.equal(await unixfsTypeOf(store.blockstore, below), 1, "flat directory at 262143");
    } finally {
      await store.cleanup();
    }
  });
});
