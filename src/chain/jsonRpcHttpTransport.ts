import { custom, HttpRequestError, RpcRequestError, type Transport } from "viem";
import { httpRequest, readBody } from "../net/httpRequest.ts";

export interface JsonRpcHttpTransportParameters {
  timeoutMs?: number;
  /** Tries after a failed call (transport errors, rate limits, the node's internal errors: viem decides). */
  retryCount?: number;
  retryDelayMs?: number;
  maxResponseBytes?: number;
  /**
   * The most calls sent together in one JSON-RPC batch (default 20; 1 sends every call alone). Calls made in the
   * same turn of the event loop, by any client of this process on the same URL with the same settings, share one
   * HTTP request: each request costs both ends a system call or two and a scheduler wake-up, which at a hundred
   * jobs a second (a dozen calls each) was a tenth of every role's CPU. 20 is below the batch limits public
   * providers set; a node that refuses batches is then called one call at a time.
   */
  maxBatchSize?: number;
}

/** A call as sent (a type with an index signature, as viem's error classes take the body). */
type JsonRpcRequest = { [key: string]: unknown; jsonrpc: "2.0"; id: number; method: string; params: unknown };

interface JsonRpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

interface PendingCall {
  body: JsonRpcRequest;
  signal?: AbortSignal;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** Sends the calls of one URL, gathering those made in the same event-loop turn into batches. */
class JsonRpcBatcher {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxBatchSize: number;
  #nextId = 1;
  #queue: PendingCall[] = [];
  #scheduled = false;
  /** Cleared for good when the node answers a batch with anything but an array of replies. */
  #batches = true;

  constructor(url: string, timeoutMs: number, maxBytes: number, maxBatchSize: number) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.#maxBytes = maxBytes;
    this.#maxBatchSize = maxBatchSize;
  }

  call(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const pending: PendingCall = { body: { jsonrpc: "2.0", id: this.#nextId++, method, params }, resolve, reject };
      if (signal) pending.signal = signal;
      this.#queue.push(pending);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queue: PendingCall[] = [];
    // A caller that gave up while its call waited is told so, and its call is not sent.
    for (const call of this.#queue) {
      if (call.signal?.aborted) call.reject(call.signal.reason);
      else queue.push(call);
    }
    this.#queue = [];
    const size = this.#batches ? this.#maxBatchSize : 1;
    for (let i = 0; i < queue.length; i += size) void this.#send(queue.slice(i, i + size));
  }

  async #send(calls: PendingCall[]): Promise<void> {
    const single = calls.length === 1 ? calls[0]! : undefined;
    const payload = single ? single.body : calls.map((c) => c.body);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    // One caller giving up aborts the request only when it is the request's sole call.
    const signal = single?.signal ? AbortSignal.any([single.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    try {
      const response = await httpRequest(this.#url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload), signal });
      status = response.statusCode ?? 0;
      text = await readBody(response, this.#maxBytes);
    } catch (error) {
      if (single?.signal?.aborted) return single.reject(error);
      // viem would show a cause's message in place of these details, so the cause is folded into them.
      const details = timeout.aborted ? `no answer within ${this.#timeoutMs} ms` : (error as Error).message;
      for (const c of calls) c.reject(new HttpRequestError({ body: c.body, url: this.#url, details }));
      return;
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = undefined;
    }
    if (single) return this.#settle(single, reply, status, text);
    if (!Array.isArray(reply)) {
      if (typeof reply !== "object" || reply === null) {
        for (const c of calls) this.#settle(c, undefined, status, text);
        return;
      }
      // One JSON answer to the whole batch: a node that does not take batches. From now on, one call per request.
      this.#batches = false;
      for (const c of calls) void this.#send([c]);
      return;
    }
    const byId = new Map<unknown, unknown>();
    for (const r of reply) if (isReply(r)) byId.set(r.id, r);
    for (const c of calls) this.#settle(c, byId.get(c.body.id), status, text);
  }

  /** Resolves or rejects one call with its reply, failing the way viem's own `http` transport does. */
  #settle(call: PendingCall, reply: unknown, status: number, text: string): void {
    const ok = status >= 200 && status < 300;
    const { body } = call;
    if (isReply(reply) && reply.error) return call.reject(new RpcRequestError({ body, error: reply.error, url: this.#url, ...(ok ? {} : { status }) }));
    if (!ok) return call.reject(new HttpRequestError({ body, url: this.#url, status, details: text.slice(0, 200) || `HTTP ${status}` }));
    if (!isReply(reply)) return call.reject(new HttpRequestError({ body, url: this.#url, status, details: "the reply is not a JSON-RPC response" }));
    call.resolve(reply.result);
  }
}

/** One batcher per URL and settings in this process (a thread: workers have their own module instances). */
const batchers = new Map<string, JsonRpcBatcher>();

/**
 * viem's transport for a JSON-RPC node over HTTP(S), through net/httpRequest instead of fetch (see there for why),
 * batching the calls made together (see `maxBatchSize`). It fails the way viem's own `http` transport does, with
 * the same error classes (RpcRequestError carrying the node's code and revert data, HttpRequestError carrying the
 * status), so viem's retry rules and error decoding behave the same.
 */
export function jsonRpcHttpTransport(url: string, params: JsonRpcHttpTransportParameters = {}): Transport {
  const timeoutMs = params.timeoutMs ?? 20_000;
  const maxBytes = params.maxResponseBytes ?? 16 * 1024 * 1024;
  const maxBatchSize = Math.max(1, Math.floor(params.maxBatchSize ?? 20));
  const key = `${url} ${timeoutMs} ${maxBytes} ${maxBatchSize}`;
  let batcher = batchers.get(key);
  if (!batcher) batchers.set(key, (batcher = new JsonRpcBatcher(url, timeoutMs, maxBytes, maxBatchSize)));
  const sender = batcher;
  const request = (args: { method: string; params?: unknown }, options?: { signal?: AbortSignal }): Promise<unknown> =>
    sender.call(args.method, args.params ?? [], options?.signal);
  return custom({ request }, { key: "http", name: "JSON-RPC over HTTP", retryCount: params.retryCount ?? 2, retryDelay: params.retryDelayMs ?? 200 });
}

function isReply(value: unknown): value is JsonRpcReply {
  return typeof value === "object" && value !== null && !Array.isArray(value) && ("result" in value || "error" in value);
}
