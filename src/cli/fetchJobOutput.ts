// A finished job's stdout and stderr, from its result: the result CID is read from the chain (what the provider
// posted), the result downloaded from where its provider (or mediator) registered on chain, or the URL the provider
// announced, and verified block by block against that CID. Which server answered does not matter: only the
// content posted on chain passes. For reading only; judging is `jobs get`'s (LilypadClient.collect).
import type { Hex } from "viem";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { readTrackedDeals } from "../chain/market/dealTracker.ts";
import { ServiceRole, serviceUrlOf } from "../chain/serviceRegistry.ts";
import { emptyResult } from "../core/dealTypes.ts";
import { LilypadError } from "../core/errors.ts";
import { resultCidOfDigest } from "../core/resultCid.ts";
import { downloadResult, readResultFile } from "../job-creator/checkResult.ts";
import { refusesPrivateAddresses } from "../net/privateAddresses.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";

export interface FetchJobOutputParameters {
  conn: ChainConnection;
  dealId: Hex;
  blockstore: Blockstore;
  /** The URL the provider announced for its results (the solver's record), tried after the registered ones. */
  announcedUrl?: string;
}

export interface FetchedJobOutput {
  resultCid: string;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/** The job's output from its verified result; undefined while no result is on chain. */
export async function fetchJobOutput(params: FetchJobOutputParameters): Promise<FetchedJobOutput | undefined> {
  const { conn, dealId, blockstore } = params;
  const [deal] = await readTrackedDeals(conn, [dealId]);
  if (!deal || deal.result.cidDigest === emptyResult.cidDigest) return undefined;
  const root = resultCidOfDigest(deal.result.cidDigest);
  if (!(await blockstore.has(root))) {
    const sources = [
      await serviceUrlOf(conn, { service: deal.provider, role: ServiceRole.ResourceProvider }).catch(() => undefined),
      deal.mediator && (await serviceUrlOf(conn, { service: deal.mediator, role: ServiceRole.Mediator }).catch(() => undefined)),
      params.announcedUrl,
    ].filter((u, i, all): u is string => typeof u === "string" && all.indexOf(u) === i);
    const refusePrivateAddresses = refusesPrivateAddresses({ chainId: conn.network.chainId });
    const failures: string[] = [];
    for (const url of sources) {
      try {
        await downloadResult({ url, root, blockstore, refusePrivateAddresses });
        break;
      } catch (error) {
        failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length === sources.length) {
      throw new LilypadError({
        code: "RESULT_UNAVAILABLE",
        message: `the result ${root.toString()} of job ${dealId} could not be downloaded and verified${failures.length ? ` (${failures.join("; ")})` : " (nobody serves it)"}`,
        hint: "the provider may be offline; try again later",
      });
    }
  }
  const text = async (name: string) => {
    const bytes = await readResultFile({ blockstore, resultCid: root, name });
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  };
  const [stdout, stderr, exitCode] = await Promise.all([text("stdout"), text("stderr"), text("exitCode")]);
  const code = exitCode === undefined ? undefined : Number.parseInt(exitCode.trim(), 10);
  return { resultCid: root.toString(), stdout: stdout ?? "", stderr: stderr ?? "", exitCode: code !== undefined && Number.isFinite(code) ? code : undefined };
}
