import { z } from "zod";
import { addressSchema } from "./primitives.ts";

/** The dev chain's id (anvil's and Hardhat's): a network with it is a devnet, whose services listen on loopback. */
export const DEV_CHAIN_ID = 31337;

/** The most confirmations a network may ask for (a minute or more of blocks on any chain worth following). */
export const MAX_CONFIRMATIONS = 64;

const networkFields = {
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
  /** The solver's HTTP API (the devnet writes it). */
  solverUrl: z.url().optional(),
  /** Mediators the network's parties trust by default. */
  mediators: z.array(addressSchema).max(4).optional(),
  /**
   * Blocks that must follow a block before a role acts on it: receipts are awaited until that many blocks are on
   * top of the transaction's, and events are read only up to the head minus this many. Absent means 0 (the
   * devnet: act on the newest block); a chain whose last blocks can be reorganised wants 1 or more.
   */
  confirmations: z.number().int().min(0).max(MAX_CONFIRMATIONS).optional(),
} as const;

const contractsSchema = z.object({
  token: addressSchema,
  market: addressSchema,
  serviceRegistry: addressSchema,
  jobCreator: addressSchema,
});

/** Where a Lilypad network lives: written by the dev chain or `lilypad deploy`, read by every role, selectable with --network. */
export const networkSchema = z.object({
  ...networkFields,
  /** Block the contracts were deployed in: indexers start here. */
  deployBlock: z.number().int().nonnegative(),
  contracts: contractsSchema,
});
export type NetworkInfo = z.output<typeof networkSchema>;
export type NetworkContracts = NetworkInfo["contracts"];

/**
 * A network file as it may be shipped before anything is deployed: the chain (id, RPC URL, confirmations) with
 * `contracts` null or absent, and a note saying what to do. `lilypad deploy --network NAME` fills it in; every
 * other command refuses it (NetworkNotDeployedError).
 */
export const networkFileSchema = z.object({
  ...networkFields,
  deployBlock: z.number().int().nonnegative().optional(),
  contracts: contractsSchema.nullable().optional(),
  /** For people reading the file, e.g. "not deployed yet: run lilypad deploy --network arbitrum-sepolia". */
  note: z.string().optional(),
});
export type NetworkFile = z.output<typeof networkFileSchema>;

/** The network file's confirmations, 0 when it names none. */
export function confirmationsOf(network: Pick<NetworkInfo, "confirmations">): number {
  return network.confirmations ?? 0;
}
