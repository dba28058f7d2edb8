import { custom, HttpRequestError, RpcRequestError, type Transport } from "viem";
import { httpRequest, readBody } from "../net/httpRequest.ts";

export interface JsonRpcHttpTransportParameters {
  timeoutMs?: number;
  /** Tries after a failed call (transport errors, rate limits, the node's internal errors: viem decides). */
  retryCount?: number;
  retryDelayMs?: number;
  maxResponseBytes?: number;
}

interface JsonRpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * viem's transport for a JSON-RPC node over HTTP(S), through net/httpRequest instead of fetch (see there for why).
 * It fails the way viem's own `http` transport does, with the same error classes (RpcRequestError carrying the
 * node's code and revert data, HttpRequestError carrying the status), so viem's retry rules and error decoding
 * behave the same.
 */
export function jsonRpcHttpTransport(url: string, params: JsonRpcHttpTransportParameters = {}): Transport {
  const timeoutMs = params.timeoutMs ?? 20_000;
  const maxBytes = params.maxResponseBytes ?? 16 * 1024 * 1024;
  let nextId = 1;
  const request = async (args: { method: string; params?: unknown }, options?: { signal?: AbortSignal }): Promise<unknown> => {
    const body = { jsonrpc: "2.0", id: nextId++, method: args.method, params: args.params ?? [] };
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options?.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    try {
      const response = await httpRequest(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
      status = response.statusCode ?? 0;
      text = await readBody(response, maxBytes);
    } catch (error) {
      if (options?.signal?.aborted) throw error;
      // viem would show a cause's message in place of these details, so the cause is folded into them.
      const details = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new HttpRequestError({ body, url, details });
    }
    const ok = status >= 200 && status < 300;
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = undefined;
    }
    if (isReply(reply) && reply.error) throw new RpcRequestError({ body, error: reply.error, url, ...(ok ? {} : { status }) });
    if (!ok) throw new HttpRequestError({ body, url, status, details: text.slice(0, 200) || `HTTP ${status}` });
    if (!isReply(reply)) throw new HttpRequestError({ body, url, status, details: "the reply is not a JSON-RPC response" });
    return reply.result;
  };
  return custom({ request }, { key: "http", name: "JSON-RPC over HTTP", retryCount: params.retryCount ?? 2, retryDelay: params.retryDelayMs ?? 200 });
}

function isReply(value: unknown): value is JsonRpcReply {
  return typeof value === "object" && value !== null && !Array.isArray(value) && ("result" in value || "error" in value);
}
