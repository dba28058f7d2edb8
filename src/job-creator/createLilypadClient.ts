// The SDK's front door: a client from a network description and a key, with the block store and module catalogs
// under $LILYPAD_HOME like the CLI's.
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { FsBlockstore } from "blockstore-fs";
import type { Hex } from "viem";
import { connectChain } from "../chain/chainConnection.ts";
import { moduleRegistryOf } from "../chain/moduleRegistry.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import type { NetworkInfo } from "../core/network.ts";
import { hasNodeSqlite } from "../core/nodeSqlite.ts";
import { lilypadPaths } from "../core/paths.ts";
import { readCatalog } from "../modules/moduleCatalog.ts";
import { createModuleResolver } from "../modules/moduleResolver.ts";
import { createBlockstore, type Blockstore } from "../storage/createBlockstore.ts";
import { LilypadClient, type JobTerms } from "./lilypadClient.ts";

export interface CreateLilypadClientParameters {
  network: NetworkInfo;
  privateKey: Hex;
  /** Where results and modules are kept (default: $LILYPAD_HOME or ~/.lilypad). */
  home?: string;
  terms?: Partial<JobTerms>;
  /** Keep at least this much available in escrow, depositing from the wallet when short. */
  keepInEscrow?: bigint;
  lanes?: number;
  /** Download results from loopback, private and link-local addresses (default: only on a devnet, chain id 31337). */
  allowPrivateAddresses?: boolean;
  /** File inputs may be paths on this machine (default true; turn it off before passing on others' inputs). */
  readLocalFiles?: boolean;
}

export async function createLilypadClient(params: CreateLilypadClientParameters): Promise<LilypadClient> {
  const { network } = params;
  if (!network.solverUrl) throw new InvalidArgumentError({ argument: "network.solverUrl", message: `network ${network.name} has no solver URL` });
  if (!network.mediators?.length) throw new InvalidArgumentError({ argument: "network.mediators", message: `network ${network.name} names no mediators` });
  const paths = lilypadPaths({ env: params.home ? { LILYPAD_HOME: params.home } : process.env, homedir: homedir() });
  const conn = connectChain({ network, privateKey: params.privateKey });
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
