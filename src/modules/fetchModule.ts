// A module's manifest and artifact, fetched by CID from the first store that has each (a party's registered URL,
// the solver, a configured store), every block checked against its CID. Shared by the parties that run a deal's
// module (gatherDealJob) and the job creators that resolve a published name their store lacks.
import { CID } from "multiformats/cid";
import { LilypadError } from "../core/errors.ts";
import { parseManifest } from "../core/moduleId.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { fetchCar } from "../storage/fetchCar.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";

export const MAX_MANIFEST_BYTES = 256 * 1024;
/** A module's artifact: a wasm binary, or a js folder with its models. */
export const MAX_ARTIFACT_CAR_BYTES = 1 << 30;

/** Nothing that was asked had (valid) content: each source's failure is listed. */
export class ContentUnavailableError extends LilypadError {
  readonly failures: readonly string[];

  constructor(params: { what: string; failures: readonly string[] }) {
    super({
      code: "CONTENT_UNAVAILABLE",
      message: `${params.what} could not be found${params.failures.length ? `: ${params.failures.join("; ")}` : " (no source to ask)"}`,
    });
    this.name = "ContentUnavailableError";
    this.failures = params.failures;
  }
}

/** The first source that answers without throwing; every failure is named in the error if none does. */
export async function firstOf<T>(what: string, attempts: { name: string; get(): Promise<T> }[]): Promise<{ name: string; value: T }> {
  const failures: string[] = [];
  for (const attempt of attempts) {
    try {
      return { name: attempt.name, value: await attempt.get() };
    } catch (error) {
      failures.push(`${attempt.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new ContentUnavailableError({ what, failures });
}

/** Where content is looked for, in order. */
export interface StoreSources {
  /** Base URLs that serve `/ipfs/:cid?format=car`. */
  stores: readonly string[];
  /**
   * Stores reached only at public addresses: those another party chose (registered on chain), off a devnet. A store
   * whose host is or resolves to a loopback, private or link-local address is refused (PrivateAddressError).
   */
  publicOnly?: ReadonlySet<string>;
}

export interface FetchFromStoresParameters extends StoreSources {
  root: CID;
  blockstore: Blockstore;
  maxBytes: number;
  signal?: AbortSignal;
}

/** Fetches root's DAG from the first store that serves it whole; returns that store's URL. */
export async function fetchFromStores({ root, stores, publicOnly, blockstore, maxBytes, signal }: FetchFromStoresParameters): Promise<string> {
  const found = await firstOf(
    root.toString(),
    stores.map((url) => ({ name: url, get: () => fetchCar({ url, root, blockstore, maxBytes, signal, refusePrivateAddresses: publicOnly?.has(url) }) })),
  );
  return found.name;
}

/**
 * Fetches what `blockstore` lacks of the module `cid` (manifest, then artifact); returns what came from where.
 * `sources` is called only if something is missing.
 */
export async function fetchModule(params: { cid: CID; sources: () => Promise<StoreSources>; blockstore: Blockstore; signal?: AbortSignal }): Promise<string[]> {
  const { cid, blockstore, signal } = params;
  const fetched: string[] = [];
  if (!(await blockstore.has(cid))) {
    fetched.push(`module from ${await fetchFromStores({ ...(await params.sources()), root: cid, blockstore, maxBytes: MAX_MANIFEST_BYTES, signal })}`);
  }
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(await readFileBytes({ blockstore, cid, maxBytes: MAX_MANIFEST_BYTES }))), cid.toString());
  const artifact = CID.parse(manifest.artifact.cid);
  if (!(await blockstore.has(artifact))) {
    fetched.push(`module artifact from ${await fetchFromStores({ ...(await params.sources()), root: artifact, blockstore, maxBytes: MAX_ARTIFACT_CAR_BYTES, signal })}`);
  }
  return fetched;
}
