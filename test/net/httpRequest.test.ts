// httpRequest and readBody against a real node:http server on loopback: what reaches the server, redirects,
// transport failures as HttpTransportError (and an abort as itself), the body limit, and kept-alive connections.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { httpRequest, HttpTransportError, readBody } from "../../src/net/httpRequest.ts";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A loopback server answering with `handler`, after reading each request's body. */
async function startServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ server: Server; base: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  };
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { server, base, seen, close };
}

/** A port on loopback that nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("httpRequest", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    srv = await startServer((req, res, body) => {
      const url = new URL(req.url ?? "/", "http://x");
      const path = url.pathname;
      if (path === "/echo") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ method: req.method, body, custom: req.headers["x-custom"] ?? null }));
      } else if (path === "/status") {
        res.writeHead(Number(url.searchParams.get("code")));
        res.end(`status ${url.searchParams.get("code")}`);
      } else if (path === "/relative") {
        res.writeHead(302, { location: "echo" });
        res.end();
      } else if (path === "/absolute") {
        res.writeHead(301, { location: `${srv.base}/relative` });
        res.end();
      } else if (path === "/redirect") {
        res.writeHead(Number(url.searchParams.get("code")), { location: "/echo" });
        res.end();
      } else if (path === "/loop") {
        res.writeHead(307, { location: "/loop" });
        res.end();
      } else if (path === "/big") {
        res.writeHead(200);
        res.end("x".repeat(10_000));
      } else {
        res.writeHead(404);
        res.end("not found");
      }
    });
  });
  after(() => srv.close());

  it("sends a GET and resolves with the response", async () => {
    const response = await httpRequest(`${srv.base}/echo`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(await readBody(response, 1024)), { method: "GET", body: "", custom: null });
  });

  it("sends a POST with its body and headers", async () => {
    const response = await httpRequest(`${srv.base}/echo`, {
      method: "POST",
      headers: { "content-type": "text/plain", "x-custom": "hello" },
      body: "the body é",
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(JSON.parse(await readBody(response, 1024)), { method: "POST", body: "the body é", custom: "hello" });
    const last = srv.seen.at(-1);
    assert.equal(last?.headers["content-type"], "text/plain");
  });

  it("returns non-2xx statuses as responses, not errors", async () => {
    for (const code of [400, 404, 500, 503]) {
      const response = await httpRequest(`${srv.base}/status?code=${code}`);
      assert.equal(response.statusCode, code);
      assert.equal(await readBody(response, 1024), `status ${code}`);
    }
  });

  it("follows a relative redirect", async () => {
    const response = await httpRequest(`${srv.base}/relative`);
    assert.equal(response.statusCode, 200);
    assert.equal(JSON.parse(await readBody(response, 1024)).method, "GET");
  });

  it("follows a chain of two redirects, absolute then relative", async () => {
    const before = srv.seen.length;
    const response = await httpRequest(`${srv.base}/absolute`);
    assert.equal(response.statusCode, 200);
    await readBody(response, 1024);
    assert.deepEqual(
      srv.seen.slice(before).map((s) => s.url),
      ["/absolute", "/relative", "/echo"],
    );
  });

  it("follows every redirect status on a GET", async () => {
    for (const code of [301, 302, 303, 307, 308]) {
      const response = await httpRequest(`${srv.base}/redirect?code=${code}`);
      assert.equal(response.statusCode, 200, `status ${code}`);
      await readBody(response, 1024);
    }
  });

  it("does not follow a redirect on a POST", async () => {
    const before = srv.seen.length;
    const response = await httpRequest(`${srv.base}/redirect?code=307`, { method: "POST", body: "x" });
    assert.equal(response.statusCode, 307);
    assert.equal(response.headers.location, "/echo");
    await readBody(response, 1024);
    assert.equal(srv.seen.length - before, 1);
  });

  it("fails a redirect loop with HttpTransportError", async () => {
    const before = srv.seen.length;
    await assert.rejects(httpRequest(`${srv.base}/loop`), (error: unknown) => {
      assert.ok(error instanceof HttpTransportError);
      assert.match(error.message, /too many redirects/);
      return true;
    });
    // The first request and 5 redirects followed.
    assert.equal(srv.seen.length - before, 6);
  });

  it("fails a refused connection with HttpTransportError naming the origin", async () => {
    const origin = `http://127.0.0.1:${await deadPort()}`;
    await assert.rejects(httpRequest(`${origin}/x`), (error: unknown) => {
      assert.ok(error instanceof HttpTransportError);
      assert.ok(error.message.includes(origin), error.message);
      assert.ok(error.cause instanceof Error);
      return true;
    });
  });

  it("fails a bad URL or an unsupported protocol with HttpTransportError", async () => {
    await assert.rejects(httpRequest("not a url"), HttpTransportError);
    await assert.rejects(httpRequest("ftp://127.0.0.1/file"), (error: unknown) => {
      assert.ok(error instanceof HttpTransportError);
      assert.match(error.message, /ftp:/);
      return true;
    });
  });

  it("rejects an already-aborted signal with the AbortError itself", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(httpRequest(`${srv.base}/echo`, { signal: controller.signal }), (error: unknown) => {
      assert.ok(!(error instanceof HttpTransportError));
      assert.equal((error as Error).name, "AbortError");
      return true;
    });
  });

  it("readBody returns the body within the limit and throws beyond it", async () => {
    assert.equal((await readBody(await httpRequest(`${srv.base}/big`), 10_000)).length, 10_000);
    await assert.rejects(readBody(await httpRequest(`${srv.base}/big`), 9_999), (error: unknown) => {
      assert.ok(error instanceof HttpTransportError);
      assert.match(error.message, /9999 bytes/);
      return true;
    });
  });
});

describe("httpRequest against a server that never answers", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    srv = await startServer(() => {});
  });
  after(() => srv.close());

  it("fails with HttpTransportError after idleTimeoutMs with no response", async () => {
    const started = Date.now();
    await assert.rejects(httpRequest(`${srv.base}/slow`, { idleTimeoutMs: 150 }), (error: unknown) => {
      assert.ok(error instanceof HttpTransportError);
      assert.match(error.message, /within 150 ms/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 100 && elapsed < 2_000, `${elapsed} ms`);
  });
});

describe("httpRequest against a server that stalls mid-body", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    srv = await startServer((_req, res) => {
      res.writeHead(200);
      res.write("first part, then nothing");
    });
  });
  after(() => srv.close());

  it("fails the body with HttpTransportError after idleTimeoutMs of silence", async () => {
    const response = await httpRequest(`${srv.base}/stall`, { idleTimeoutMs: 150 });
    const started = Date.now();
    await assert.rejects(readBody(response, 1000), (error: unknown) => error instanceof HttpTransportError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_000, `${elapsed} ms`);
  });
});

describe("httpRequest connections", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let connections = 0;

  before(async () => {
    srv = await startServer((_req, res) => {
      res.writeHead(200);
      res.end("ok");
    });
    srv.server.on("connection", () => connections++);
  });
  after(() => srv.close());

  it("keeps one connection alive across sequential requests whose bodies were read", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await httpRequest(`${srv.base}/n${i}`, i === 1 ? { method: "POST", body: "b" } : {});
      assert.equal(await readBody(response, 100), "ok");
    }
    assert.equal(srv.seen.length, 3);
    assert.equal(connections, 1);
  });
});

describe("httpRequest redirects and credentials", () => {
  let target: Awaited<ReturnType<typeof startServer>>;
  let origin: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    target = await startServer((_req, res) => {
      res.writeHead(200);
      res.end("there");
    });
    origin = await startServer((req, res) => {
      if (req.url === "/elsewhere") res.writeHead(302, { location: `${target.base}/landing` });
      else if (req.url === "/here") res.writeHead(302, { location: "/landing" });
      else res.writeHead(200);
      res.end();
    });
  });
  after(async () => {
    await target.close();
    await origin.close();
  });

  const headers = { authorization: "Bearer secret", cookie: "session=1", accept: "text/plain" };

  it("drops the authorization and cookie headers on a redirect to another origin, keeping the rest", async () => {
    const response = await httpRequest(`${origin.base}/elsewhere`, { headers });
    assert.equal(await readBody(response, 100), "there");
    const landed = target.seen.at(-1);
    assert.equal(landed?.url, "/landing");
    assert.equal(landed?.headers.authorization, undefined);
    assert.equal(landed?.headers.cookie, undefined);
    assert.equal(landed?.headers.accept, "text/plain");
  });

  it("keeps them on a redirect within the same origin", async () => {
    await readBody(await httpRequest(`${origin.base}/here`, { headers }), 100);
    const landed = origin.seen.at(-1);
    assert.equal(landed?.url, "/landing");
    assert.equal(landed?.headers.authorization, "Bearer secret");
    assert.equal(landed?.headers.cookie, "session=1");
  });
});

describe("httpRequest on a kept-alive connection the server dropped", () => {
  it("sends once more on a fresh connection, and the request is served once", async () => {
    // A raw server: the first request on each connection is answered and the connection kept; a second request on
    // the same connection finds it reset (as when a server closes an idle connection just as the client reuses it).
    let served = 0;
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      sockets.add(socket);
      let requests = 0;
      socket.on("data", () => {
        requests++;
        if (requests > 1) {
          socket.resetAndDestroy();
          return;
        }
        served++;
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const first = await httpRequest(url, { method: "POST", body: "{}" });
      assert.equal(await readBody(first, 100), "ok");
      // Give the agent a turn to put the socket back in its pool for reuse.
      await new Promise((resolve) => setImmediate(resolve));
      const second = await httpRequest(url, { method: "POST", body: "{}" });
      assert.equal(second.statusCode, 200);
      assert.equal(await readBody(second, 100), "ok");
      assert.equal(served, 2, "the second request was served on a new connection");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
