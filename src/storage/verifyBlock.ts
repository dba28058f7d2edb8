import * as dagPb from "@ipld/dag-pb";
import { equals } from "multiformats/bytes";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

/** The multihash code of sha2-256, the only hash kubo's `ipfs add` uses by default, and the only one we accept. */
export const SHA2_256_CODE = sha256.code;
const SHA2_256_DIGEST_BYTES = 32;

export interface VerifyBlockParameters {
  cid: CID;
  bytes: Uint8Array;
}

export type VerifyBlockResult =
  | { valid: true }
  | { valid: false; failure: "unsupported-cid" | "hash-mismatch"; reason: string };

/**
 * Whether a CID is one a UnixFS DAG made by `ipfs add` can contain: dag-pb or raw, hashed with sha2-256. Anything
 * else (identity hashes that carry their own data, other codecs we cannot walk, weaker or unknown hashes) is refused,
 * so that "verified" always means "these bytes have this sha2-256".
 */
export function checkCidSupported(cid: CID): { supported: true } | { supported: false; reason: string } {
  if (cid.code !== dagPb.code && cid.code !== raw.code) {
    return { supported: false, reason: `codec 0x${cid.code.toString(16)} is neither dag-pb nor raw` };
  }
  if (cid.multihash.code !== SHA2_256_CODE) {
    return { supported: false, reason: `hash function 0x${cid.multihash.code.toString(16)} is not sha2-256` };
  }
  if (cid.multihash.size !== SHA2_256_DIGEST_BYTES || cid.multihash.digest.length !== SHA2_256_DIGEST_BYTES) {
    return { supported: false, reason: `a sha2-256 digest of ${cid.multihash.digest.length} bytes` };
  }
  return { supported: true };
}

/** Re-hashes a block and compares it with its CID. Never trusts a hash that came with the block. */
export async function verifyBlock({ cid, bytes }: VerifyBlockParameters): Promise<VerifyBlockResult> {
  const supported = checkCidSupported(cid);
  if (!supported.supported) return { valid: false, failure: "unsupported-cid", reason: supported.reason };
  const digest = await sha256.digest(bytes);
  if (!equals(digest.digest, cid.multihash.digest)) {
    return { valid: false, failure: "hash-mismatch", reason: "its bytes do not hash to its CID" };
  }
  return { valid: true };
}
