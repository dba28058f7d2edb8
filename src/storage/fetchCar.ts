import type { IncomingMessage } from "node:http";
import { CID } from "multiformats/cid";
import { httpRequest } from "../net/httpRequest.ts";
import { PrivateAddressError } from "../net/privateAddresses.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { CarFetchError, InvalidCidError } from "./errors.ts";
import { importCar, type ImportCarResult } from "./importCar.ts";

/** A provider silent this long (before answering, or mid-CAR) has failed the download: fetch's own limit. */
const CAR_IDLE_TIMEOUT_MS = 300_000;

export interface FetchCarParameters {
  /** The provider's base URL, e.g. "http://127.0.0.1:8080" (a path prefix is kept). */
  url: string;
  /** The CID wanted. The CAR must have exactly this root. */
  root: CID | string;
  /** Where verified blocks go. */
  blockstore: Blockstore;
  /** Refuse a response longer than this many bytes (default: no limit). */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Refuse loopback, private and link-local addresses (PrivateAddressError): for a URL another party chose, off a devnet. */
  refusePrivateAddresses?: boolean;
}

export interface FetchCarResult extends ImportCarResult {
  /** The URL fetched. */
  url: string;
}

/**
 * Downloads `${url}/ipfs/${root}?format=car` and imports it with full verification (see importCar): the provider is
 * not trusted, only the hashes are. The body is streamed into the verifier, never buffered whole, and is cancelled
 * (freeing the connection) if verification stops early.
 */
export async function fetchCar(params: FetchCarParameters): Promise<FetchCarResult> {
  const { blockstore, maxBytes, signal } = params;
  const root = parseRoot(params.root);
  const url = `${params.url.replace(/\/+$/, "")}/ipfs/${root.toString()}?format=car`;

  let response: IncomingMessage;
  try {
    response = await httpRequest(url, {
      headers: { accept: "application/vnd.ipld.car" },
      signal,
      idleTimeoutMs: CAR_IDLE_TIMEOUT_MS,
      refusePrivateAddresses: params.refusePrivateAddresses,
    });
  } catch (error) {
    if (signal?.aborted || error instanceof PrivateAddressError) throw error;
    throw new CarFetchError({ url, reason: (error as Error).message, cause: error });
  }
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    response.resume();
    throw new CarFetchError({ url, status, reason: `HTTP ${status} ${response.statusMessage ?? ""}`.trim() });
  }

  const result = await importCar({ blockstore, car: chunksOf(response, url, signal), expectedRoot: root, maxBytes, signal });
  return { ...result, url };
}

/** The response body's chunks; stopping early (verification failed) drops the connection instead of reading on. */
async function* chunksOf(body: IncomingMessage, url: string, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  let done = false;
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      // The provider hung up mid-CAR: a transport failure, not a verification failure.
      if (signal?.aborted) throw error;
      throw new CarFetchError({ url, reason: `download failed: ${(error as Error).message}`, cause: error });
    }
    done = true;
  } finally {
    if (!done) body.destroy();
  }
}

function parseRoot(root: CID | string): CID {
  if (typeof root !== "string") return root;
  try {
    return CID.parse(root);
  } catch (error) {
    throw new InvalidCidError({ value: root, cause: error });
  }
}
