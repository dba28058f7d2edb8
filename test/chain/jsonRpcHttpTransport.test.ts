// jsonRpcHttpTransport under viem against a hand-written JSON-RPC server: the request on the wire, results,
// the node's errors mapped by viem (a revert decoded to its custom error), retries, timeouts; then the dev chain.
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
  let respond: Respond;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const call = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcCall;
        calls.push(call);
        respond(call, res);
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
    respond = (call, res) => json(res, 200, failure(call, { code: -32601, message: "method not found" }));
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
