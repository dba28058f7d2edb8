// One role's link to the chain: a public client for reads and logs, and a wallet that signs as the role.
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { createNonceManager, jsonRpc } from "viem/nonce";
import type { NetworkInfo } from "../core/network.ts";
import { jsonRpcHttpTransport } from "./jsonRpcHttpTransport.ts";
import { localAccount } from "./localAccount.ts";

export interface ChainConnection {
  network: NetworkInfo;
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, LocalAccount>;
  account: LocalAccount;
  address: Address;
  /**
   * Told of every transaction sent through this connection once it is mined or has failed (a role's metrics). On
   * the connection because every chain action already takes it: a role observes its own transactions by wrapping
   * the connection it was given (withTransactionObserver), with no global and no extra parameter on each action.
   */
  onTransaction?: TransactionObserver;
}

/** Which contract a transaction called. */
export type TransactionContract = "market" | "jobCreator" | "serviceRegistry" | "token";

/**
 * success: mined and succeeded; reverted: mined and reverted (its gas spent); failed: never mined (refused before it
 * was sent, or no receipt came).
 */
export type TransactionStatus = "success" | "reverted" | "failed";

/** A transaction a role sent, as its observer hears of it. */
export interface SentTransaction {
  contract: TransactionContract;
  /** The contract function called, e.g. "postResults". */
  method: string;
  status: TransactionStatus;
  /** Gas used, for a transaction that was mined. */
  gasUsed?: bigint;
}

export type TransactionObserver = (tx: SentTransaction) => void;

export interface ConnectChainParameters {
  network: NetworkInfo;
  /** The role's key. Its nonces are tracked locally, so a role may have several transactions in flight. */
  privateKey: Hex;
  /** Defaults to HTTP on the network's rpcUrl; the embedded network passes its dev chain's transport. */
  transport?: Transport;
  /** How often receipts and logs are polled (ms); the devnet mines at once, so short is cheap. */
  pollingInterval?: number;
}

export function connectChain(params: ConnectChainParameters): ChainConnection {
  const { network } = params;
  const chain = chainOf(network);
  const transport = params.transport ?? jsonRpcHttpTransport(network.rpcUrl);
  const pollingInterval = params.pollingInterval ?? (network.chainId === 31337 ? 20 : 1000);
  // One nonce manager per connection: viem's shared one is keyed by address and chain id, so a second dev chain
  // in the same process (same id, fresh state) would inherit the first one's nonces.
  const account = localAccount(params.privateKey, { nonceManager: createNonceManager({ source: jsonRpc() }) });
  const publicClient = createPublicClient({ chain, transport, pollingInterval, cacheTime: 0 });
  const wallet = createWalletClient({ chain, transport, account, pollingInterval, cacheTime: 0 });
  return { network, chain, publicClient, wallet, account, address: account.address };
}

export function chainOf(network: NetworkInfo): Chain {
  return defineChain({
    id: network.chainId,
    name: network.name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [network.rpcUrl] } },
  });
}

export type AnyWallet = WalletClient<Transport, Chain, Account>;
