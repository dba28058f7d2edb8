import type { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { inputsHashOf, type ResolvedInputs } from "../core/moduleInputs.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { jobInputsBytesOf, jobInputsCidOf } from "./jobInputsBlock.ts";

export interface StoreJobInputsParameters {
  blockstore: Blockstore;
  inputs: ResolvedInputs;
}

export interface StoreJobInputsResult {
  inputsHash: Hex;
  cid: CID;
}

/** Keeps a deal's inputs in the blockstore under their job-inputs CID (see jobInputsBlock.ts), to serve them later. */
export async function storeJobInputs({ blockstore, inputs }: StoreJobInputsParameters): Promise<StoreJobInputsResult> {
  const inputsHash = inputsHashOf(inputs);
  const cid = jobInputsCidOf(inputsHash);
  if (!(await blockstore.has(cid))) await blockstore.put(cid, jobInputsBytesOf(inputs));
  return { inputsHash, cid };
}
