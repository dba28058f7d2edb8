// What the module commands share: the user's block store, catalogs and work folder under $LILYPAD_HOME.
import { existsSync } from "node:fs";
import type { NetworkInfo } from "../core/network.ts";
import { lilypadPaths } from "../core/paths.ts";
import { readCatalog, type ModuleCatalog } from "../modules/moduleCatalog.ts";
import { createModuleResolver, type ModuleResolver } from "../modules/moduleResolver.ts";
import type { ModuleRegistryLookup } from "../modules/resolveModuleRef.ts";
import { createBlockstore } from "../storage/createBlockstore.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import type { CliConfig } from "./config.ts";
import type { CliContext } from "./context.ts";
import { readDeployedNetworkFile, resolveNetworkFile } from "./networkFiles.ts";

export interface LocalModules {
  blockstore: Blockstore;
  /** The user's own catalog (what they built or published); the shipped catalog is consulted before it. */
  catalogs: ModuleCatalog[];
  catalogFile: string;
  workDir: string;
  /** The on-chain registry of the command's network (or the local devnet's), when there is one. */
  registry: ModuleRegistryLookup | undefined;
  /** Where a module this machine lacks is fetched from: that network's solver. */
  stores: string[];
}

/**
 * The user's modules, and where names and missing modules are looked up: the registry and solver of the network the
 * command was given (--network, LILYPAD_NETWORK or the config file), else of the local devnet when its file exists.
 */
export async function localModules(ctx: CliContext, config: Pick<CliConfig, "network" | "rpcUrl" | "solverUrl"> = {}): Promise<LocalModules> {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const network = config.network ? readDeployedNetworkFile(resolveNetworkFile(ctx, config.network)) : devnetOf(paths.devnetNetworkFile);
  const solverUrl = config.solverUrl ?? network?.solverUrl;
  return {
    blockstore: await createBlockstore({ path: paths.blocksDir }),
    catalogs: [await readCatalog(paths.catalogFile)],
    catalogFile: paths.catalogFile,
    workDir: paths.workDir,
    registry: network ? registryOf({ ...network, rpcUrl: config.rpcUrl ?? network.rpcUrl }) : undefined,
    stores: solverUrl ? [solverUrl] : [],
  };
}

/**
 * A resolver over the user's modules and the network's registry and solver (a published module this machine never
 * saw is fetched from there, checked block by block); a folder whose sources changed is rebuilt, saying so under
 * the name the user `typed`.
 */
export function localResolver(ctx: CliContext, local: LocalModules, typed: string): ModuleResolver {
  return createModuleResolver({
    blockstore: local.blockstore,
    workDir: local.workDir,
    catalogs: local.catalogs,
    registry: local.registry,
    stores: local.stores,
    env: ctx.env,
    onRebuild: (reason) => ctx.stderr(`rebuilding ${typed} (${reason})…\n`),
  });
}

/** The local devnet, when its file exists and reads (a stale or broken one is no reason to refuse local work). */
function devnetOf(file: string): NetworkInfo | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readDeployedNetworkFile(file);
  } catch {
    return undefined;
  }
}

/** A network's registry; a lookup throws when its chain does not answer. */
function registryOf(network: NetworkInfo): ModuleRegistryLookup {
  return async ({ publisher, name, version }) => {
    // Loaded on a lookup only: a command that never asks the registry does not pay for the chain client.
    const [{ createPublicClient, http }, { resolveModuleOnChain }] = await Promise.all([import("viem"), import("../chain/moduleRegistry.ts")]);
    const publicClient = createPublicClient({ transport: http(network.rpcUrl, { retryCount: 0, timeout: 2000 }) });
    return await resolveModuleOnChain({ publicClient, market: network.contracts.market, publisher, name, version });
  };
}
