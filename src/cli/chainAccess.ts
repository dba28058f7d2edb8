// What deploy and faucet need before their first transaction: a valid key (--private-key, LILYPAD_PRIVATE_KEY, the
// config file, or WEB3_PRIVATE_KEY as other Lilypad tools name it) and a chain that answers, with its id.
import { BaseError, createPublicClient, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { RpcUnreachableError } from "../chain/chainErrors.ts";
import { jsonRpcHttpTransport } from "../chain/jsonRpcHttpTransport.ts";
import { localAccount } from "../chain/localAccount.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import type { CliConfig } from "./config.ts";

/** The key the config names (flags, LILYPAD_PRIVATE_KEY, the file, or WEB3_PRIVATE_KEY); checks it is a usable key. */
export function signingKeyOf(config: CliConfig): Hex | undefined {
  const key: Hex | undefined = config.privateKey;
  if (!key) return undefined;
  try {
    localAccount(key);
  } catch (cause) {
    throw new InvalidArgumentError({ argument: "--private-key", message: "the private key is not a valid secp256k1 key (zero, or not below the curve's order)", cause });
  }
  return key;
}

export interface ProbedChain {
  publicClient: PublicClient<Transport, Chain | undefined>;
  chainId: number;
}

/** A public client on `url` once it has answered eth_chainId; RpcUnreachableError when it does not within 10 s. */
export async function probeChain(url: string): Promise<ProbedChain> {
  const publicClient = createPublicClient({ transport: jsonRpcHttpTransport(url, { retryCount: 0, timeoutMs: 10_000 }), cacheTime: 0 });
  try {
    const chainId = await publicClient.getChainId();
    // Later calls may retry as roles' calls do: the chain answered once.
    return { publicClient: createPublicClient({ transport: jsonRpcHttpTransport(url), cacheTime: 0, pollingInterval: 500 }), chainId };
  } catch (cause) {
    const said = cause instanceof BaseError ? cause.details || cause.shortMessage : cause instanceof Error ? cause.message : String(cause);
    const reason = said.startsWith(`${url}: `) ? said.slice(url.length + 2) : said;
    throw new RpcUnreachableError({ url, reason, cause });
  }
}
