// What a job creator does with a posted result before judging it, shared by the SDK (LilypadClient) and the on-chain
// job relay when it judges: download the result from the provider and verify it block by block against the CID on
// chain, make the cheap checks (suspectResult), and draw the spot check. It only decides; the caller accepts or
// challenges.
import type { CID } from "multiformats/cid";
import type { Result } from "../core/dealTypes.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { MAX_RESULT_BYTES, resultCidOfDigest } from "../core/resultCid.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { fetchCar } from "../storage/fetchCar.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";
import { exportEntry } from "../storage/unixfsEntries.ts";
import { suspectResult } from "./suspectResult.ts";

/** The largest stdout read for the checks. */
const MAX_STDOUT_BYTES = 64 * 1024 * 1024;

export interface CheckResultParameters {
  /** The result the market holds. */
  result: Result;
  /**
   * Downloads the result's DAG into `blockstore`, verified block by block, from where the caller trusts (the URL
   * the provider registered on chain; see downloadResult); resolves with that URL.
   */
  download: (root: CID) => Promise<string>;
  /** The deal's module: its limits are part of the checks. */
  manifest: ModuleManifest;
  /** Where the downloaded result goes (verified block by block). */
  blockstore: Blockstore;
  /** Probability (0-1) of sending a result that passes to the mediator anyway, as a spot check. Default 0. */
  mediationChance?: number;
  /** Draws the spot check: a number in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Downloads a result's CAR from `url` (a base URL serving `/ipfs/:cid?format=car`) into the block store, verified. */
export async function downloadResult(params: { url: string; root: CID; blockstore: Blockstore; signal?: AbortSignal; refusePrivateAddresses?: boolean }): Promise<void> {
  await fetchCar({ ...params, maxBytes: MAX_RESULT_BYTES });
}

/** What the checks found. */
export interface ResultVerdict {
  resultCid: CID;
  /** Whether the whole result downloaded and matched its CID. */
  downloaded: boolean;
  /** The reason to challenge (a failed download or check, or the spot check); undefined accepts. */
  challenge: string | undefined;
  /** The result's stdout, read for the checks (undefined when it could not be read). */
  stdout?: Uint8Array;
  /** Why the download failed, when it did. */
  downloadError?: string;
  /** Where it was downloaded from, when it was. */
  from?: string;
  /** What made the result suspect, when something did. */
  suspicion?: string;
}

/** Downloads and verifies a posted result, makes the cheap checks, and draws the spot check. Never throws for the result's faults. */
export async function checkResult(params: CheckResultParameters): Promise<ResultVerdict> {
  const { result, manifest, blockstore } = params;
  const resultCid = resultCidOfDigest(result.cidDigest);
  let from: string;
  try {
    from = await params.download(resultCid);
  } catch (error) {
    const downloadError = error instanceof Error ? error.message : String(error);
    return { resultCid, downloaded: false, challenge: "the result could not be downloaded or verified", downloadError };
  }
  let suspicion: string | undefined;
  let stdout: Uint8Array | undefined;
  try {
    stdout = await readResultStdout({ blockstore, resultCid });
    suspicion = suspectResult({ result, manifest, stdout });
  } catch (error) {
    suspicion = `the result has no readable stdout (${error instanceof Error ? error.message : String(error)})`;
  }
  const random = params.random ?? Math.random;
  const challenge = suspicion ?? (random() < (params.mediationChance ?? 0) ? "spot check" : undefined);
  return { resultCid, downloaded: true, challenge, stdout, from, ...(suspicion === undefined ? {} : { suspicion }) };
}

export interface ReadResultStdoutParameters {
  blockstore: Blockstore;
  /** A downloaded result directory (or a bare file, read whole). */
  resultCid: CID;
}

/** The stdout file of a downloaded result, from the block store. */
export async function readResultStdout({ blockstore, resultCid }: ReadResultStdoutParameters): Promise<Uint8Array> {
  return readFileBytes({ blockstore, cid: await stdoutCid(blockstore, resultCid), maxBytes: MAX_STDOUT_BYTES });
}

/** The result directory's stdout file. */
async function stdoutCid(blockstore: Blockstore, root: CID): Promise<CID> {
  const entry = await exportEntry(root, root.toString(), blockstore, undefined);
  if (entry.type !== "directory") return root;
  for await (const child of entry.entries()) if (child.name === "stdout") return child.cid;
  return root;
}
