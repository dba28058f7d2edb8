// Runs the real CLI (src/cli/main.ts) in this process with a given working directory and environment, capturing
// what it prints. Starting the bin costs seconds of module loading per command; tests that run dozens of commands
// run them here instead. The sandbox still runs each job in its own child process.
import type { CliContext } from "../../src/cli/context.ts";
import { main } from "../../src/cli/main.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CapturedContext {
  ctx: CliContext;
  out: () => string;
  err: () => string;
}

/** A CliContext that keeps what the command prints, for a command run in this process. */
export function captureContext(options: { cwd: string; env: NodeJS.ProcessEnv; homedir?: string }): CapturedContext {
  let stdout = "";
  let stderr = "";
  const ctx: CliContext = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: options.env,
    homedir: options.homedir ?? options.env.HOME ?? "/nonexistent",
    cwd: options.cwd,
    // A test never interrupts a command.
    waitForShutdown: () => new Promise(() => {}),
  };
  return { ctx, out: () => stdout, err: () => stderr };
}

export async function runCliInProcess(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; homedir?: string }): Promise<CliRun> {
  const { ctx, out, err } = captureContext(options);
  const code = await main(argv, ctx);
  return { code, stdout: out(), stderr: err() };
}
