// The SDK's front door: a client from a network description and a key, with the block store and module catalogs
// under $LILYPAD_HOME like the CLI's. Left out, the network and the key are found as the CLI finds them: the network
// from LILYPAD_NETWORK (a name in $LILYPAD_HOME/networks, a network shipped with lilypad, or a file) or else the
// running devnet's file; the key from LILYPAD_PRIVATE_KEY or else WEB3_PRIVATE_KEY.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { FsBlockstore } from "blockstore-fs";
import type { Hex } from "viem";
import { connectChain } from "../chain/chainConnection.ts";
import { discoverSolver } from "../chain/discoverSolver.ts";
import { localAccount } from "../chain/localAccount.ts";
import { moduleRegistryOf } from "../chain/moduleRegistry.ts";
import { readDeployedNetworkFile, resolveNetworkFile } from "../chain/networkFiles.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import type { NetworkInfo } from "../core/network.ts";
import { hasNodeSqlite } from "../core/nodeSqlite.ts";
import { lilypadPaths, type LilypadPaths } from "../core/paths.ts";
import { readCatalog } from "../modules/moduleCatalog.ts";
import { createModuleResolver } from "../modules/moduleResolver.ts";
import { createBlockstore, type Blockstore } from "../storage/createBlockstore.ts";
import { LilypadClient, type JobTerms } from "./lilypadClient.ts";

export interface CreateLilypadClientParameters {
  /**
   * The network (e.g. a network file parsed with networkSchema, or an embedded network's). Default: as the CLI finds
   * it, LILYPAD_NETWORK (a name or a file), else `$LILYPAD_HOME/networks/devnet.json`, which `lilypad devnet` writes.
   */
  network?: NetworkInfo;
  /** The job creator's key, 0x and 64 hex digits. Default: LILYPAD_PRIVATE_KEY, else WEB3_PRIVATE_KEY. */
  privateKey?: Hex;
  /** Where results and modules are kept, and network names are looked up (default: $LILYPAD_HOME or ~/.lilypad). */
  home?: string;
  /** Where LILYPAD_HOME, LILYPAD_NETWORK, LILYPAD_PRIVATE_KEY and WEB3_PRIVATE_KEY are read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  terms?: Partial<JobTerms>;
  /** Keep at least this much available in escrow, depositing from the wallet when short. */
  keepInEscrow?: bigint;
  lanes?: number;
  /** Download results from loopback, private and link-local addresses (default: only on a devnet, chain id 31337). */
  allowPrivateAddresses?: boolean;
  /** File inputs may be paths on this machine (default true; turn it off before passing on others' inputs). */
  readLocalFiles?: boolean;
}

export async function createLilypadClient(params: CreateLilypadClientParameters = {}): Promise<LilypadClient> {
  const env = params.env ?? process.env;
  const paths = lilypadPaths({ env: params.home ? { ...env, LILYPAD_HOME: params.home } : env, homedir: homedir() });
  // The key first: a script without one learns so before anything is read or dialled.
  const privateKey = privateKeyOf(params.privateKey, env);
  const network = await withSolver(params.network ?? defaultNetwork(paths, env));
  if (!network.solverUrl) {
    throw new InvalidArgumentError({ argument: "network.solverUrl", message: `network ${network.name} has no solver URL, and none registered on its chain answers` });
  }
  if (!network.mediators?.length) throw new InvalidArgumentError({ argument: "network.mediators", message: `network ${network.name} names no mediators` });
  const conn = connectChain({ network, privateKey });
  const blockstore = await openBlockstore(paths.blocksDir);
  return new LilypadClient({
    conn,
    solverUrl: network.solverUrl,
    blockstore,
    // A script's own paths: the caller passes what it chose, not what a stranger sent.
    readLocalFiles: params.readLocalFiles ?? true,
    resolveModule: createModuleResolver({
      blockstore,
      workDir: paths.workDir,
      catalogs: [await readCatalog(paths.catalogFile)],
      registry: moduleRegistryOf(conn),
      stores: [network.solverUrl],
    }),
    mediators: network.mediators,
    terms: params.terms,
    keepInEscrow: params.keepInEscrow,
    lanes: params.lanes,
    allowPrivateAddresses: params.allowPrivateAddresses,
  });
}

/**
 * The key given, else the environment's, checked: a missing or malformed key is named here, in one sentence, rather
 * than surfacing later as a TypeError from inside viem.
 */
function privateKeyOf(given: Hex | undefined, env: Readonly<Record<string, string | undefined>>): Hex {
  const hint = "pass privateKey to createLilypadClient, or set LILYPAD_PRIVATE_KEY (or WEB3_PRIVATE_KEY) to 0x followed by 64 hex digits";
  const fromEnv = env.LILYPAD_PRIVATE_KEY?.trim() ? ["LILYPAD_PRIVATE_KEY", env.LILYPAD_PRIVATE_KEY.trim()] : env.WEB3_PRIVATE_KEY?.trim() ? ["WEB3_PRIVATE_KEY", env.WEB3_PRIVATE_KEY.trim()] : undefined;
  // Given as an option but undefined (e.g. `privateKey: process.env.SOME_KEY` unset) falls back to the environment too.
  const [source, raw] = given !== undefined ? ["privateKey", given as unknown] : fromEnv ?? [undefined, undefined];
  if (source === undefined) throw new InvalidArgumentError({ argument: "privateKey", message: "no private key: neither the privateKey option nor LILYPAD_PRIVATE_KEY or WEB3_PRIVATE_KEY is set", hint });
  // Lilypad's tools take WEB3_PRIVATE_KEY with or without its 0x.
  const key = typeof raw === "string" && source === "WEB3_PRIVATE_KEY" && !raw.startsWith("0x") ? `0x${raw}` : raw;
  if (typeof key !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new InvalidArgumentError({ argument: "privateKey", message: `${source} is not a private key (0x followed by 64 hex digits)`, hint });
  }
  try {
    localAccount(key as Hex);
  } catch (cause) {
    throw new InvalidArgumentError({ argument: "privateKey", message: `${source} is not a valid secp256k1 key (zero, or not below the curve's order)`, hint, cause });
  }
  return key.toLowerCase() as Hex;
}

/** The network the CLI would use: LILYPAD_NETWORK, else the devnet's file (`lilypad devnet` writes it). */
function defaultNetwork(paths: LilypadPaths, env: Readonly<Record<string, string | undefined>>): NetworkInfo {
  const named = env.LILYPAD_NETWORK?.trim();
  if (named) return readDeployedNetworkFile(resolveNetworkFile({ env: { LILYPAD_HOME: paths.home }, homedir: homedir(), cwd: process.cwd() }, named));
  if (!existsSync(paths.devnetNetworkFile)) {
    throw new InvalidArgumentError({
      argument: "network",
      message: `no network given, LILYPAD_NETWORK is unset, and there is no devnet network file at ${paths.devnetNetworkFile}`,
      hint: "start a devnet with `lilypad devnet`, set LILYPAD_NETWORK to a network's name or file, or pass network",
    });
  }
  return readDeployedNetworkFile(paths.devnetNetworkFile);
}

/** A network file may name only the chain: its solver is then the one registered on chain, as for the CLI. */
async function withSolver(network: NetworkInfo): Promise<NetworkInfo> {
  if (network.solverUrl) return network;
  return { ...network, solverUrl: await discoverSolver(network).catch(() => undefined) };
}

/**
 * The block store of the CLI (one SQLite file) where this Node has node:sqlite. An application on an older Node
 * (20) keeps its blocks one file per block in the same folder instead (blockstore-fs, the layout that the SQLite
 * store also reads), so the SDK runs on any Node that the command does.
 */
async function openBlockstore(path: string): Promise<Blockstore> {
  if (hasNodeSqlite()) return await createBlockstore({ path });
  await mkdir(path, { recursive: true });
  const blockstore = new FsBlockstore(path);
  await blockstore.open();
  return blockstore;
}
