// Network files are read by the SDK as well as the CLI, so they live in chain/; this name stays so that the
// commands' imports did not have to move with them.
export { isNetworkName, readDeployedNetworkFile, readNetworkFile, resolveNetworkFile, SHIPPED_NETWORKS_DIR, type NetworkLookupContext } from "../chain/networkFiles.ts";
