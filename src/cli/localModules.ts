// What the module commands share: the user's block store, catalogs and work folder under $LILYPAD_HOME.
import { existsSync, readFileSync } from "node:fs";
import { createPublicClient, http, type Hex } from "viem";
import { resolveModuleOnChain } from "../chain/moduleRegistry.ts";
import { networkSchema } from "../core/network.ts";
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
  /** Looks NAME:VERSION up in the on-chain registry of the local devnet, when one is configured. */
  registry: (name: string, version: string) => Promise<Hex | undefined>;
}

export async function localModules(ctx: CliContext): Promise<LocalModules> {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  return {
    blockstore: await createBlockstore({ path: paths.blocksDir }),
    catalogs: [await readCatalog(paths.catalogFile), readShippedCatalog()],
    catalogFile: paths.catalogFile,
    workDir: paths.workDir,
    registry: registryOf(paths.devnetNetworkFile),
  };
}

/** A chain that is configured but not running is not an error here: the name is then simply unknown. */
function registryOf(networkFile: string): LocalModules["registry"] {
  return async (name, version) => {
    if (!existsSync(networkFile)) return undefined;
    try {
      const network = networkSchema.parse(JSON.parse(readFileSync(networkFile, "utf8")));
      const publicClient = createPublicClient({ transport: http(network.rpcUrl, { retryCount: 0, timeout: 2000 }) });
      return await resolveModuleOnChain({ publicClient, market: network.contracts.market, name, version });
    } catch {
      return undefined;
    }
  };
}
