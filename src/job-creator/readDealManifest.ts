// A deal's module manifest, for a judge that did not publish the module: from the local block store (the
// repository's own modules are packaged into it), else from the stores given (the provider that ran it serves it).
// The deal's moduleId is the manifest's CID digest, so whoever serves it cannot change it: every block is verified.
import { join } from "node:path";
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { moduleCidOfDigest, parseManifest } from "../core/moduleId.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { loadModule } from "../modules/loadModule.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { fetchCar } from "../storage/fetchCar.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";
import { ManifestUnavailableError } from "./errors.ts";

const MAX_MANIFEST_BYTES = 256 * 1024;

export interface ReadDealManifestParameters {
  /** The deal's moduleId (the manifest CID's sha2-256 digest). */
  moduleId: Hex;
  blockstore: Blockstore;
  /** Scratch space (a shipped module's artifacts, when it is packaged here). */
  workDir: string;
  /** Base URLs serving `/ipfs/:cid?format=car`, asked in order when the store lacks the manifest. */
  stores: readonly string[];
  signal?: AbortSignal;
  /** Refuse stores at loopback, private and link-local addresses (for URLs another party chose, off a devnet). */
  refusePrivateAddresses?: boolean;
}

/** The manifest; throws ManifestUnavailableError when neither the store nor any of the stores has it. */
export async function readDealManifest({ moduleId, blockstore, workDir, stores, signal, refusePrivateAddresses }: ReadDealManifestParameters): Promise<ModuleManifest> {
  const cid = CID.parse(moduleCidOfDigest(moduleId));
  if (!(await blockstore.has(cid))) {
    // A shipped module is packaged into the store; any other is not there, and is fetched below.
    await loadModule({ cid: cid.toString(), blockstore, artifactsDir: join(workDir, "artifacts") }).catch(() => undefined);
  }
  const failures: string[] = [];
  for (const url of stores) {
    if (await blockstore.has(cid)) break;
    try {
      await fetchCar({ url, root: cid, blockstore, maxBytes: MAX_MANIFEST_BYTES, signal, refusePrivateAddresses });
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!(await blockstore.has(cid))) {
    throw new ManifestUnavailableError({ moduleCid: cid.toString(), failures });
  }
  const bytes = await readFileBytes({ blockstore, cid, maxBytes: MAX_MANIFEST_BYTES, signal });
  return parseManifest(JSON.parse(new TextDecoder().decode(bytes)), cid.toString());
}
