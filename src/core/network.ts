import { z } from "zod";
import { addressSchema } from "./primitives.ts";

/** The dev chain's id (anvil's and Hardhat's): a network with it is a devnet, whose services listen on loopback. */
export const DEV_CHAIN_ID = 31337;

/** Where a Lilypad network lives: written by the dev chain, read by every role, selectable with --network. */
export const networkSchema = z.object({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
  /** Block the contracts were deployed in: indexers start here. */
  deployBlock: z.number().int().nonnegative(),
  contracts: z.object({
    token: addressSchema,
    market: addressSchema,
    serviceRegistry: addressSchema,
    jobCreator: addressSchema,
  }),
  /** The solver's HTTP API (the devnet writes it). */
  solverUrl: z.url().optional(),
  /** Mediators the network's parties trust by default. */
  mediators: z.array(addressSchema).max(4).optional(),
});
export type NetworkInfo = z.output<typeof networkSchema>;
export type NetworkContracts = NetworkInfo["contracts"];
