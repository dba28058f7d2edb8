// What a job left in its result folder for a script to see: its exit code, stdout and stderr (the same files for
// `run` and `module run`), and the exit code the command then ends with.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

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
