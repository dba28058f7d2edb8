// The on-chain service registry: where a solver, a resource provider, a mediator or a job creator says it can be
// reached. Discovery only: whatever is fetched from a registered URL is verified against hashes on chain, so a
// wrong or stale entry costs its owner, never the one who reads it.
import type { Address } from "viem";
import type { ChainConnection } from "./chainConnection.ts";
import { serviceRegistryAbi } from "./generated/contracts.ts";
import { reportTransaction, waitAndReport } from "./observeTransactions.ts";

/** Mirrors IServiceRegistry.Role. */
export const ServiceRole = { Solver: 0, ResourceProvider: 1, Mediator: 2, JobCreator: 3 } as const;
export type ServiceRole = (typeof ServiceRole)[keyof typeof ServiceRole];

export interface ServiceUrlParameters {
  service: Address;
  role: ServiceRole;
}

/** The URL `service` registered for `role`; undefined when it registered none. */
export async function serviceUrlOf(conn: ChainConnection, { service, role }: ServiceUrlParameters): Promise<string | undefined> {
  const url = await conn.publicClient.readContract({
    address: conn.network.contracts.serviceRegistry,
    abi: serviceRegistryAbi,
    functionName: "serviceUrl",
    args: [service, role],
  });
  return url === "" ? undefined : url;
}

export interface RegisterServiceParameters {
  role: ServiceRole;
  url: string;
}

/** Registers this connection's address for `role` at `url`, unless it already is; says whether it sent a transaction. */
export async function registerService(conn: ChainConnection, { role, url }: RegisterServiceParameters): Promise<boolean> {
  if ((await serviceUrlOf(conn, { service: conn.address, role })) === url) return false;
  const tx = { contract: "serviceRegistry", method: "register" } as const;
  const hash = await conn.wallet
    .writeContract({ address: conn.network.contracts.serviceRegistry, abi: serviceRegistryAbi, functionName: "register", args: [role, url] })
    .catch((error: unknown) => {
      reportTransaction(conn, { ...tx, status: "failed" });
      throw error;
    });
  const receipt = await waitAndReport(conn, hash, tx);
  if (receipt.status !== "success") throw new Error(`registering ${url} in the service registry reverted (${hash})`);
  return true;
}
