// The job creator's SDK client as the CLI builds it (`run`, `jobs get`): the user's block store, catalogs and the
// chain's registry to resolve modules, the network's solver as a store for modules this machine
// never saw, and (on a devnet) escrow topped up for the job.
import { parseEther } from "viem";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { moduleRegistryOf } from "../chain/moduleRegistry.ts";
import type { NetworkInfo } from "../core/network.ts";
import { DEV_CHAIN_ID } from "../devnet/startDevChain.ts";
import { LilypadClient } from "../job-creator/lilypadClient.ts";
import { createModuleResolver, type ModuleResolver, type ResolvedModule } from "../modules/moduleResolver.ts";
import type { LocalModules } from "./localModules.ts";

export interface CliJobClientParameters {
  conn: ChainConnection;
  network: NetworkInfo & { solverUrl: string };
  local: LocalModules;
  /** Hears each module the client resolves (to say whose module runs). */
  onModule?: (resolved: ResolvedModule) => void;
  /** Resolves modules instead of the default resolver (e.g. `run`'s, which already resolved the job's module). */
  resolveModule?: ModuleResolver;
}

export function cliJobClient({ conn, network, local, onModule, resolveModule }: CliJobClientParameters): LilypadClient {
  const resolver =
    resolveModule ??
    createModuleResolver({
      blockstore: local.blockstore,
      workDir: local.workDir,
      catalogs: local.catalogs,
      registry: moduleRegistryOf(conn),
      stores: [network.solverUrl],
    });
  return new LilypadClient({
    conn,
    solverUrl: network.solverUrl,
    blockstore: local.blockstore,
    readLocalFiles: true,
    resolveModule: async (ref) => {
      const resolved = await resolver(ref);
      onModule?.(resolved);
      return resolved;
    },
    mediators: network.mediators ?? [],
    keepInEscrow: network.chainId === DEV_CHAIN_ID ? parseEther("100") : 0n,
  });
}
