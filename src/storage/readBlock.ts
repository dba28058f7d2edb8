import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { BlockCorruptError, ContentNotFoundError } from "./errors.ts";
import { MAX_BLOCK_BYTES } from "./kuboParameters.ts";
import { verifyBlock } from "./verifyBlock.ts";

export interface ReadBlockParameters {
  blockstore: Pick<Blockstore, "get">;
  cid: CID;
  signal?: AbortSignal;
}

export type ReadBlockResult = Uint8Array;

/**
 * Reads one block and checks it against its CID before anyone uses it. Serving or extracting a block that the disk
 * flipped a bit in would pass the damage on under a name that promises it cannot happen.
 */
export async function readBlock({ blockstore, cid, signal }: ReadBlockParameters): Promise<ReadBlockResult> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of blockstore.get(cid, { signal })) {
      length += chunk.byteLength;
      if (length > MAX_BLOCK_BYTES) {
        throw new BlockCorruptError({ cid: cid.toString(), reason: `larger than ${MAX_BLOCK_BYTES} bytes` });
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BlockCorruptError) throw error;
    // blockstore-fs and blockstore-core both throw interface-store's NotFoundError for a missing key.
    if (error instanceof Error && error.name === "NotFoundError") {
      throw new ContentNotFoundError({ path: cid.toString(), cause: error });
    }
    throw error;
  }
  const bytes = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : concat(chunks, length);
  const verified = await verifyBlock({ cid, bytes });
  if (!verified.valid) throw new BlockCorruptError({ cid: cid.toString(), reason: verified.reason });
  return bytes;
}

/**
 * A read-only view of a blockstore whose `get` yields only verified blocks, for ipfs-unixfs-exporter (which trusts
 * whatever its store returns).
 */
export function verifyingReader(blockstore: Pick<Blockstore, "get">): Pick<Blockstore, "get"> {
  return {
    async *get(cid: CID, options?: { signal?: AbortSignal }) {
      yield await readBlock({ blockstore, cid, signal: options?.signal });
    },
  };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
