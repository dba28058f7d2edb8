import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
// No native solc can be downloaded here: compile with the solc-js build shipped in the `solc` npm package.
const solcVersion: string = require("solc/package.json").version;

/** Hardhat compiles the contracts (scripts/build-contracts.ts); the dev chain is anvil (src/devnet/startDevChain.ts). */
export const hardhatConfig: HardhatUserConfig = {
  paths: { sources: "contracts", artifacts: "artifacts", cache: "cache" },
  solidity: {
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
      viaIR: true,
    },
  },
};

export default hardhatConfig;
