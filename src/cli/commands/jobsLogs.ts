// `lilypad jobs logs <deal-id> [-f]`: the job's own stdout and stderr, and its provider's status lines. While the
// job runs they come from the solver (the provider forwards the output as the job writes it, bounded); once a
// result is posted, the output comes from the result itself, downloaded and verified against its CID on chain, and
// only what was not shown live is printed. The job's stdout goes to stdout and its stderr to stderr, so that
// `jobs logs <deal> > out.txt` keeps the job's output; status lines go to stderr, marked `[status]`.
import type { Command } from "commander";
import type { Hex } from "viem";
import type { JobLogEntry, JobStatus } from "../../core/api/solverProtocol.ts";
import { outcomeName } from "../../core/outcomeName.ts";
import type { SolverClient } from "../../net/solverClient.ts";
import type { ConfigFlags } from "../config.ts";
import type { CliContext } from "../context.ts";
import { fetchJobOutput, type FetchedJobOutput } from "../fetchJobOutput.ts";
import { explainSolverRefusal, getJobOrExplain, openJobsSession, parseDealId, type JobsSession } from "../jobsAccess.ts";
import { localModules } from "../localModules.ts";

interface LogsFlags extends ConfigFlags {
  follow?: boolean;
  status?: boolean;
  json?: boolean;
}

const NOTES = `
The live output is a preview the provider sends as the job writes it (at most 64 KiB). The whole output is in the
result; once one is posted it is downloaded, verified against the result CID on chain, and what was not shown live
is printed from it.
`;

/** Statuses after which nothing more happens to a job. */
const FINAL: ReadonlySet<JobStatus> = new Set<JobStatus>(["closed", "failed", "revoked"]);
const POLL_MS = 500;

export function registerJobsLogs(jobs: Command, ctx: CliContext): void {
  jobs
    .command("logs")
    .description("a job's stdout and stderr (live from its provider, then from its verified result) and its status lines; -f follows until its output is complete")
    .argument("<deal-id>")
    .option("-f, --follow", "keep printing until the job's output is complete (its result posted) or the job ends otherwise")
    .option("--no-status", "print only the job's own stdout and stderr")
    .option("--json", "print one JSON object per line: {stream: stdout|stderr|status, text, at?, from: provider|result}")
    .addHelpText("after", NOTES)
    .action(async (id: string, flags: LogsFlags, command: Command) => {
      const dealId = parseDealId(id);
      const session = await openJobsSession(ctx, command);
      await getJobOrExplain(session.solver, dealId);
      await followLogs({ ctx, session, dealId, follow: flags.follow ?? false, showStatus: flags.status !== false, json: flags.json ?? false });
    });
}

interface FollowLogsParameters {
  ctx: CliContext;
  session: JobsSession;
  dealId: Hex;
  follow: boolean;
  showStatus: boolean;
  json: boolean;
}

async function followLogs(params: FollowLogsParameters): Promise<void> {
  const { ctx, session, dealId } = params;
  const printer = new LogPrinter(params);
  let after = -1;
  const readNew = async () => {
    const entries = await jobLogs(session.solver, dealId, after);
    for (const entry of entries) printer.entry(entry);
    after = entries.at(-1)?.seq ?? after;
  };
  let fromResult = false;
  /** Why the posted result could not be read (tried again each round; an error once the job is over). */
  let unreadable: unknown;
  const local = await localModules(ctx);
  for (;;) {
    const { record } = await getJobOrExplain(session.solver, dealId);
    await readNew();
    // The result, once there, is the output's truth: what the live preview did not show comes from it.
    if (!fromResult && record.result !== undefined && record.status !== "open") {
      try {
        const output = await fetchJobOutput({ conn: session.conn, dealId, blockstore: local.blockstore, announcedUrl: record.resultsUrl });
        if (output) {
          printer.result(output);
          fromResult = true;
        }
      } catch (error) {
        unreadable = error;
      }
    }
    // The job's run ended with its result: its output is complete. (Judging the result can take the whole judging
    // window, and changes nothing in the output: `jobs show` and `jobs get` tell how it went.)
    if (fromResult && !FINAL.has(record.status)) {
      printer.status(`the job's output is complete; its deal is ${record.status} (see \`lilypad jobs show\`)`);
      return;
    }
    if (FINAL.has(record.status)) {
      await readNew();
      const outcome = record.outcome === undefined ? "" : `: ${outcomeName(record.outcome)}`;
      printer.status(`job ${record.status}${outcome}${record.reason ? ` (${record.reason})` : ""}`);
      if (!fromResult && unreadable !== undefined) throw unreadable;
      return;
    }
    if (!params.follow) {
      if (!fromResult && unreadable !== undefined) throw unreadable;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function jobLogs(solver: SolverClient, dealId: Hex, after: number): Promise<JobLogEntry[]> {
  return await solver.jobLogs(dealId, after).catch((error: unknown) => {
    throw explainSolverRefusal(error, dealId);
  });
}

/** Prints entries as they come, remembering what of each stream was shown live. */
class LogPrinter {
  readonly #p: FollowLogsParameters;
  readonly #live = { stdout: "", stderr: "" };

  constructor(params: FollowLogsParameters) {
    this.#p = params;
  }

  entry(entry: JobLogEntry): void {
    if (entry.stream === "status") {
      this.status(entry.line, entry.at);
      return;
    }
    this.#live[entry.stream] += entry.line;
    this.#out(entry.stream, entry.line, "provider", entry.at);
  }

  status(line: string, at?: number): void {
    if (!this.#p.showStatus) return;
    if (this.#p.json) this.#p.ctx.stdout(`${JSON.stringify({ stream: "status", text: line, ...(at === undefined ? {} : { at }), from: "provider" })}\n`);
    else this.#p.ctx.stderr(`[status] ${at === undefined ? "" : `${new Date(at * 1000).toISOString()}  `}${line}\n`);
  }

  /** The verified output: the part after what was shown live, or all of it (said so) when the preview differs. */
  result(output: FetchedJobOutput): void {
    this.status(`result ${output.resultCid} verified${output.exitCode === undefined ? "" : `: exit code ${output.exitCode}`}`);
    for (const stream of ["stdout", "stderr"] as const) {
      const live = this.#live[stream];
      const whole = output[stream];
      if (whole.startsWith(live)) this.#out(stream, whole.slice(live.length), "result");
      else {
        this.status(`the live ${stream} differs from the result's; the result's ${stream} follows in full`);
        this.#out(stream, whole, "result");
      }
    }
  }

  #out(stream: "stdout" | "stderr", text: string, from: "provider" | "result", at?: number): void {
    if (text === "") return;
    const { ctx } = this.#p;
    if (this.#p.json) ctx.stdout(`${JSON.stringify({ stream, text, ...(at === undefined ? {} : { at }), from })}\n`);
    else if (stream === "stdout") ctx.stdout(text);
    else ctx.stderr(text);
  }
}
