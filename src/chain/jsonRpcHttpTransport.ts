import { custom, type Transport } from "viem";
import { httpRequest, HttpTransportError, readBody } from "../net/httpRequest.ts";

/** What the node answered in place of a result: viem turns code, message and data into its typed errors. */
export class JsonRpcResponseError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(error: { code: number; message: string; data?: unknown }) {
    super(error.message);
    this.name = "JsonRpcResponseError";
    this.code = error.code;
    this.data = error.data;
  }
}

export interface JsonRpcHttpTransportParameters {
  timeoutMs?: number;
  /** Tries after a failed call (transport errors and the node's internal errors; viem decides). */
  retryCount?: number;
  retryDelayMs?: number;
  maxResponseBytes?: number;
}

/**
 * viem's transport for a JSON-RPC node over HTTP(S), through net/httpRequest instead of fetch (see there for why).
 * viem's own `http` transport stays the reference behaviour: the same retries, timeouts and error mapping.
 */
export function jsonRpcHttpTransport(url: string, params: JsonRpcHttpTransportParameters = {}): Transport {
  const timeoutMs = params.timeoutMs ?? 20_000;
  const maxBytes = params.maxResponseBytes ?? 16 * 1024 * 1024;
  let nextId = 1;
  const request = async ({ method, params: rpcParams }: { method: string; params?: unknown }): Promise<unknown> => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: rpcParams ?? [] });
    const signal = AbortSignal.timeout(timeoutMs);
    let text: string;
    let status: number;
    try {
      const response = await httpRequest(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal, timeoutMs });
      status = response.statusCode ?? 0;
      text = await readBody(response, maxBytes);
    } catch (error) {
      if (signal.aborted) throw new HttpTransportError(`${method}: no answer from ${url} within ${timeoutMs} ms`, { cause: error });
      throw error;
    }
    let reply: { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw new HttpTransportError(`${method}: HTTP ${status} from ${url} with a body that is not JSON`);
    }
    if (reply.error) throw new JsonRpcResponseError(reply.error);
    if (status < 200 || status >= 300) throw new HttpTransportError(`${method}: HTTP ${status} from ${url}`);
    return reply.result;
  };
  return custom({ request }, { key: "http", name: "JSON-RPC over HTTP", retryCount: params.retryCount ?? 2, retryDelay: params.retryDelayMs ?? 200 });
}
