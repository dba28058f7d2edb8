// Finding the network's solver when the network file names none: the solvers registered in the service registry,
// asked in turn, and the first whose health says it serves this chain and this market, as the address that
// registered it. A solver cannot take a party's money (every deal is signed by both parties and settled by the
// market), so an open registry is a safe place to find one; mediators, who rule on money, come only from the
// network file.
import { createPublicClient, isAddressEqual } from "viem";
import { API_PREFIX, solverHealthSchema } from "../core/api/solverProtocol.ts";
import type { NetworkInfo } from "../core/network.ts";
import { chainOf } from "./chainConnection.ts";
import { serviceRegistryAbi } from "./generated/contracts.ts";
import { jsonRpcHttpTransport } from "./jsonRpcHttpTransport.ts";
import { ServiceRole } from "./serviceRegistry.ts";

const HEALTH_TIMEOUT_MS = 3_000;

/** The URL of a registered solver that answers for this network; undefined when none does. */
export async function discoverSolver(network: NetworkInfo): Promise<string | undefined> {
  const publicClient = createPublicClient({ chain: chainOf(network), transport: jsonRpcHttpTransport(network.rpcUrl) });
  const [services, urls] = await publicClient.readContract({
    address: network.contracts.serviceRegistry,
    abi: serviceRegistryAbi,
    functionName: "servicesOf",
    args: [ServiceRole.Solver],
  });
  // The latest registrations first: a solver that moved re-registered.
  for (let i = services.length - 1; i >= 0; i--) {
    const url = urls[i]!.replace(/\/+$/, "");
    try {
      const response = await fetch(`${url}${API_PREFIX}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      const health = solverHealthSchema.parse(await response.json());
      if (health.chainId === network.chainId && isAddressEqual(health.market, network.contracts.market) && isAddressEqual(health.solver, services[i]!)) return url;
    } catch {
      // Gone, or not a solver of this network: the next one.
    }
  }
  return undefined;
}
