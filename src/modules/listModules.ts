// The modules this machine knows by name: those shipped with lilypad, those the user built (their catalog), and
// those they published from here (published.json). Each with its CID and, when its manifest is in the local store
// (shipped ones are packaged on demand), its engine and description. Names from the network's governance are not
// listed: they live on chain, and listing them would need the network.
import type { ModuleEngine } from "../core/moduleManifest.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { readModuleManifest } from "./loadModule.ts";
import type { ModuleCatalog } from "./moduleCatalog.ts";
import type { PublishedModule } from "./publishedModules.ts";

export interface ListModulesParameters {
  blockstore: Blockstore;
  shipped: ModuleCatalog;
  /** The user's catalog: what they built (and published, which is built first). */
  catalog: ModuleCatalog;
  published: readonly PublishedModule[];
}

export interface ListedModule {
  /** What to type to run it: NAME:VERSION, or 0x<publisher>/NAME:VERSION for a published one. */
  module: string;
  cid: string;
  /** undefined when the manifest is not in the local store (e.g. the store was removed). */
  engine: ModuleEngine | undefined;
  description: string | undefined;
  /** shipped: comes with lilypad; built: in your catalog; published: you bound it on chain from this machine. */
  source: "shipped" | "built" | "published";
  /** For published modules: the chain it was published on. */
  chainId?: number;
}

export async function listModules({ blockstore, shipped, catalog, published }: ListModulesParameters): Promise<ListedModule[]> {
  const entries: Omit<ListedModule, "engine" | "description">[] = [
    ...Object.entries(shipped).map(([module, cid]) => ({ module, cid, source: "shipped" as const })),
    // A catalog entry under a shipped name is never used (the shipped module keeps its name), so it is not listed.
    ...Object.entries(catalog)
      .filter(([module]) => shipped[module] === undefined)
      .map(([module, cid]) => ({ module, cid, source: "built" as const })),
    ...published.map((p) => ({ module: p.name, cid: p.cid, source: "published" as const, chainId: p.chainId })),
  ];
  const listed: ListedModule[] = [];
  for (const entry of entries) {
    const manifest = await readModuleManifest({ cid: entry.cid, blockstore }).catch(() => undefined);
    listed.push({ ...entry, engine: manifest?.engine, description: manifest?.description });
  }
  return listed;
}
