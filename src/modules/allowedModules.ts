// A provider's list of the modules it runs, as its operator writes it: module ids (0x digests), module CIDs, or
// names (`cowsay:v1`, `0x<publisher>/sheep:v1`) resolved as a job creator's would be, once, at start. A name that
// does not resolve is an error then, not a module silently never run.
import { bytesToHex, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { InvalidArgumentError } from "../core/errors.ts";
import { bytes32Schema } from "../core/primitives.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import type { ModuleCatalog } from "./moduleCatalog.ts";
import { isFolderRef, resolveModuleRef, type ModuleRegistryLookup } from "./resolveModuleRef.ts";

export interface ResolveAllowedModulesParameters {
  entries: readonly string[];
  blockstore: Blockstore;
  catalogs: ModuleCatalog[];
  registry?: ModuleRegistryLookup;
}

/** The module ids (digests of the modules' CIDs) the entries name, in order, without repeats. */
export async function resolveAllowedModules({ entries, blockstore, catalogs, registry }: ResolveAllowedModulesParameters): Promise<Hex[]> {
  const ids: Hex[] = [];
  for (const entry of entries) {
    let id: Hex;
    if (bytes32Schema.safeParse(entry).success) id = entry.toLowerCase() as Hex;
    else {
      if (isFolderRef(entry)) throw new InvalidArgumentError({ argument: "--modules", message: `${entry} is a folder: name a module by NAME:VERSION, CID or id` });
      const found = await resolveModuleRef({ ref: entry, blockstore, catalogs, registry }).catch((error: unknown) => {
        throw new InvalidArgumentError({ argument: "--modules", message: `${entry}: ${error instanceof Error ? error.message : String(error)}` });
      });
      id = bytesToHex(CID.parse(found.cid).multihash.digest);
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}
