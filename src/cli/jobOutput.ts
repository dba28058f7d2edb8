// What a job left in its result folder, shown the same way by `run`, `module run` and `jobs get`: the job's stdout
// on stdout and its stderr on stderr, then a summary (or, with --json, one JobSummary object), and the exit code the
// command then ends with.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import type { Address } from "viem";
import { formatEther } from "viem/utils";
import type { JobSummary } from "../core/jobSummary.ts";
import { outcomeName } from "../core/outcomeName.ts";
import type { JobResult } from "../job-creator/lilypadClient.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { saveResultFiles } from "./saveResultFiles.ts";
import type { CliContext } from "./context.ts";
import { instructionsJson, instructionsText } from "./describeInstructions.ts";

/**
 * Thrown by `run` and `module run` once everything is printed, when the job ran and exited non-zero: the command
 * then ends with ExitCode.jobFailed (3) and nothing more is said (the job's own code is in the summary).
 */
export class JobExitedNonZero extends Error {
  readonly jobExitCode: number;

  constructor(jobExitCode: number) {
    super(`the job exited with code ${jobExitCode}`);
    this.name = "JobExitedNonZero";
    this.jobExitCode = jobExitCode;
  }
}

export interface JobOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Reads a saved result folder's `exitCode`, `stdout` and `stderr` (a missing file reads as 0 or empty). */
export async function readJobOutput(resultDir: string): Promise<JobOutput> {
  const text = (name: string) => readFile(join(resultDir, name), "utf8").catch(() => "");
  const [code, stdout, stderr] = await Promise.all([text("exitCode"), text("stdout"), text("stderr")]);
  const exitCode = Number.parseInt(code.trim() || "0", 10);
  return { exitCode: Number.isFinite(exitCode) ? exitCode : 0, stdout, stderr };
}

/** The summary's fields that do not come from the result folder itself. */
export type JobFacts = Omit<JobSummary, "exitCode" | "stdout" | "stderr" | "files" | "savedTo" | "instructions" | "metered"> & { instructions: bigint };

/**
 * Prints a finished job from its saved result folder, and throws JobExitedNonZero when the job exited non-zero
 * (after everything is printed), so that the command ends with 3.
 */
export async function reportJob(ctx: CliContext, params: { facts: JobFacts; savedTo: string; json: boolean }): Promise<JobSummary> {
  const output = await readJobOutput(params.savedTo);
  const { instructions, ...facts } = params.facts;
  const summary: JobSummary = {
    ...facts,
    ...instructionsJson({ instructions, engine: facts.engine }),
    ...output,
    savedTo: params.savedTo,
    files: await filesUnder(params.savedTo),
  };
  if (params.json) {
    ctx.stdout(`${JSON.stringify(summary)}\n`);
  } else {
    ctx.stdout(output.stdout);
    if (output.stderr) ctx.stderr(output.stderr.endsWith("\n") ? output.stderr : `${output.stderr}\n`);
    ctx.stderr(`\n${describeSummary(summary)}`);
  }
  if (output.exitCode !== 0) throw new JobExitedNonZero(output.exitCode);
  return summary;
}

/** Saves a job the network ran (its result folder, from `blockstore`) and prints it with reportJob. */
export async function reportNetworkJob(
  ctx: CliContext,
  params: { result: JobResult; publisher: Address | undefined; blockstore: Blockstore; out: string | undefined; json: boolean },
): Promise<JobSummary> {
  const { result, publisher } = params;
  const savedTo = await saveResultFiles({ ctx, blockstore: params.blockstore, root: CID.parse(result.resultCid), out: params.out });
  return await reportJob(ctx, {
    json: params.json,
    savedTo,
    facts: {
      // A module found in a publisher's namespace is named by its full name, as the user typed it.
      module: publisher ? `${publisher}/${result.module}` : result.module,
      moduleCid: result.moduleCid,
      ...(publisher ? { publisher } : {}),
      ranOn: "network",
      dealId: result.dealId,
      provider: result.provider,
      outcome: outcomeName(result.outcome),
      resultCid: result.resultCid,
      engine: result.engine,
      instructions: result.instructions,
      paid: result.paid.toString(),
      elapsedMs: Math.round(result.elapsedMs),
    },
  });
}

function describeSummary(s: JobSummary): string {
  const lines: [string, string | null][] = [
    ["module", `${s.module} (${s.moduleCid})`],
    ["deal", s.dealId],
    ["provider", s.provider],
    ["result", s.resultCid],
    ["saved to", s.savedTo],
    ["exit code", String(s.exitCode)],
    ["instructions", instructionsText({ instructions: BigInt(s.instructions), engine: s.engine })],
    ["paid", s.paid === null ? null : `${formatEther(BigInt(s.paid))} LP`],
    ["took", `${s.elapsedMs} ms`],
  ];
  return lines
    .filter((line): line is [string, string] => line[1] !== null)
    .map(([key, value]) => `${key.padEnd(12)} ${value}\n`)
    .join("");
}

/** Every file under `dir`, as sorted relative paths with '/' separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1).split("\\").join("/"))
    .sort();
}
