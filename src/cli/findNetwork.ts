// Which network a command talks to: --network NAME|FILE, else a running local devnet. Light to load (no chain
// client) so that a command can look for its network before it decides whether it needs one.
import { existsSync } from "node:fs";
import { LilypadError } from "../core/errors.ts";
import type { NetworkInfo } from "../core/network.ts";
import { lilypadPaths } from "../core/paths.ts";
import type { CliConfig } from "./config.ts";
import type { CliContext } from "./context.ts";
import { readDeployedNetworkFile, resolveNetworkFile } from "./networkFiles.ts";

export class NoNetworkError extends LilypadError {
  constructor(message: string, hint: string) {
    super({ code: "NO_NETWORK", message, hint });
    this.name = "NoNetworkError";
  }
}

/** The configured network, or undefined when none is named and no devnet is running. */
export async function findNetwork(ctx: CliContext, config: CliConfig): Promise<NetworkInfo | undefined> {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  let network: NetworkInfo | undefined;
  if (config.network) {
    network = readDeployedNetworkFile(resolveNetworkFile(ctx, config.network));
  } else if (existsSync(paths.devnetNetworkFile)) {
    const devnet = readDeployedNetworkFile(paths.devnetNetworkFile);
    // A devnet file outlives its devnet: use it only if its chain and solver answer.
    if (devnet.solverUrl && (await reachable(devnet))) network = devnet;
  }
  if (!network) return undefined;
  network = { ...network, rpcUrl: config.rpcUrl ?? network.rpcUrl, solverUrl: config.solverUrl ?? network.solverUrl };
  // A network file may name only the chain: its solver is then found in the service registry.
  if (!network.solverUrl) network = { ...network, solverUrl: await (await import("../chain/discoverSolver.ts")).discoverSolver(network).catch(() => undefined) };
  return network;
}

export async function requireNetwork(ctx: CliContext, config: CliConfig): Promise<NetworkInfo> {
  const network = await findNetwork(ctx, config);
  if (!network) throw new NoNetworkError("no network is running or configured", "start a local one with 'lilypad devnet', or pass --network NAME|FILE");
  return network;
}

export function solverUrlOf(network: NetworkInfo): string {
  if (!network.solverUrl) {
    throw new NoNetworkError(`network ${network.name} names no solver, and none registered on its chain answers`, "set --solver-url or LILYPAD_SOLVER_URL");
  }
  return network.solverUrl;
}

async function reachable(network: NetworkInfo): Promise<boolean> {
  const probe = async (url: string, init?: RequestInit) => {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(1500) });
      return response.ok;
    } catch {
      return false;
    }
  };
  const [chain, solver] = await Promise.all([
    probe(network.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' }),
    probe(`${network.solverUrl}/api/v1/health`),
  ]);
  return chain && solver;
}
