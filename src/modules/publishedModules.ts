// What this machine published: `lilypad module publish` records each name it bound on chain in
// $LILYPAD_HOME/published.json, so that `module list` can show it under the name others run it by
// (0x<publisher>/NAME:VERSION). The chain stays the authority; this is the user's own memory of it.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { cidStringSchema } from "../core/moduleManifest.ts";

export const publishedModuleSchema = z.object({
  /** The full name: 0x<publisher>/NAME:VERSION, or a bare NAME:VERSION governance approved. */
  name: z.string().min(3).max(200),
  cid: cidStringSchema,
  chainId: z.number().int().positive(),
  market: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  tx: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
});
export type PublishedModule = z.output<typeof publishedModuleSchema>;
const publishedFileSchema = z.array(publishedModuleSchema);

export async function readPublishedModules(path: string): Promise<PublishedModule[]> {
  if (!existsSync(path)) return [];
  return publishedFileSchema.parse(JSON.parse(await readFile(path, "utf8")));
}

/** Adds a publication (one per name and network: a later one for the same name and chain replaces it). */
export async function recordPublishedModule(path: string, entry: PublishedModule): Promise<void> {
  const kept = (await readPublishedModules(path)).filter((p) => !(p.name === entry.name && p.chainId === entry.chainId && p.market === entry.market));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify([...kept, entry], null, 2)}\n`);
}
