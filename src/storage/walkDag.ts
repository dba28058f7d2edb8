import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";
import type { Blockstore } from "./createBlockstore.ts";
import { BlockCorruptError } from "./errors.ts";
import { readBlock } from "./readBlock.ts";
import { checkCidSupported } from "./verifyBlock.ts";

export interface WalkDagParameters {
  blockstore: Pick<Blockstore, "get">;
  root: CID;
  signal?: AbortSignal;
}

export interface DagBlock {
  cid: CID;
  bytes: Uint8Array;
}

export type WalkDagResult = AsyncGenerator<DagBlock, void, undefined>;

/**
 * Every block of the DAG under `root`, each verified against its CID, once each, depth-first with parents before
 * children and links in order: the order `ipfs dag export` writes and the trustless gateway's `dfs` order, so a
 * reader can check each block as it arrives.
 *
 * Iterative rather than recursive: a forged DAG can be a chain millions of links deep.
 */
export async function* walkDag({ blockstore, root, signal }: WalkDagParameters): WalkDagResult {
  const seen = new Set<string>();
  const stack: CID[] = [root];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const cid = stack.pop() as CID;
    const key = blockKey(cid);
    if (seen.has(key)) continue;
    seen.add(key);
    const bytes = await readBlock({ blockstore, cid, signal });
    yield { cid, bytes };
    const links = linksOf(cid, bytes);
    for (let i = links.length - 1; i >= 0; i--) stack.push(links[i] as CID);
  }
}

export type DecodeLinksResult =
  | { ok: true; links: CID[] }
  | { ok: false; failure: "invalid-block" | "unsupported-link"; reason: string };

/** The CIDs a block links to: none for raw blocks, the dag-pb links otherwise. Refuses links we could not verify. */
export function decodeLinks(cid: CID, bytes: Uint8Array): DecodeLinksResult {
  if (cid.code !== dagPb.code) return { ok: true, links: [] };
  let node: dagPb.PBNode;
  try {
    node = dagPb.decode(bytes);
  } catch (error) {
    return { ok: false, failure: "invalid-block", reason: `not valid dag-pb (${(error as Error).message})` };
  }
  const links: CID[] = [];
  for (const link of node.Links) {
    const supported = checkCidSupported(link.Hash);
    if (!supported.supported) {
      return { ok: false, failure: "unsupported-link", reason: `it links to ${link.Hash}: ${supported.reason}` };
    }
    links.push(link.Hash);
  }
  return { ok: true, links };
}

/** decodeLinks for blocks from our own store, where a failure means the store is corrupt. */
export function linksOf(cid: CID, bytes: Uint8Array): CID[] {
  const decoded = decodeLinks(cid, bytes);
  if (!decoded.ok) throw new BlockCorruptError({ cid: cid.toString(), reason: decoded.reason });
  return decoded.links;
}

/**
 * One key per block: CIDv0 and CIDv1 dag-pb name the same bytes, and a DAG may mix them (old kubo links), so keys
 * are the v1 form.
 */
export function blockKey(cid: CID): string {
  return cid.toV1().toString();
}
