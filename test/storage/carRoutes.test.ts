import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import * as raw from "multiformats/codecs/raw";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { addBytes } from "../../src/storage/addBytes.ts";
import { addDirectory } from "../../src/storage/addDirectory.ts";
import { carRoutes } from "../../src/storage/carRoutes.ts";
import { CarFailure, CarFetchError, CarVerificationError } from "../../src/storage/errors.ts";
import { exportCar } from "../../src/storage/exportCar.ts";
import { extractDirectory } from "../../src/storage/extractDirectory.ts";
import { fetchCar } from "../../src/storage/fetchCar.ts";
import { importCar } from "../../src/storage/importCar.ts";
import {
  UNIXFS_DIRECTORY_DATA,
  collect,
  decodeCarBlocks,
  deterministicBytes,
  encodeCar,
  putDagPb,
  snapshotTree,
  tempBlockstore,
  tempDir,
  unixfsSymlinkData,
  writeSampleTree,
  corruptStoredBlocks,
} from "./helpers.ts";

type Store = Awaited<ReturnType<typeof tempBlockstore>>;

/** A GET with the path sent exactly as written (fetch would normalise ".."). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    // Host, port and path given separately: a URL string would have its ".." segments resolved before sending.
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("carRoutes over loopback, and fetchCar", () => {
  let store: Store;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let app: FastifyInstance;
  let base: string;
  let root: CID;
  let single: CID;
  const fresh: Store[] = [];

  async function freshStore(): Promise<Store> {
    const s = await tempBlockstore();
    fresh.push(s);
    return s;
  }

  before(async () => {
    store = await tempBlockstore();
    work = await tempDir();
    await writeSampleTree(join(work.path, "result"));
    root = (await addDirectory({ blockstore: store.blockstore, path: join(work.path, "result") })).cid;
    single = (await addBytes({ blockstore: store.blockstore, bytes: new TextEncoder().encode("hello\n") })).cid;
    app = Fastify({ logger: false });
    await app.register(carRoutes, { blockstore: store.blockstore });
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app.close();
    await store.cleanup();
    await work.cleanup();
    for (const s of fresh) await s.cleanup();
  });

  it("serves the CAR with its media type, byte-identical to exportCar", async () => {
    const response = await fetch(`${base}/ipfs/${root}?format=car`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/vnd\.ipld\.car/);
    assert.match(response.headers.get("cache-control") ?? "", /immutable/);
    const body = new Uint8Array(await response.arrayBuffer());
    assert.deepEqual(body, await collect(exportCar({ blockstore: store.blockstore, root })));

    const byAccept = await fetch(`${base}/ipfs/${root}`, { headers: { accept: "application/vnd.ipld.car" } });
    assert.equal(byAccept.status, 200);
    assert.deepEqual(new Uint8Array(await byAccept.arrayBuffer()), body);
  });

  it("serves files inside a directory, and a file CID by itself", async () => {
    const hello = await fetch(`${base}/ipfs/${root}/sub/b.txt`);
    assert.equal(hello.status, 200);
    assert.equal(hello.headers.get("content-type"), "application/octet-stream");
    assert.equal(hello.headers.get("x-content-type-options"), "nosniff");
    assert.equal(hello.headers.get("content-length"), "5");
    assert.equal(await hello.text(), "beta\n");

    const big = await fetch(`${base}/ipfs/${root}/sub/deeper/big.bin`);
    assert.equal(big.status, 200);
    assert.deepEqual(new Uint8Array(await big.arrayBuffer()), deterministicBytes(700_000, 11));

    const empty = await fetch(`${base}/ipfs/${root}/sub/empty`);
    assert.equal(empty.status, 200);
    assert.equal((await empty.arrayBuffer()).byteLength, 0);

    const alone = await fetch(`${base}/ipfs/${single}`);
    assert.equal(alone.status, 200);
    assert.equal(await alone.text(), "hello\n");

    const head = await fetch(`${base}/ipfs/${root}/sub/deeper/big.bin`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "700000", "HEAD reports the real length");
    const headCar = await fetch(`${base}/ipfs/${root}?format=car`, { method: "HEAD" });
    assert.equal(headCar.status, 200);
    assert.match(headCar.headers.get("content-type") ?? "", /^application\/vnd\.ipld\.car/);
  });

  it("answers 404 for unknown CIDs and paths, 400 for malformed requests, and keeps serving", async () => {
    const unknown = CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode("never stored")));
    const cases: Array<[string, number, string]> = [
      [`/ipfs/${unknown}`, 404, "CONTENT_NOT_FOUND"],
      [`/ipfs/${unknown}?format=car`, 404, "CONTENT_NOT_FOUND"],
      [`/ipfs/${root}/nope.txt`, 404, "CONTENT_NOT_FOUND"],
      [`/ipfs/${root}/a.txt/below-a-file`, 404, "CONTENT_NOT_FOUND"],
      [`/ipfs/not-a-cid`, 400, "INVALID_CID"],
      [`/ipfs/not-a-cid/a.txt`, 400, "INVALID_CID"],
      [`/ipfs/${root}?format=zip`, 400, "INVALID_REQUEST"],
      [`/ipfs/${root}`, 400, "NOT_A_FILE"],
      [`/ipfs/${root}/sub`, 400, "NOT_A_FILE"],
      [`/ipfs/${root}/sub/b.txt?format=car`, 400, "CAR_PATH_UNSUPPORTED"],
      [`/ipfs/${root}/sub/../a.txt`, 400, "INVALID_PATH"],
      [`/ipfs/${root}/sub//b.txt`, 400, "INVALID_PATH"],
    ];
    for (const [path, status, code] of cases) {
      const response = await rawGet(base, path);
      assert.equal(response.status, status, `${path}: ${response.body}`);
      assert.equal(JSON.parse(response.body).code, code, path);
    }
    const still = await fetch(`${base}/ipfs/${root}/a.txt`);
    assert.equal(await still.text(), "alpha\n");
  });

  it("serves long paths (past fastify's 100-character parameter limit)", async () => {
    const deep = join(work.path, "deep");
    const segments = ["a".repeat(60), "b".repeat(60), "c".repeat(60)];
    await writeSampleTree(deep);
    let dir = deep;
    for (const segment of segments) {
      dir = join(dir, segment);
      await mkdir(dir);
    }
    await writeFile(join(dir, "leaf.txt"), "deep\n");
    const deepRoot = (await addDirectory({ blockstore: store.blockstore, path: deep })).cid;
    const response = await fetch(`${base}/ipfs/${deepRoot}/${segments.join("/")}/leaf.txt`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "deep\n");
  });

  it("decodes percent-encoded names (spaces, UTF-8) and refuses a symlink entry with 400", async () => {
    const names = join(work.path, "names");
    await mkdir(names);
    await writeFile(join(names, "my file.txt"), "spaced\n");
    await writeFile(join(names, "ünïcödé.txt"), "utf-8\n");
    const namesRoot = (await addDirectory({ blockstore: store.blockstore, path: names })).cid;
    assert.equal(await (await fetch(`${base}/ipfs/${namesRoot}/my%20file.txt`)).text(), "spaced\n");
    assert.equal(await (await fetch(`${base}/ipfs/${namesRoot}/${encodeURIComponent("ünïcödé.txt")}`)).text(), "utf-8\n");

    const link = (await putDagPb(store.blockstore, { Data: unixfsSymlinkData("/etc/passwd"), Links: [] })).cid;
    const withLink = (await putDagPb(store.blockstore, { Data: UNIXFS_DIRECTORY_DATA, Links: [{ Name: "passwd", Hash: link, Tsize: 20 }] })).cid;
    const response = await fetch(`${base}/ipfs/${withLink}/passwd`);
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, "NOT_A_FILE");
  });

  it("fetchCar downloads, verifies and stores a DAG end to end", async () => {
    const target = await freshStore();
    const result = await fetchCar({ url: `${base}/`, root, blockstore: target.blockstore });
    assert.equal(result.root.toString(), root.toString());
    assert.equal(result.dagBlocks, 11);
    assert.equal(result.url, `${base}/ipfs/${root}?format=car`);
    const out = join(work.path, "fetched");
    await extractDirectory({ blockstore: target.blockstore, root, path: out });
    assert.deepEqual(await snapshotTree(out), await snapshotTree(join(work.path, "result")));

    const file = await fetchCar({ url: base, root: single.toString(), blockstore: target.blockstore });
    assert.equal(file.dagBlocks, 1);
  });

  it("fetchCar reports a 404 as CarFetchError and an unreachable provider likewise", async () => {
    const target = await freshStore();
    const absent = (await addBytes({ blockstore: target.blockstore, bytes: new TextEncoder().encode("only here") })).cid;
    await assert.rejects(fetchCar({ url: base, root: absent, blockstore: target.blockstore }), (error: unknown) => {
      assert.ok(error instanceof CarFetchError);
      assert.equal(error.status, 404);
      return true;
    });
    await assert.rejects(fetchCar({ url: "http://127.0.0.1:1", root, blockstore: target.blockstore }), CarFetchError);
  });

  describe("against a lying provider", () => {
    let liar: FastifyInstance;
    let liarBase: string;
    let tampered: Uint8Array;
    let tamperedCid: CID;

    before(async () => {
      const { blocks } = await decodeCarBlocks(await collect(exportCar({ blockstore: store.blockstore, root })));
      const index = blocks.findIndex((b) => b.cid.code === raw.code && b.bytes.length > 1000);
      tamperedCid = blocks[index]!.cid;
      const bytes = new Uint8Array(blocks[index]!.bytes);
      bytes[0] = (bytes[0] as number) ^ 0xff;
      tampered = await encodeCar([root], blocks.map((b, i) => (i === index ? { cid: b.cid, bytes } : b)));
      liar = Fastify({ logger: false });
      liar.get("/ipfs/:cid", async (_request, reply) => reply.header("content-type", "application/vnd.ipld.car").send(Buffer.from(tampered)));
      await liar.listen({ host: "127.0.0.1", port: 0 });
      liarBase = `http://127.0.0.1:${(liar.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await liar.close();
    });

    it("fetchCar rejects a tampered CAR, naming the block, and leaves no root behind", async () => {
      const target = await freshStore();
      await assert.rejects(fetchCar({ url: liarBase, root, blockstore: target.blockstore }), (error: unknown) => {
        assert.ok(error instanceof CarVerificationError);
        assert.equal(error.failure, CarFailure.hashMismatch);
        assert.equal(error.cid, tamperedCid.toString());
        return true;
      });
      assert.equal(await target.blockstore.has(root), false);
    });

    it("fetchCar rejects a CAR for another root", async () => {
      const target = await freshStore();
      await assert.rejects(
        fetchCar({ url: liarBase, root: single, blockstore: target.blockstore }),
        (error: unknown) => error instanceof CarVerificationError && error.failure === CarFailure.rootMismatch,
      );
    });
  });

  it("does not crash when a stored block turns out corrupt mid-stream", async () => {
    const corruptStore = await freshStore();
    const src = join(work.path, "to-corrupt");
    await writeSampleTree(src);
    const cid = (await addDirectory({ blockstore: corruptStore.blockstore, path: src })).cid;
    // Corrupt one leaf on disk: the 700 000-byte file's last chunk (the only block of 175 712 bytes).
    const lastChunk = 700_000 - 2 * 262_144;
    const { rewritten, reopened } = corruptStoredBlocks(corruptStore.blockstore, (bytes) => bytes.byteLength === lastChunk, (bytes) => new Uint8Array(bytes.byteLength));
    assert.equal(rewritten, 1);

    const server = Fastify({ logger: false });
    await server.register(carRoutes, { blockstore: reopened });
    await server.listen({ host: "127.0.0.1", port: 0 });
    const serverBase = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    try {
      const target = await freshStore();
      await assert.rejects(fetchCar({ url: serverBase, root: cid, blockstore: target.blockstore }), (error: unknown) => {
        // The server stops mid-CAR: a transport failure, or a truncated CAR, depending on where the cut falls.
        return error instanceof CarFetchError || (error instanceof CarVerificationError && error.failure === CarFailure.malformed);
      });
      assert.equal(await target.blockstore.has(cid), false);
      let served = -1;
      try {
        const response = await fetch(`${serverBase}/ipfs/${cid}/sub/deeper/big.bin`);
        served = (await response.arrayBuffer()).byteLength;
      } catch {
        // The server cut the response when it reached the corrupt block: what we want.
      }
      assert.ok(served < 700_000, "a corrupt file is never served whole");
      const ok = await fetch(`${serverBase}/ipfs/${cid}/a.txt`);
      assert.equal(await ok.text(), "alpha\n", "the server is still up");
    } finally {
      await server.close();
    }
  });

  it("imports from a CAR response body streamed by the server without buffering it whole", async () => {
    const target = await freshStore();
    const response = await fetch(`${base}/ipfs/${root}?format=car`);
    assert.ok(response.body);
    const result = await importCar({ blockstore: target.blockstore, car: response.body as unknown as AsyncIterable<Uint8Array>, expectedRoot: root });
    assert.equal(result.dagBlocks, 11);
  });
});
