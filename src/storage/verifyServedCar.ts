import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { fetchCar, type FetchCarResult } from "./fetchCar.ts";

export interface VerifyServedCarParameters {
  /** The server's base URL. */
  url: string;
  root: CID | string;
  maxBytes?: number;
  signal?: AbortSignal;
  /** Refuse loopback, private and link-local addresses (PrivateAddressError): for a URL another party chose, off a devnet. */
  refusePrivateAddresses?: boolean;
}

/**
 * Proves that `url` delivers the whole DAG under `root`: downloads its CAR and verifies every block as fetchCar
 * does, but keeps none of them, and counts a block as present only if this CAR carried it. (Importing into a store
 * that already holds the DAG would accept a CAR of nothing but its header.) Throws what fetchCar throws.
 */
export function verifyServedCar(params: VerifyServedCarParameters): Promise<FetchCarResult> {
  return fetchCar({ ...params, blockstore: discardingStore() });
}

/** Remembers which blocks it was given and keeps none: reading one back is always "not found". */
function discardingStore(): Blockstore {
  const given = new Set<string>();
  const keyOf = (cid: CID) => Buffer.from(cid.multihash.bytes).toString("base64");
  const store: Pick<Blockstore, "has" | "put"> & { get(cid: CID): AsyncGenerator<Uint8Array> } = {
    has: async (cid: CID) => given.has(keyOf(cid)),
    put: async (cid: CID) => {
      given.add(keyOf(cid));
      return cid;
    },
    get: async function* (cid: CID): AsyncGenerator<Uint8Array> {
      throw Object.assign(new Error(`${cid} was not delivered`), { name: "NotFoundError" });
    },
  };
  return store as Blockstore;
}
