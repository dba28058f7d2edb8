import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
// No native solc can be downloaded here: compile with the solc-js build shipped in the `solc` npm package.
const solcVersion: string = require("solc/package.json").version;

/** The one Hardhat configuration: the build step, the tests and the embedded dev chain all use it. */
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
  networks: {
    default: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: 31337,
      allowUnlimitedContractSize: false,
      // The devnet mines a block per transaction; without this every block adds a second, and a busy devnet's
      // clock runs minutes ahead of the wall clock, expiring offers signed with real time.
      allowBlocksWithSameTimestamp: true,
    },
  },
};

export default hardhatConfig;
