/**
 * Chains whose currency is worth money, by id: the faucet refuses them. Not every mainnet there is, but those a
 * Lilypad network may plausibly be configured on by mistake.
 */
export const MAINNET_CHAINS: ReadonlyMap<number, string> = new Map([
  [1, "Ethereum"],
  [10, "OP Mainnet"],
  [56, "BNB Smart Chain"],
  [100, "Gnosis"],
  [137, "Polygon"],
  [250, "Fantom"],
  [324, "zkSync Era"],
  [1101, "Polygon zkEVM"],
  [5000, "Mantle"],
  [8453, "Base"],
  [42161, "Arbitrum One"],
  [42170, "Arbitrum Nova"],
  [42220, "Celo"],
  [43114, "Avalanche C-Chain"],
  [59144, "Linea"],
  [81457, "Blast"],
  [534352, "Scroll"],
  [7777777, "Zora"],
]);
