// HTTP with node's own client and kept-alive connections, for the calls every job makes (JSON-RPC to the chain,
// the result's CAR from the provider). fetch (undici) costs about a millisecond of CPU per call in building and
// tearing down its web streams and objects, which at a hundred jobs a second is most of a core.
import { Agent as HttpAgent, request as plainRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as tlsRequest } from "node:https";
import { PrivateAddressError, publicOnlyLookup, refusePrivateLiteral } from "./privateAddresses.ts";

const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) } as const;
/** Connections checked to reach only public addresses are pooled apart, so none is reused unchecked. */
const publicAgents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) } as const;
const MAX_REDIRECTS = 5;

export interface HttpRequestParameters {
  method?: "GET" | "POST";
  headers?: OutgoingHttpHeaders;
  body?: string;
  signal?: AbortSignal;
  /** Abort when the connection stays silent this long, waiting for the response or in the middle of its body. */
  idleTimeoutMs?: number;
  /**
   * Refuse to connect to loopback, private and link-local addresses (PrivateAddressError), whether the URL names one
   * or its host resolves to one, and on every redirect. For URLs another party chose, off a devnet.
   */
  refusePrivateAddresses?: boolean;
}

/** The transport failed (no connection, reset, timeout, bad URL); an HTTP error status is a response, not this. */
export class HttpTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HttpTransportError";
  }
}

/** Sends a request and resolves with the response (its body not yet read). GETs follow redirects. */
export async function httpRequest(url: string, params: HttpRequestParameters = {}): Promise<IncomingMessage> {
  let target = url;
  for (let redirects = 0; ; redirects++) {
    const response = await requestOnce(target, params);
    const location = response.headers.location;
    const redirect = (params.method ?? "GET") === "GET" && response.statusCode !== undefined && [301, 302, 303, 307, 308].includes(response.statusCode);
    if (!redirect || location === undefined) return response;
    response.resume();
    if (redirects >= MAX_REDIRECTS) throw new HttpTransportError(`too many redirects from ${url}`);
    const next = new URL(location, target);
    // Credentials stay with the origin they were meant for.
    if (next.origin !== new URL(target).origin && params.headers) {
      const { authorization: _authorization, cookie: _cookie, ...rest } = params.headers;
      params = { ...params, headers: rest };
    }
    target = next.toString();
  }
}

/** The whole body as text, refusing more than `maxBytes`. */
export async function readBody(response: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy();
        throw new HttpTransportError(`response larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpTransportError || (error as Error).name === "AbortError") throw error;
    throw new HttpTransportError(`the response broke off: ${(error as Error).message}`, { cause: error });
  }
  return Buffer.concat(chunks).toString("utf8");
}

function requestOnce(url: string, params: HttpRequestParameters, retried = false): Promise<IncomingMessage> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    return Promise.reject(new HttpTransportError(`invalid URL ${url}`, { cause: error }));
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Promise.reject(new HttpTransportError(`unsupported protocol ${parsed.protocol} in ${url}`));
  }
  const send = parsed.protocol === "https:" ? tlsRequest : plainRequest;
  const guarded = params.refusePrivateAddresses === true;
  if (guarded) {
    try {
      refusePrivateLiteral(parsed.hostname);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise((resolve, reject) => {
    const request = send(parsed, {
      method: params.method ?? "GET",
      headers: params.headers,
      agent: (guarded ? publicAgents : agents)[parsed.protocol as keyof typeof agents],
      signal: params.signal,
      ...(guarded ? { lookup: publicOnlyLookup } : {}),
    });
    const idle = params.idleTimeoutMs;
    if (idle !== undefined) {
      request.setTimeout(idle, () => request.destroy(new HttpTransportError(`nothing from ${parsed.origin} within ${idle} ms`)));
    }
    request.once("response", resolve);
    request.once("error", (error: NodeJS.ErrnoException) => {
      // A kept-alive connection that the server closed while idle fails on reuse before the server read anything
      // (node's documented race): send once more on a fresh connection.
      if (request.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE") && !params.signal?.aborted && !retried) {
        resolve(requestOnce(url, params, true));
        return;
      }
      const typed = params.signal?.aborted || error instanceof HttpTransportError || error instanceof PrivateAddressError;
      reject(typed ? error : new HttpTransportError(`${parsed.origin}: ${error.message}`, { cause: error }));
    });
    request.end(params.body);
  });
}
