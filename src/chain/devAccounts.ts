import { mnemonicToAccount, type HDAccount } from "viem/accounts";

/**
 * The well-known development mnemonic (anvil's and Hardhat's default) whose accounts the dev chain funds with ether.
 * Never use it on a real chain.
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Fixed roles for the first dev accounts, so logs and docs can name them. */
export const DevAccountIndex = {
  deployer: 0, // deploys, governs, and holds the token supply (the faucet)
  solver: 1,
  mediator: 2,
  jobCreator: 3,
  firstResourceProvider: 4,
  // after the providers a devnet may start (4-7):
  jobRelay: 8,
  gateway: 10,
} as const;

export const DEV_ACCOUNT_COUNT = 20;

/** The dev account at `index` of the mnemonic's default derivation path. */
export function devAccount(index: number): HDAccount {
  if (!Number.isInteger(index) || index < 0 || index >= DEV_ACCOUNT_COUNT) {
    throw new RangeError(`dev account index must be 0-${DEV_ACCOUNT_COUNT - 1}, got ${index}`);
  }
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
}

/** A dev account's private key (the well-known dev mnemonic: never use it on a real chain). */
export function devPrivateKey(index: number): `0x${string}` {
  const key = devAccount(index).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for dev account ${index}`);
  return `0x${Buffer.from(key).toString("hex")}`;
}
