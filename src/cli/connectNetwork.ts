// As whom a command talks to its network (findNetwork.ts says which network): a dev chain falls back to the
// well-known dev account of the command's role; any other chain needs a private key.
import type { Hex } from "viem";
import { connectChain, type ChainConnection } from "../chain/chainConnection.ts";
import { devPrivateKey } from "../chain/devAccounts.ts";
import { DEV_CHAIN_ID } from "../devnet/startDevChain.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import type { NetworkInfo } from "../core/network.ts";
import type { CliConfig } from "./config.ts";

export { findNetwork, NoNetworkError, requireNetwork, solverUrlOf } from "./findNetwork.ts";

/** The role's chain connection: the configured key, or on a dev chain the role's dev account. */
export function connectAs(network: NetworkInfo, config: CliConfig, devAccountIndex: number): ChainConnection {
  const privateKey: Hex | undefined = config.privateKey ?? (network.chainId === DEV_CHAIN_ID ? devPrivateKey(devAccountIndex) : undefined);
  if (!privateKey) {
    throw new InvalidArgumentError({ argument: "--private-key", message: `network ${network.name} needs a key`, hint: "set LILYPAD_PRIVATE_KEY or --private-key" });
  }
  return connectChain({ network, privateKey });
}

