// What deploy and faucet need before their first transaction: a valid key (--private-key, LILYPAD_PRIVATE_KEY, the
// config file, or WEB3_PRIVATE_KEY as other Lilypad tools name it) and a chain that answers, with its id.
import { BaseError, createPublicClient, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { z } from "zod";
import { RpcUnreachableError } from "../chain/chainErrors.ts";
import { jsonRpcHttpTransport } from "../chain/jsonRpcHttpTransport.ts";
import { localAccount } from "../chain/localAccount.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import type { CliConfig } from "./config.ts";
import type { CliContext } from "./context.ts";

const keyText = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be 0x followed by 64 hex digits" });

/** The key the config names, else WEB3_PRIVATE_KEY; undefined when neither is set. Checks it is a usable key. */
export function signingKeyOf(ctx: Pick<CliContext, "env">, config: CliConfig): Hex | undefined {
  let key: Hex | undefined = config.privateKey;
  const web3 = ctx.env.WEB3_PRIVATE_KEY?.trim();
  if (!key && web3) {
    const parsed = keyText.safeParse(web3.startsWith("0x") ? web3 : `0x${web3}`);
    if (!parsed.success) throw new InvalidArgumentError({ argument: "--private-key", message: `WEB3_PRIVATE_KEY ${parsed.error.issues[0]?.message ?? "is invalid"}` });
    key = parsed.data.toLowerCase() as Hex;
  }
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
