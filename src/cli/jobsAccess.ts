// What the `jobs` commands share: the caller's connection and solver client, the deal id argument, and the solver's
// refusals turned into one clear line with a hint (an unknown deal, someone else's job).
import type { Command } from "commander";
import type { Hex } from "viem";
import { DevAccountIndex } from "../chain/devAccounts.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import { domainOf } from "../chain/verifyOffers.ts";
import type { StoredJob } from "../core/api/solverProtocol.ts";
import { InvalidArgumentError, LilypadError } from "../core/errors.ts";
import type { NetworkInfo } from "../core/network.ts";
import { bytes32Schema } from "../core/primitives.ts";
import { SolverClient, SolverRequestError } from "../net/solverClient.ts";
import { loadCliConfig, type CliConfig } from "./config.ts";
import { connectAs, requireNetwork, solverUrlOf } from "./connectNetwork.ts";
import type { CliContext } from "./context.ts";

export interface JobsSession {
  config: CliConfig;
  network: NetworkInfo;
  conn: ChainConnection;
  solver: SolverClient;
}

/** The configured network, the caller's key on it, and a solver client signing as the caller. */
export async function openJobsSession(ctx: CliContext, command: Command): Promise<JobsSession> {
  const config = loadCliConfig(ctx, command.optsWithGlobals());
  const network = await requireNetwork(ctx, config);
  const conn = connectAs(network, config, DevAccountIndex.jobCreator);
  return { config, network, conn, solver: new SolverClient({ url: solverUrlOf(network), account: conn.account, scope: domainOf(conn) }) };
}

/** A deal id argument: 0x and 64 hex digits (bad usage otherwise). */
export function parseDealId(value: string): Hex {
  const parsed = bytes32Schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidArgumentError({
      argument: "<deal-id>",
      message: `a deal id is 0x followed by 64 hex digits, not "${value}"`,
      hint: "`lilypad jobs list` shows your jobs' deal ids; `lilypad run --detach` prints one",
    });
  }
  return parsed.data.toLowerCase() as Hex;
}

/** A job the caller can read, or a one-line error saying why not. */
export async function getJobOrExplain(solver: SolverClient, dealId: Hex): Promise<StoredJob> {
  return await solver.getJob(dealId).catch((error: unknown) => {
    throw explainSolverRefusal(error, dealId);
  });
}

/** The solver's NOT_FOUND and FORBIDDEN for a job, as a user reads them; anything else unchanged. */
export function explainSolverRefusal(error: unknown, dealId: Hex): unknown {
  if (!(error instanceof SolverRequestError)) return error;
  if (error.code === "NOT_FOUND") {
    return new LilypadError({
      code: "JOB_NOT_FOUND",
      message: `no job ${dealId} on this network's solver`,
      hint: "check the deal id with `lilypad jobs list`, and the network with --network (a job is known only to the solver it was submitted to)",
      cause: error,
    });
  }
  if (error.code === "FORBIDDEN") {
    return new LilypadError({ code: "NOT_A_PARTY", message: error.message, hint: "use the key of the job's creator or provider (--private-key)", cause: error });
  }
  return error;
}
