import { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { CarFetchError, InvalidCidError } from "./errors.ts";
import { importCar, type ImportCarResult } from "./importCar.ts";

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

  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/vnd.ipld.car" }, signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new CarFetchError({ url, reason: (error as Error).message, cause: error });
  }
  const body = response.body;
  if (!response.ok || body === null) {
    await body?.cancel().catch(() => undefined);
    const reason = response.ok ? "empty response" : `HTTP ${response.status} ${response.statusText}`.trim();
    throw new CarFetchError({ url, status: response.status, reason });
  }

  const result = await importCar({ blockstore, car: chunksOf(body, url, signal), expectedRoot: root, maxBytes, signal });
  return { ...result, url };
}

/**
 * A web stream as an async iterable, through its reader: async iteration of ReadableStream is not in every TypeScript
 * lib setting. Stopping the iteration early cancels the stream.
 */
async function* chunksOf(
  body: ReadableStream<Uint8Array>,
  url: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = body.getReader();
  let done = false;
  try {
    while (true) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        // The provider hung up mid-CAR: a transport failure, not a verification failure.
        if (signal?.aborted) throw error;
        throw new CarFetchError({ url, reason: `download failed: ${(error as Error).message}`, cause: error });
      }
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
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
