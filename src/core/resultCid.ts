import { CID } from "multiformats/cid";
import * as dagPb from "@ipld/dag-pb";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import { hexToBytes, type Hex } from "viem";

/** The largest result a creator downloads, and so the most a mediator checks that a provider delivers. */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;

/** The result directory's CID from the digest the market stores: CIDv1, dag-pb, sha2-256. */
export function resultCidOfDigest(digest: Hex): CID {
  return CID.create(1, dagPb.code, createDigest(sha256.code, hexToBytes(digest)));
}

/** The 32-byte sha2-256 digest the market stores for a result directory's CID. */
export function resultDigestOf(cid: CID): Hex {
  return `0x${Buffer.from(cid.multihash.digest).toString("hex")}` as Hex;
}
