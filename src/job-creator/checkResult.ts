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
  return readFileBytes({ blockstore, cid: await fileCid(blockstore, resultCid, "stdout"), maxBytes: MAX_STDOUT_BYTES });
}

/**
 * One of the top-level files of a downloaded result directory (`stdout`, `stderr`, `exitCode`), from the block
 * store; undefined when the result has no such file.
 */
export async function readResultFile({ blockstore, resultCid, name }: ReadResultStdoutParameters & { name: string }): Promise<Uint8Array | undefined> {
  const entry = await exportEntry(resultCid, resultCid.toString(), blockstore, undefined);
  if (entry.type !== "directory") return undefined;
  for await (const child of entry.entries()) if (child.name === name) return readFileBytes({ blockstore, cid: child.cid, maxBytes: MAX_STDOUT_BYTES });
  return undefined;
}

/** The result directory's file `name` (a bare file is its own stdout). */
async function fileCid(blockstore: Blockstore, root: CID, name: string): Promise<CID> {
  const entry = await exportEntry(root, root.toString(), blockstore, undefined);
  if (entry.type !== "directory") return root;
  for await (const child of entry.entries()) if (child.name === name) return child.cid;
  return root;
}
