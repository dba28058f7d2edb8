import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { CID } from "multiformats/cid";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { extractDirectory } from "../storage/extractDirectory.ts";
import type { CliContext } from "./context.ts";

/**
 * Writes a result directory out of the block store to `out` (default ./lilypad-results/<CID>) and returns where.
 * A folder already there holds the same CID's content, so it is kept.
 */
export async function saveResultFiles(params: { ctx: CliContext; blockstore: Blockstore; root: CID; out?: string }): Promise<string> {
  const out = resolve(params.ctx.cwd, params.out ?? join("lilypad-results", params.root.toString()));
  await mkdir(dirname(out), { recursive: true });
  await extractDirectory({ blockstore: params.blockstore, root: params.root, path: out }).catch((error: { code?: string }) => {
    if (error.code !== "TARGET_EXISTS") throw error;
  });
  return out;
}
