// `lilypad jobs get <deal-id>`: collects a job submitted earlier (`lilypad run --detach`): waits for its result,
// downloads and verifies it against the result CID on chain, judges it if the judging window is still open, saves
// its files as `run` does and prints its stdout. It ends like `run`: 3 when the job exited non-zero.
import type { Command } from "commander";
import { describeModuleOrigin } from "../../modules/moduleOrigin.ts";
import type { ResolvedModule } from "../../modules/moduleResolver.ts";
import type { ConfigFlags } from "../config.ts";
import { NoNetworkError } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";
import { cliJobClient } from "../jobClient.ts";
import { describeJobEvent } from "../describeJobEvent.ts";
import { reportNetworkJob } from "../jobOutput.ts";
import { explainSolverRefusal, getJobOrExplain, openJobsSession, parseDealId } from "../jobsAccess.ts";
import { localModules } from "../localModules.ts";

interface GetFlags extends ConfigFlags {
  out?: string;
  json?: boolean;
}

const NOTES = `
Who judges a detached job: while its judging window is open (the offer's judgingWindow, 120 s by default, from when
the result is posted), \`jobs get\` judges it as \`run\` would: it accepts a result that downloads and matches its CID
on chain, and challenges one that does not (the mediator then re-runs the job and rules). Once the window has
passed, the provider finalizes the deal and is paid; \`jobs get\` then only downloads and verifies the result, and a
result that fails verification is an error (it can no longer be challenged). A provider that posts nothing is
finalized by \`jobs get\` after the result timeout: your payment comes back with its timeout collateral.
Exit codes: 0 the job exited 0; 3 it ran and exited non-zero; 5 no valid result (refunded, challenged and lost,
or unverifiable); 4 the chain or solver did not answer; 2 bad usage; 1 any other error.
`;

export function registerJobsGet(jobs: Command, ctx: CliContext): void {
  jobs
    .command("get")
    .description("collect a job submitted with `run --detach`: wait for its result, verify it, save its files and print its stdout")
    .argument("<deal-id>")
    .option("--out <dir>", "where to save the result files (default: ./lilypad-results/<result CID>)")
    .option("--json", "print one JSON object (as `run --json` does) instead of the job's output and a summary")
    .addHelpText("after", NOTES)
    .action(async (id: string, flags: GetFlags, command: Command) => {
      const dealId = parseDealId(id);
      const session = await openJobsSession(ctx, command);
      const { network, conn } = session;
      if (!network.solverUrl) throw new NoNetworkError(`network ${network.name} has no solver`, "set --solver-url");
      // An unknown deal or someone else's is said before anything is followed.
      await getJobOrExplain(session.solver, dealId);
      const progress = (line: string) => {
        if (!flags.json) ctx.stderr(`${line}\n`);
      };
      const local = await localModules(ctx);
      let module: ResolvedModule | undefined;
      const client = cliJobClient({
        conn,
        network: { ...network, solverUrl: network.solverUrl },
        local,
        onModule: (resolved) => {
          module = resolved;
          progress(`module   ${describeModuleOrigin(resolved.origin, resolved.manifest)} (${resolved.id.cid})`);
        },
      });
      try {
        const result = await client
          .collect(dealId, {
            onEvent: (event) => {
              const line = describeJobEvent(event);
              if (line) progress(line);
            },
          })
          .catch((error: unknown) => {
            throw explainSolverRefusal(error, dealId);
          });
        await reportNetworkJob(ctx, { result, publisher: module?.origin.name?.publisher, blockstore: local.blockstore, out: flags.out, json: flags.json === true });
      } finally {
        await client.close();
      }
    });
}
