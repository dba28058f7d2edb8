// What the module commands share: the user's block store, catalogs and work folder under $LILYPAD_HOME.
import { existsSync, readFileSync } from "node:fs";
import { networkSchema } from "../core/network.ts";
import { lilypadPaths } from "../core/paths.ts";
import { readCatalog, type ModuleCatalog } from "../modules/moduleCatalog.ts";
import type { ModuleRegistryLookup } from "../modules/resolveModuleRef.ts";
import { createBlockstore } from "../storage/createBlockstore.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import type { CliContext } from "./context.ts";

export interface LocalModules {
  blockstore: Blockstore;
  /** The user's own catalog (what they built or published); the shipped catalog is consulted before it. */
  catalogs: ModuleCatalog[];
  catalogFile: string;
  workDir: string;
  /** The on-chain registry of the local devnet, when one is configured. */
  registry: ModuleRegistryLookup | undefined;
}

export async function localModules(ctx: CliContext): Promise<LocalModules> {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  return {
    blockstore: await createBlockstore({ path: paths.blocksDir }),
    catalogs: [await readCatalog(paths.catalogFile)],
    catalogFile: paths.catalogFile,
    workDir: paths.workDir,
    registry: registryOf(paths.devnetNetworkFile),
  };
}

/** The devnet's registry, when its network file exists; a lookup throws when the chain does not answer. */
function registryOf(networkFile: string): LocalModules["registry"] {
  if (!existsSync(networkFile)) return undefined;
  return async ({ publisher, name, version }) => {
    // Loaded on a lookup only: a command that never asks the registry does not pay for the chain client.
    const [{ createPublicClient, http }, { resolveModuleOnChain }] = await Promise.all([import("viem"), import("../chain/moduleRegistry.ts")]);
    const network = networkSchema.parse(JSON.parse(readFileSync(networkFile, "utf8")));
    const publicClient = createPublicClient({ transport: http(network.rpcUrl, { retryCount: 0, timeout: 2000 }) });
    return await resolveModuleOnChain({ publicClient, market: network.contracts.market, publisher, name, version });
  };
}
