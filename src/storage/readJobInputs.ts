import type { Hex } from "viem";
import type { ResolvedInputs } from "../core/moduleInputs.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { decodeJobInputs, jobInputsCidOf, MAX_JOB_INPUTS_BYTES } from "./jobInputsBlock.ts";

export interface ReadJobInputsParameters {
  blockstore: Pick<Blockstore, "get" | "has">;
  inputsHash: Hex;
}

/** The stored inputs hashing to `inputsHash`, checked against it; undefined when none are stored. */
export async function readJobInputs({ blockstore, inputsHash }: ReadJobInputsParameters): Promise<ResolvedInputs | undefined> {
  const bytes = await readJobInputsBytes({ blockstore, inputsHash });
  return bytes === undefined ? undefined : decodeJobInputs(bytes, inputsHash);
}

/** The stored block's bytes, unchecked (at most MAX_JOB_INPUTS_BYTES + 1 of them); undefined when none are stored. */
async function readJobInputsBytes({ blockstore, inputsHash }: ReadJobInputsParameters): Promise<Uint8Array | undefined> {
  const cid = jobInputsCidOf(inputsHash);
  if (!(await blockstore.has(cid))) return undefined;
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of blockstore.get(cid)) {
    chunks.push(chunk);
    length += chunk.byteLength;
    if (length > MAX_JOB_INPUTS_BYTES) break;
  }
  return Buffer.concat(chunks);
}
