// A module name, CID or folder to the module's id and manifest, for a job creator that must sign the module id and
// check the inputs against the manifest before it offers anything. Names resolve as resolveModuleRef.ts says:
// bare names to the shipped modules, the user's own and governance's, `0x<publisher>/NAME:VERSION` to that
// publisher's namespace; and a module found by name must bear it.
import { join } from "node:path";
import { moduleIdOf, type ModuleId } from "../core/moduleId.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { CID } from "multiformats/cid";
import { fetchModule } from "./fetchModule.ts";
import { loadModule } from "./loadModule.ts";
import { isShippedModule } from "./moduleCatalog.ts";
import type { ModuleCatalog } from "./moduleCatalog.ts";
import { checkModuleName } from "./moduleOrigin.ts";
import { resolveModuleRef, type ModuleRegistryLookup, type ResolveModuleRefResult } from "./resolveModuleRef.ts";

export interface ModuleResolverParameters {
  blockstore: Blockstore;
  workDir: string;
  /** The user's own catalogs, consulted after the shipped catalog (whose names they never shadow). */
  catalogs?: ModuleCatalog[];
  /** The on-chain registry: bare names governance approved, and every publisher's namespace. */
  registry?: ModuleRegistryLookup;
  /** Where a module this store lacks is fetched from, checked block by block (e.g. the network's solver). */
  stores?: readonly string[];
  /** The environment a folder's rebuild runs its compiler with (PATH), and who hears why a folder is rebuilt. */
  env?: NodeJS.ProcessEnv;
  onRebuild?: (reason: string) => void;
}

export interface ResolvedModule {
  id: ModuleId;
  manifest: ModuleManifest;
  /** How the reference was resolved, and by which name: describeModuleOrigin says whose module it is. */
  origin: ResolveModuleRefResult;
}

export type ModuleResolver = (ref: string) => Promise<ResolvedModule>;

export function createModuleResolver(params: ModuleResolverParameters): ModuleResolver {
  const cache = new Map<string, Promise<ResolvedModule>>();
  return (ref) => {
    let found = cache.get(ref);
    if (!found) {
      found = (async () => {
        const origin = await resolveModuleRef({
          ref,
          blockstore: params.blockstore,
          catalogs: params.catalogs ?? [],
          registry: params.registry,
          env: params.env,
          onRebuild: params.onRebuild,
        });
        if (params.stores?.length && !isShippedModule(origin.cid)) {
          const stores = params.stores;
          await fetchModule({ cid: CID.parse(origin.cid), blockstore: params.blockstore, sources: async () => ({ stores }) });
        }
        const loaded = await loadModule({ cid: origin.cid, blockstore: params.blockstore, artifactsDir: join(params.workDir, "artifacts") });
        checkModuleName(origin, loaded.manifest);
        return { id: await moduleIdOf(loaded.manifest), manifest: loaded.manifest, origin };
      })();
      // Folders change under their author: only names and CIDs are cached.
      if (!ref.startsWith(".") && !ref.startsWith("/")) cache.set(ref, found);
      found.catch(() => cache.delete(ref));
    }
    return found;
  };
}
