// What the module commands share: the user's block store, catalogs and work folder under $LILYPAD_HOME.
import { lilypadPaths } from "../core/paths.ts";
import { readCatalog, readShippedCatalog, type ModuleCatalog } from "../modules/moduleCatalog.ts";
import { createBlockstore } from "../storage/createBlockstore.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import type { CliContext } from "./context.ts";

export interface LocalModules {
  blockstore: Blockstore;
  catalogs: ModuleCatalog[];
  catalogFile: string;
  workDir: string;
}

export async function localModules(ctx: CliContext): Promise<LocalModules> {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  return {
    blockstore: await createBlockstore({ path: paths.blocksDir }),
    catalogs: [await readCatalog(paths.catalogFile), readShippedCatalog()],
    catalogFile: paths.catalogFile,
    workDir: paths.workDir,
  };
}
