// A deal's inputs as a content-addressed block: the canonical JSON whose keccak-256 the job offer commits to (the
// deal's on-chain `inputsHash`), named CIDv1(raw, keccak-256, inputsHash). Anyone holding the deal's id can ask
// anyone for its inputs, and check the answer against the chain without trusting whoever gave it.
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { bytesToHex, hexToBytes, keccak256, type Hex } from "viem";
import { jobInputsSchema } from "../core/api/solverProtocol.ts";
import { canonicalJsonBytes } from "../core/canonicalJson.ts";
import { LilypadError } from "../core/errors.ts";
import type { ResolvedInputs } from "../core/moduleInputs.ts";

/** The multihash code of keccak-256. */
export const KECCAK_256_CODE = 0x1b;
/** Inputs are a few strings, numbers and booleans; the solver takes job bodies up to 1 MiB. */
export const MAX_JOB_INPUTS_BYTES = 1 << 20;

/** The bytes offered as a deal's inputs are not the ones its inputsHash commits to. */
export class JobInputsMismatchError extends LilypadError {
  readonly inputsHash: Hex;

  constructor(params: { inputsHash: Hex; reason: string; cause?: unknown }) {
    super({ code: "JOB_INPUTS_MISMATCH", message: `not the inputs ${params.inputsHash}: ${params.reason}`, cause: params.cause });
    this.name = "JobInputsMismatchError";
    this.inputsHash = params.inputsHash;
  }
}

/** The CID under which the inputs hashing to `inputsHash` are stored and served. */
export function jobInputsCidOf(inputsHash: Hex): CID {
  const bytes = hexToBytes(inputsHash);
  if (bytes.length !== 32) throw new RangeError("an inputs hash is 32 bytes");
  return CID.create(1, raw.code, createDigest(KECCAK_256_CODE, bytes));
}

/** The inputs hash a job-inputs CID names (undefined for any other CID). */
export function inputsHashOfCid(cid: CID): Hex | undefined {
  if (cid.code !== raw.code || cid.multihash.code !== KECCAK_256_CODE || cid.multihash.digest.length !== 32) return undefined;
  return bytesToHex(cid.multihash.digest);
}

/** The block's bytes: the canonical JSON of the inputs. */
export function jobInputsBytesOf(inputs: ResolvedInputs): Uint8Array {
  return canonicalJsonBytes(inputs);
}

/** Checks bytes from anywhere against the deal's `inputsHash` and parses them; throws JobInputsMismatchError. */
export function decodeJobInputs(bytes: Uint8Array, inputsHash: Hex): ResolvedInputs {
  const fail = (reason: string, cause?: unknown): never => {
    throw new JobInputsMismatchError({ inputsHash, reason, cause });
  };
  if (bytes.byteLength > MAX_JOB_INPUTS_BYTES) fail(`${bytes.byteLength} bytes, over the ${MAX_JOB_INPUTS_BYTES}-byte limit`);
  if (keccak256(bytes) !== inputsHash.toLowerCase()) fail("they hash to something else");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    fail("not UTF-8 JSON", error);
  }
  const parsed = jobInputsSchema.safeParse(json);
  if (!parsed.success) return fail(`not job inputs (${parsed.error.issues[0]?.message ?? "invalid"})`);
  // The hash matched, so these are the bytes the creator committed to; they must also be the canonical form of what
  // they parse to, or two parties could read one commitment two ways.
  const inputs: ResolvedInputs = parsed.data;
  if (keccak256(jobInputsBytesOf(inputs)) !== inputsHash.toLowerCase()) fail("not in canonical form");
  return inputs;
}
