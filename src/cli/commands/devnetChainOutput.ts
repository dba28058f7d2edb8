import { formatEther, toHex, type Address, type Hex } from "viem";
import { DEV_ACCOUNT_COUNT, DEV_MNEMONIC, DevAccountIndex, devAccount } from "../../chain/devAccounts.ts";
import { DEV_FUNDING } from "../../devnet/startDevChain.ts";
import type { NetworkInfo } from "../../core/network.ts";

export interface DevnetAccount {
  index: number;
  /** The role from DevAccountIndex, or null for the spare funded accounts. */
  role: string | null;
  address: Address;
  /** Public test key derived from DEV_MNEMONIC. */
  privateKey: Hex;
}

/** What `lilypad devnet chain --json` prints: the network file's fields, plus where it is and the dev accounts. */
export interface DevnetChainReport extends NetworkInfo {
  networkFile: string;
  mnemonic: string;
  accounts: DevnetAccount[];
}

const ROLE_BY_INDEX = new Map<number, string>(Object.entries(DevAccountIndex).map(([role, index]) => [index, role]));

const ROLE_NOTES: Record<string, string> = {
  deployer: "deploys, governs, and holds the rest of the token supply as the faucet",
};

export function devnetChainReport(params: { network: NetworkInfo; networkFile: string }): DevnetChainReport {
  const accounts: DevnetAccount[] = [];
  for (let index = 0; index < DEV_ACCOUNT_COUNT; index++) {
    const account = devAccount(index);
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error(`dev account ${index} has no private key`);
    accounts.push({ index, role: ROLE_BY_INDEX.get(index) ?? null, address: account.address, privateKey: toHex(key) });
  }
  return { ...params.network, networkFile: params.networkFile, mnemonic: DEV_MNEMONIC, accounts };
}

/** The human summary printed on stdout when --json is not given. */
export function formatDevnetChainSummary(report: DevnetChainReport): string {
  const tokens = BigInt(formatEther(DEV_FUNDING)).toLocaleString("en-US");
  const roles = report.accounts.filter((a) => a.role !== null);
  const spare = report.accounts.filter((a) => a.role === null);
  const roleWidth = Math.max(...roles.map((a) => (a.role ?? "").length));
  const contractWidth = Math.max(...Object.keys(report.contracts).map((k) => k.length));
  const lines = [
    "Lilypad devnet is running",
    `  RPC URL       ${report.rpcUrl}`,
    `  Chain ID      ${report.chainId}`,
    `  Deploy block  ${report.deployBlock}`,
    `  Network file  ${report.networkFile}`,
    "",
    "Contracts",
    ...Object.entries(report.contracts).map(([name, address]) => `  ${name.padEnd(contractWidth)}  ${address}`),
    "",
    `Dev accounts (all hold test ether; each except #0 holds ${tokens} tokens)`,
    ...roles.flatMap((a) => {
      const note = ROLE_NOTES[a.role ?? ""];
      return [
        `  #${String(a.index).padEnd(2)} ${(a.role ?? "").padEnd(roleWidth)}  ${a.address}${note ? `  (${note})` : ""}`,
        `      ${"".padEnd(roleWidth)}  key ${a.privateKey}`,
      ];
    }),
  ];
  if (spare.length > 0) {
    const first = spare[0]?.index;
    const last = spare[spare.length - 1]?.index;
    lines.push(`  #${first}-#${last} are funded spares from the same mnemonic ("${report.mnemonic}"); see --json`);
  }
  lines.push(
    "",
    "WARNING: these are public test keys from a well-known mnemonic. Anyone can use them: never send real funds",
    "to these addresses or use these keys on a real network.",
    "",
    "Press Ctrl-C to stop.",
    "",
  );
  return lines.join("\n");
}
