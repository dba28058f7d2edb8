// Where a deal's parties can be reached, found from the chain alone: the provider and the creator named in the
// deal, and the solver that sent the transaction opening it, each at the URL it registered in the service registry.
import { getAbiItem, getAddress, type Address, type Hex } from "viem";
import type { ChainConnection } from "./chainConnection.ts";
import { lilypadMarketAbi } from "./generated/contracts.ts";
import { ServiceRole, serviceUrlOf } from "./serviceRegistry.ts";

export interface DealServicesParameters {
  dealId: Hex;
  provider: Address;
  creator: Address;
}

export interface DealServices {
  /** The provider's registered URL: it serves the deal's result, inputs and module. */
  provider?: string;
  /** The creator's registered URL, if it runs a server (a gateway, an app's own store). */
  creator?: string;
  /** The solver that opened the deal, and its registered URL: its job record holds the inputs. */
  solver?: { address: Address; url: string };
}

/** Looks every party up; one that registered nothing (or cannot be read) is left out. */
export async function dealServicesOf(conn: ChainConnection, { dealId, provider, creator }: DealServicesParameters): Promise<DealServices> {
  const url = (service: Address, role: ServiceRole) => serviceUrlOf(conn, { service, role }).catch(() => undefined);
  const [providerUrl, creatorUrl, solver] = await Promise.all([url(provider, ServiceRole.ResourceProvider), url(creator, ServiceRole.JobCreator), openerOf(conn, dealId)]);
  const solverUrl = solver === undefined ? undefined : await url(solver, ServiceRole.Solver);
  return {
    ...(providerUrl === undefined ? {} : { provider: providerUrl }),
    ...(creatorUrl === undefined ? {} : { creator: creatorUrl }),
    ...(solver === undefined || solverUrl === undefined ? {} : { solver: { address: solver, url: solverUrl } }),
  };
}

/** Who sent the transaction that opened the deal (its solver); undefined when it cannot be read. */
async function openerOf(conn: ChainConnection, dealId: Hex): Promise<Address | undefined> {
  try {
    const [opened] = await conn.publicClient.getLogs({
      address: conn.network.contracts.market,
      event: getAbiItem({ abi: lilypadMarketAbi, name: "DealOpened" }),
      args: { dealId },
      fromBlock: BigInt(conn.network.deployBlock),
    });
    if (!opened?.transactionHash) return undefined;
    return getAddress((await conn.publicClient.getTransaction({ hash: opened.transactionHash })).from);
  } catch {
    return undefined;
  }
}
