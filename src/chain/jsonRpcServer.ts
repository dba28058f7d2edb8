// Serves an in-process EIP-1193 provider (the dev chain) over JSON-RPC on HTTP, so that roles in the same process
// keep calling the provider directly while other processes reach the same chain over the network.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** The one method of an EIP-1193 provider this needs. */
export interface RequestProvider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

export interface JsonRpcServer {
  url: string;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function serveJsonRpc(params: { provider: RequestProvider; host: string; port: number }): Promise<JsonRpcServer> {
  const answer = async (request: JsonRpcRequest): Promise<unknown> => {
    const id = request.id ?? null;
    if (typeof request.method !== "string") return { jsonrpc: "2.0", id, error: { code: -32600, message: "invalid request" } };
    try {
      const result = await params.provider.request({ method: request.method, params: request.params as unknown[] | undefined });
      return { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      return {
        jsonrpc: "2.0",
        id,
        error: { code: typeof e.code === "number" ? e.code : -32603, message: String(e.message ?? error), ...(e.data === undefined ? {} : { data: e.data }) },
      };
    }
  };
  const server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST") return reply(405, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "use POST" } });
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return reply(400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    }
    if (Array.isArray(body)) return reply(200, await Promise.all(body.map((r) => answer(r as JsonRpcRequest))));
    return reply(200, await answer(body as JsonRpcRequest));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: params.host, port: params.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
