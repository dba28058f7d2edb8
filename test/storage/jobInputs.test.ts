// A deal's inputs by their on-chain hash (storeJobInputs, jobInputsRoutes, fetchJobInputs), and the delivery check
// a mediator makes of a provider's result (verifyServedCar), over real loopback servers and real block stores.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import type { CID } from "multiformats/cid";
import { keccak256, toHex, type Hex } from "viem";
import { inputsHashOf } from "../../src/core/moduleInputs.ts";
import { addDirectory } from "../../src/storage/addDirectory.ts";
import { carRoutes } from "../../src/storage/carRoutes.ts";
import { CarFailure, CarFetchError, CarVerificationError } from "../../src/storage/errors.ts";
import { fetchJobInputs, JobInputsFetchError } from "../../src/storage/fetchJobInputs.ts";
import { decodeJobInputs, inputsHashOfCid, jobInputsCidOf, JobInputsMismatchError } from "../../src/storage/jobInputsBlock.ts";
import { JOB_INPUTS_PATH, jobInputsRoutes } from "../../src/storage/jobInputsRoutes.ts";
import { readJobInputs } from "../../src/storage/readJobInputs.ts";
import { storeJobInputs } from "../../src/storage/storeJobInputs.ts";
import { verifyServedCar } from "../../src/storage/verifyServedCar.ts";
import { encodeCar, tempBlockstore, tempDir, writeSampleTree } from "./helpers.ts";

type Store = Awaited<ReturnType<typeof tempBlockstore>>;

const INPUTS = { Message: "hello, world", Count: 3, Loud: false, "Ünïcode": "✓ \u2028" };

async function serve(register: (app: FastifyInstance) => Promise<void>): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  await register(app);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, close: () => app.close() };
}

describe("a deal's inputs, by the hash its job offer committed to", () => {
  let store: Store;
  let server: { url: string; close: () => Promise<void> };
  let inputsHash: Hex;

  before(async () => {
    store = await tempBlockstore();
    ({ inputsHash } = await storeJobInputs({ blockstore: store.blockstore, inputs: INPUTS }));
    server = await serve(async (app) => {
      await app.register(jobInputsRoutes, { blockstore: store.blockstore });
    });
  });
  after(async () => {
    await server.close();
    await store.cleanup();
  });

  it("are stored under CIDv1(raw, keccak-256, inputsHash), the hash the chain holds", async () => {
    assert.equal(inputsHash, inputsHashOf(INPUTS));
    const cid = jobInputsCidOf(inputsHash);
    assert.equal(cid.multihash.code, 0x1b);
    assert.equal(inputsHashOfCid(cid), inputsHash);
    assert.deepEqual(await readJobInputs({ blockstore: store.blockstore, inputsHash }), INPUTS);
    assert.equal(await readJobInputs({ blockstore: store.blockstore, inputsHash: keccak256(toHex("other")) }), undefined);
  });

  it("are served and fetched, checked against the hash", async () => {
    assert.deepEqual(await fetchJobInputs({ url: server.url, inputsHash }), INPUTS);
    const response = await fetch(`${server.url}${JOB_INPUTS_PATH}/${inputsHash}`);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(keccak256(new Uint8Array(await response.arrayBuffer())), inputsHash);
  });

  it("a store without them answers 404, and a malformed hash 400", async () => {
    const missing = keccak256(toHex("nothing stored"));
    await assert.rejects(fetchJobInputs({ url: server.url, inputsHash: missing }), (error: unknown) => error instanceof JobInputsFetchError && error.status === 404);
    assert.equal((await fetch(`${server.url}${JOB_INPUTS_PATH}/0x1234`)).status, 400);
  });

  it("refuses bytes that are not the committed ones: other inputs, the same inputs not in canonical form, not job inputs", async () => {
    const other = new TextEncoder().encode(JSON.stringify({ Message: "forged" }));
    assert.throws(() => decodeJobInputs(other, inputsHash), (error: unknown) => error instanceof JobInputsMismatchError && /hash to something else/.test(error.message));
    // Whoever holds non-canonical bytes and their hash could read one commitment two ways: refused.
    const spaced = new TextEncoder().encode(JSON.stringify(INPUTS, null, 1));
    assert.throws(() => decodeJobInputs(spaced, keccak256(spaced)), /not in canonical form/);
    const nested = new TextEncoder().encode('{"a":{"b":1}}');
    assert.throws(() => decodeJobInputs(nested, keccak256(nested)), /not job inputs/);
  });

  it("a server that answers with other bytes is refused", async () => {
    const liar = await serve(async (app) => {
      app.get(`${JOB_INPUTS_PATH}/:hash`, async (_request, reply) => reply.header("content-type", "application/json").send('{"Message":"forged"}'));
    });
    try {
      await assert.rejects(fetchJobInputs({ url: liar.url, inputsHash }), JobInputsMismatchError);
    } finally {
      await liar.close();
    }
  });
});

describe("verifyServedCar: does a server deliver a DAG?", () => {
  let provider: Store;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let root: CID;

  before(async () => {
    provider = await tempBlockstore();
    work = await tempDir();
    await writeSampleTree(work.path);
    ({ cid: root } = await addDirectory({ blockstore: provider.blockstore, path: work.path }));
  });
  after(async () => {
    await provider.cleanup();
    await work.cleanup();
  });

  it("a server with the whole DAG delivers it, every block verified", async () => {
    const server = await serve(async (app) => {
      await app.register(carRoutes, { blockstore: provider.blockstore });
    });
    try {
      const result = await verifyServedCar({ url: server.url, root });
      assert.ok(result.dagBlocks > 1);
      assert.equal(result.root.toString(), root.toString());
    } finally {
      await server.close();
    }
  });

  it("a server without it does not: a 404 is a CarFetchError", async () => {
    const empty = await tempBlockstore();
    const server = await serve(async (app) => {
      await app.register(carRoutes, { blockstore: empty.blockstore });
    });
    try {
      await assert.rejects(verifyServedCar({ url: server.url, root }), (error: unknown) => error instanceof CarFetchError && error.status === 404);
    } finally {
      await server.close();
      await empty.cleanup();
    }
  });

  it("a CAR of nothing but the header is refused, although the checker's own store holds the DAG", async () => {
    // The mediator holds the result from its own re-run; what it checks is the provider's copy.
    const server = await serve(async (app) => {
      const headerOnly = await encodeCar([root], []);
      app.get("/ipfs/:cid", async (_request, reply) => reply.header("content-type", "application/vnd.ipld.car").send(Buffer.from(headerOnly)));
    });
    try {
      await assert.rejects(verifyServedCar({ url: server.url, root }), (error: unknown) => error instanceof CarVerificationError && error.failure === CarFailure.missingBlock);
    } finally {
      await server.close();
    }
  });
});
