// A deal names its module by a digest; people know it as `cowsay:v1` and by its CID. This turns one into the
// others: the CID from the digest, and the name from the module's own manifest (the shipped modules' and the user's
// catalogs first, which cost nothing; else the manifest from the local store or the solver, verified by its CID).
import type { Hex } from "viem";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { ModuleEngine } from "../core/moduleManifest.ts";
import { readDealManifest } from "../job-creator/readDealManifest.ts";
import { readShippedCatalog, type ModuleCatalog } from "../modules/moduleCatalog.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";

export interface ModuleLabel {
  /** NAME:VERSION, when the manifest could be read (or a catalog names it). */
  name?: string;
  cid: string;
  /** The module's engine, when its manifest could be read: only wasm runs are metered. */
  engine?: ModuleEngine;
}

export interface ModuleLabelsParameters {
  blockstore: Blockstore;
  workDir: string;
  /** The user's catalogs (NAME:VERSION to CID). */
  catalogs: readonly ModuleCatalog[];
  /** Where to fetch a manifest this machine does not hold (the solver keeps the modules of jobs it took). */
  stores: readonly string[];
}

/** Labels modules by their on-chain id, each looked up once. */
export function moduleLabels(params: ModuleLabelsParameters): (moduleId: Hex) => Promise<ModuleLabel> {
  const byCid = new Map<string, string>();
  for (const catalog of [...params.catalogs, readShippedCatalog()]) for (const [name, cid] of Object.entries(catalog)) byCid.set(cid, name);
  const cache = new Map<Hex, Promise<ModuleLabel>>();
  return (moduleId) => {
    let label = cache.get(moduleId);
    if (!label) {
      const cid = moduleCidOfDigest(moduleId);
      const known = byCid.get(cid);
      label = readDealManifest({ moduleId, blockstore: params.blockstore, workDir: params.workDir, stores: known ? [] : params.stores }).then(
        (manifest) => ({ name: `${manifest.name}:${manifest.version}`, cid, engine: manifest.engine }),
        // A module nobody serves any more is still named, by a catalog's name or by its CID.
        () => (known ? { name: known, cid } : { cid }),
      );
      cache.set(moduleId, label);
    }
    return label;
  };
}

/** `cowsay:v1`, or the CID when the name is unknown. */
export function moduleText(label: ModuleLabel): string {
  return label.name ?? label.cid;
}
