// NAME:VERSION, CID or folder to the module's id and manifest, for a job creator that must sign the module id and
// check the inputs against the manifest before it offers anything.
import { join } from "node:path";
import type { Hex } from "viem";
import { moduleIdOf, type ModuleId } from "../core/moduleId.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { loadModule } from "./loadModule.ts";
import { readShippedCatalog, type ModuleCatalog } from "./moduleCatalog.ts";
import { resolveModuleRef } from "./resolveModuleRef.ts";

export interface ModuleResolverParameters {
  blockstore: Blockstore;
  workDir: string;
  /** Consulted before the shipped catalog. */
  catalogs?: ModuleCatalog[];
  registry?: (name: string, version: string) => Promise<Hex | undefined>;
}

export type ModuleResolver = (ref: string) => Promise<{ id: ModuleId; manifest: ModuleManifest }>;

export function createModuleResolver(params: ModuleResolverParameters): ModuleResolver {
  const catalogs = [...(params.catalogs ?? []), readShippedCatalog()];
  const cache = new Map<string, Promise<{ id: ModuleId; manifest: ModuleManifest }>>();
  return (ref) => {
    let found = cache.get(ref);
    if (!found) {
      found = (async () => {
        const { cid } = await resolveModuleRef({ ref, blockstore: params.blockstore, catalogs, registry: params.registry });
        const loaded = await loadModule({ cid, blockstore: params.blockstore, artifactsDir: join(params.workDir, "artifacts") });
        return { id: await moduleIdOf(loaded.manifest), manifest: loaded.manifest };
      })();
      // Folders change under their author: only names and CIDs are cached.
      if (!ref.startsWith(".") && !ref.startsWith("/")) cache.set(ref, found);
      found.catch(() => cache.delete(ref));
    }
    return found;
  };
}
