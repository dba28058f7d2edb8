// "lilypad/devnet": a whole network on this machine for development and tests (the dev chain with the contracts
// deployed, a solver, resource providers and a mediator), and the well-known dev accounts that it funds.
// Kept apart from the SDK ("lilypad") because it loads the roles, the sandbox and the chain node.
export { startNetwork, DEFAULT_PROVIDER_PRICING, type EmbeddedNetwork, type ProviderSpec, type StartNetworkParameters } from "./startNetwork.ts";
export { startDevChain, DEV_BLOCK_TIME, DEV_CHAIN_ID, DEV_FUNDING, type DevChain, type DevChainProgress, type StartDevChainParameters } from "./startDevChain.ts";
export { DEV_ACCOUNT_COUNT, DEV_MNEMONIC, DevAccountIndex, devAccount, devPrivateKey } from "../chain/devAccounts.ts";
