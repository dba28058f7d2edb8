// jsonRpcHttpTransport under viem against a hand-written JSON-RPC server: the request on the wire, results,
// the node's errors mapped by viem (a revert decoded to its custom error), retries, timeouts, batches of calls
// made together; then the dev chain.
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  encodeErrorResult,
  http,
  InvalidParamsRpcError,
  parseAbi,
  RpcRequestError,
  type Hex,
  type Transport,
} from "viem";
import { jsonRpcHttpTransport } from "../../src/chain/jsonRpcHttpTransport.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";

interface RpcCall {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type Respond = (call: RpcCall, res: ServerResponse) => void;
type RespondBatch = (calls: RpcCall[], res: ServerResponse) => void;

const abi = parseAbi(["error Nope(uint256 x)", "function value() view returns (uint256)"]);
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function failure(call: RpcCall, error: { code: number; message: string; data?: unknown }) {
  return { jsonrpc: "2.0", id: call.id ?? null, error };
}

describe("jsonRpcHttpTransport against a JSON-RPC server", () => {
  let server: Server;
  let url: string;
  let calls: RpcCall[];
  /** Every request's body: a call, or an array of calls (a batch). */
  let requests: Array<RpcCall | RpcCall[]>;
  let respond: Respond;
  let respondBatch: RespondBatch;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcCall | RpcCall[];
        requests.push(body);
        if (!Array.isArray(body)) {
          calls.push(body);
          return respond(body, res);
        }
        calls.push(...body);
        respondBatch(body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  beforeEach(() => {
    calls = [];
    requests = [];
    respond = (call, res) => json(res, 200, failure(call, { code: -32601, message: "method not found" }));
    respondBatch = (batch, res) => json(res, 200, batch.map((call) => failure(call, { code: -32601, message: "method not found" })));
  });

  function client(params: Parameters<typeof jsonRpcHttpTransport>[1] = { retryDelayMs: 1 }) {
    return createPublicClient({ transport: jsonRpcHttpTransport(url, params), cacheTime: 0 });
  }

  it("returns the block number the server answered, asked with a well-formed request", async () => {
    respond = (call, res) => json(res, 200, { jsonrpc: "2.0", id: call.id, result: "0x1b4" });
    assert.equal(await client().getBlockNumber(), 436n);
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call?.jsonrpc, "2.0");
    assert.equal(call?.method, "eth_blockNumber");
    assert.deepEqual(call?.params, []);
    assert.equal(typeof call?.id, "number");
  });

  it("gives each request its own id", async () => {
    respond = (call, res) => json(res, 200, { jsonrpc: "2.0", id: call.id, result: "0x1" });
    const c = client();
    await c.getBlockNumber();
    await c.getBlockNumber();
    assert.equal(calls.length, 2);
    assert.notEqual(calls[0]?.id, calls[1]?.id);
  });

  it("surfaces the node's error through viem's typed error, with code, message and data", async () => {
    respond = (call, res) => json(res, 200, failure(call, { code: -32602, message: "bad block tag", data: "extra" }));
    await assert.rejects(client().getBlockNumber(), (error: unknown) => {
      assert.ok(error instanceof BaseError);
      assert.ok(error instanceof InvalidParamsRpcError);
      assert.equal((error as InvalidParamsRpcError).code, -32602);
      assert.ok(error.message.includes("bad block tag"), error.message);
      const cause = error.walk((e) => e instanceof RpcRequestError);
      assert.ok(cause instanceof RpcRequestError);
      assert.equal(cause.code, -32602);
      assert.equal(cause.details, "bad block tag");
      assert.equal(cause.data, "extra");
      return true;
    });
    assert.equal(calls.length, 1, "invalid params is not retried");
  });

  it("decodes a revert's custom error in readContract", async () => {
    const data: Hex = encodeErrorResult({ abi, errorName: "Nope", args: [7n] });
    respond = (call, res) => {
      if (call.method === "eth_call") json(res, 200, failure(call, { code: 3, message: "execution reverted", data }));
      else json(res, 200, failure(call, { code: -32601, message: "method not found" }));
    };
    await assert.rejects(client().readContract({ address: CONTRACT, abi, functionName: "value" }), (error: unknown) => {
      assert.ok(error instanceof BaseError);
      const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
      assert.ok(reverted instanceof ContractFunctionRevertedError, String(error));
      assert.equal(reverted.data?.errorName, "Nope");
      assert.deepEqual(reverted.data?.args, [7n]);
      return true;
    });
    assert.ok(calls.some((c) => c.method === "eth_call"));
  });

  // The reference is viem's own fetch-based transport: the same replies must give the same error class and the
  // same number of tries.
  const failures: Array<[string, Respond]> = [
    ["a non-JSON 502", (_call, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>bad gateway</html>");
    }],
    ["a non-JSON 404", (_call, res) => {
      res.writeHead(404);
      res.end("not here");
    }],
    ["a 200 with a JSON-RPC invalid-params error", (call, res) => json(res, 200, failure(call, { code: -32602, message: "bad params" }))],
    ["a 500 with a JSON-RPC invalid-params error", (call, res) => json(res, 500, failure(call, { code: -32602, message: "bad params on a 500" }))],
    ["a 500 with a JSON-RPC internal error", (call, res) => json(res, 500, failure(call, { code: -32603, message: "internal" }))],
  ];
  for (const [name, reply] of failures) {
    it(`fails like viem's http transport on ${name}: same error class, same number of tries`, async () => {
      respond = reply;
      const outcome = async (transport: Transport) => {
        calls = [];
        const error = await createPublicClient({ transport, cacheTime: 0 }).getBlockNumber().then(
          () => assert.fail("expected a failure"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof BaseError, String(error));
        return { name: error.name, code: (error as BaseError & { code?: number }).code, tries: calls.length };
      };
      const theirs = await outcome(http(url, { retryCount: 2, retryDelay: 1 }));
      const ours = await outcome(jsonRpcHttpTransport(url, { retryCount: 2, retryDelayMs: 1 }));
      assert.deepEqual(ours, theirs);
    });
  }

  /** Balances of `n` distinct addresses, asked in one turn of the event loop. */
  function balances(c: ReturnType<typeof client>, n: number, from = 0) {
    return Promise.all(Array.from({ length: n }, (_, i) => c.getBalance({ address: `0x${(from + i + 1).toString(16).padStart(40, "0")}` })));
  }
  /** Answers a balance call with the address's last byte, in wei. */
  const balanceReply = (call: RpcCall) => ({ jsonrpc: "2.0", id: call.id, result: `0x${((call.params as string[])[0] ?? "").slice(-2)}` });

  it("sends calls made together as one batch, matching each reply to its call by id whatever the order", async () => {
    respondBatch = (batch, res) => json(res, 200, batch.map(balanceReply).reverse());
    assert.deepEqual(await balances(client(), 5), [1n, 2n, 3n, 4n, 5n]);
    assert.equal(requests.length, 1);
    assert.ok(Array.isArray(requests[0]) && requests[0].length === 5);
    assert.equal(new Set(calls.map((c) => c.id)).size, 5, "each call has its own id");
  });

  it("splits calls made together into batches of at most maxBatchSize", async () => {
    respondBatch = (batch, res) => json(res, 200, batch.map(balanceReply));
    const results = await balances(client({ maxBatchSize: 20 }), 45);
    assert.deepEqual(results, Array.from({ length: 45 }, (_, i) => BigInt(i + 1)));
    assert.deepEqual(requests.map((r) => (Array.isArray(r) ? r.length : 1)), [20, 20, 5]);
  });

  it("fails only the call whose reply in the batch is an error, and a call with no reply at all", async () => {
    respondBatch = (batch, res) =>
      json(res, 200, batch.slice(0, 2).map((call, i) => (i === 1 ? failure(call, { code: -32602, message: "bad address" }) : balanceReply(call))));
    const c = client({ retryCount: 0 });
    const results = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => c.getBalance({ address: `0x${(i + 1).toString(16).padStart(40, "0")}` })));
    assert.equal(results[0]?.status, "fulfilled");
    assert.equal(results[0]?.status === "fulfilled" && results[0].value, 1n);
    assert.ok(results[1]?.status === "rejected" && String(results[1].reason).includes("bad address"), String((results[1] as PromiseRejectedResult).reason));
    assert.ok(results[2]?.status === "rejected" && String(results[2].reason).includes("not a JSON-RPC response"));
  });

  it("calls a node that refuses batches one call at a time, from then on", async () => {
    respondBatch = (_batch, res) => json(res, 200, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch requests are not supported" } });
    respond = (call, res) => json(res, 200, balanceReply(call));
    // Settings of its own, so that no other test's client shares this batcher.
    const c = client({ maxBatchSize: 7 });
    assert.deepEqual(await balances(c, 3), [1n, 2n, 3n]);
    assert.deepEqual(requests.map((r) => (Array.isArray(r) ? r.length : 1)), [3, 1, 1, 1]);
    requests = [];
    assert.deepEqual(await balances(c, 3, 3), [4n, 5n, 6n]);
    assert.deepEqual(requests.map((r) => (Array.isArray(r) ? r.length : 1)), [1, 1, 1]);
  });

  it("fails every call of a batch whose request fails, each with its own body", async () => {
    respondBatch = (_batch, res) => {
      res.writeHead(502);
      res.end("bad gateway");
    };
    const c = client({ retryCount: 0 });
    const results = await Promise.allSettled(Array.from({ length: 2 }, (_, i) => c.getBalance({ address: `0x${(i + 1).toString(16).padStart(40, "0")}` })));
    for (const r of results) assert.ok(r.status === "rejected" && r.reason instanceof BaseError && /502|bad gateway/i.test(String(r.reason)), r.status === "rejected" ? String(r.reason) : "fulfilled");
  });

  it("refuses a reply that is JSON but not a JSON-RPC response, saying so", async () => {
    respond = (_call, res) => json(res, 200, null);
    await assert.rejects(client({ retryCount: 0 }).getBlockNumber(), (error: unknown) => {
      assert.ok(error instanceof BaseError);
      assert.match(error.message, /not a JSON-RPC response/);
      return true;
    });
  });

  it("does not retry with retryCount 0", async () => {
    respond = (_call, res) => {
      res.writeHead(502);
      res.end("bad gateway");
    };
    await assert.rejects(client({ retryCount: 0 }).getBlockNumber(), BaseError);
    assert.equal(calls.length, 1);
  });

  it("rejects a response larger than maxResponseBytes", async () => {
    respond = (call, res) => json(res, 200, { jsonrpc: "2.0", id: call.id, result: `0x${"1".repeat(2_000)}` });
    await assert.rejects(client({ retryCount: 0, maxResponseBytes: 1_000 }).getBlockNumber(), (error: unknown) => {
      assert.ok(error instanceof BaseError);
      assert.match(error.message, /larger than 1000 bytes/);
      return true;
    });
  });

  it("rejects within about timeoutMs when the server never answers", async () => {
    respond = () => {};
    const started = Date.now();
    await assert.rejects(client({ timeoutMs: 200, retryCount: 0 }).getBlockNumber(), (error: unknown) => {
      assert.ok(error instanceof BaseError);
      assert.match(error.message, /200 ms/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_000, `${elapsed} ms`);
    assert.equal(calls.length, 1);
  });
});

describe("jsonRpcHttpTransport against the dev chain", () => {
  let dev: DevChain;

  before(async () => {
    dev = await startDevChain({ listen: { host: "127.0.0.1", port: 0 } });
  });
  after(() => dev.close());

  it("reads the chain id and block number over HTTP", async () => {
    const client = createPublicClient({ transport: jsonRpcHttpTransport(dev.network.rpcUrl), cacheTime: 0 });
    assert.equal(await client.getChainId(), dev.network.chainId);
    // The idle dev chain mines a block a second: the number read is the one between the dev client's two reads.
    const before = await dev.publicClient.getBlockNumber();
    const blockNumber = await client.getBlockNumber();
    const after = await dev.publicClient.getBlockNumber();
    assert.ok(before <= blockNumber && blockNumber <= after, `${before} <= ${blockNumber} <= ${after}`);
    assert.ok(blockNumber > 0n);
  });
});
