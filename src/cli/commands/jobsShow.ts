// `lilypad jobs show <deal-id>`: one job in the words `run` used: its module by name and CID, its inputs, the
// result's CID (the digest the market stores, as a CID), its outcome by name, and its timeline from the solver.
import type { Command } from "commander";
import type { JobRecord, JobTimelineEntry, StoredJob } from "../../core/api/solverProtocol.ts";
import { toWireJson } from "../../core/api/wire.ts";
import { outcomeName } from "../../core/outcomeName.ts";
import { resultCidOfDigest } from "../../core/resultCid.ts";
import type { ConfigFlags } from "../config.ts";
import { solverUrlOf } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";
import { getJobOrExplain, openJobsSession, parseDealId } from "../jobsAccess.ts";
import { localModules } from "../localModules.ts";
import { instructionsPhrase } from "../describeInstructions.ts";
import { moduleLabels, type ModuleLabel } from "../moduleLabels.ts";

const NOTES = `
--json prints the solver's record and offer as before, with module ({name, cid}), resultCid, outcomeName and
timeline added. Timeline times are the solver's clock; steps the chain made carry their transaction.
`;

const NO_RESULT_DIGEST = `0x${"0".repeat(64)}`;

export function registerJobsShow(jobs: Command, ctx: CliContext): void {
  jobs
    .command("show")
    .description("one job: module, inputs, status, provider, result CID, outcome, and its timeline")
    .argument("<deal-id>")
    .option("--json", "print JSON")
    .addHelpText("after", NOTES)
    .action(async (id: string, flags: ConfigFlags & { json?: boolean }, command: Command) => {
      const dealId = parseDealId(id);
      const session = await openJobsSession(ctx, command);
      const job = await getJobOrExplain(session.solver, dealId);
      const local = await localModules(ctx);
      const module = await moduleLabels({ blockstore: local.blockstore, workDir: local.workDir, catalogs: local.catalogs, stores: [solverUrlOf(session.network)] })(
        job.record.moduleId,
      );
      const view = describeJob(job, module);
      if (flags.json) ctx.stdout(`${toWireJson(view)}\n`);
      else ctx.stdout(showText(view));
    });
}

export interface JobView extends StoredJob {
  module: ModuleLabel;
  /** The posted result as the CID `run` printed; absent before one is posted. */
  resultCid?: string;
  outcomeName?: string;
  timeline: JobTimelineEntry[];
}

export function describeJob(job: StoredJob, module: ModuleLabel): JobView {
  const { record } = job;
  const posted = record.result && record.result.cidDigest !== NO_RESULT_DIGEST ? record.result : undefined;
  return {
    ...job,
    module,
    ...(posted ? { resultCid: resultCidOfDigest(posted.cidDigest).toString() } : {}),
    ...(record.outcome === undefined ? {} : { outcomeName: outcomeName(record.outcome) }),
    timeline: job.timeline?.length ? job.timeline : timelineOfRecord(record),
  };
}

/** A job from a solver that kept no timeline: when it was submitted, and when it last changed. */
function timelineOfRecord(record: JobRecord): JobTimelineEntry[] {
  const steps: JobTimelineEntry[] = [{ event: "submitted", at: record.createdAt }];
  if (record.status !== "queued") steps.push({ event: record.status, at: record.updatedAt, outcome: record.outcome });
  return steps;
}

function showText(view: JobView): string {
  const { record } = view;
  const rows: [string, string | undefined][] = [
    ["deal", record.dealId],
    ["module", view.module.name ? `${view.module.name} (${view.module.cid})` : view.module.cid],
    ["status", record.status],
    ["outcome", view.outcomeName],
    ["reason", record.reason],
    ["creator", record.creator],
    ["provider", record.provider],
    [
      "result",
      view.resultCid && record.result
        ? `${view.resultCid} (${view.module.engine ? instructionsPhrase({ instructions: record.result.instructions, engine: view.module.engine }) : `${record.result.instructions.toLocaleString("en-US")} instructions`})`
        : undefined,
    ],
    ["served at", record.resultsUrl],
  ];
  const lines = rows.filter((r): r is [string, string] => r[1] !== undefined).map(([k, v]) => `${k.padEnd(10)} ${v}`);
  const inputs = Object.entries(record.inputs);
  lines.push(inputs.length === 0 ? `${"inputs".padEnd(10)} (none)` : "inputs");
  for (const [name, value] of inputs) lines.push(`  ${name} = ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
  lines.push("timeline");
  for (const step of view.timeline) lines.push(`  ${timeText(step.at)}  ${stepText(step)}${step.txHash ? `  tx ${step.txHash}` : ""}`);
  return `${lines.join("\n")}\n`;
}

function timeText(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

const STEP_NAMES: Record<JobTimelineEntry["event"], string> = {
  submitted: "submitted",
  queued: "back in the queue",
  matched: "matched with a provider",
  open: "deal opened on chain",
  "result-posted": "result posted",
  challenged: "challenged: the mediator re-runs it",
  closed: "closed",
  failed: "failed",
  revoked: "revoked",
};

function stepText(step: JobTimelineEntry): string {
  const name = STEP_NAMES[step.event];
  return step.event === "closed" && step.outcome !== undefined ? `${name}: ${outcomeName(step.outcome)}` : name;
}
