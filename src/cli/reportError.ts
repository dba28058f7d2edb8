import { LilypadError } from "../core/errors.ts";
import { JobFailedError } from "../job-creator/errors.ts";

/**
 * Exit codes of the CLI, for scripts (the README lists them): 0 done; 1 any other error; 2 bad usage (the command
 * line or the inputs); 3 the job ran and exited non-zero; 4 the chain or the solver did not answer; 5 the job's deal
 * failed or timed out (no result, declined, revoked, or the result was found wrong).
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, jobFailed: 3, unreachable: 4, dealFailed: 5 } as const;

/** The codes of errors saying that a chain or a solver did not answer (explainConnectionFailure makes them). */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(["RPC_UNREACHABLE", "SOLVER_UNREACHABLE"]);

/** The exit code a LilypadError ends the command with. */
export function exitCodeOf(error: LilypadError): number {
  if (error.usage) return ExitCode.usage;
  if (UNREACHABLE_CODES.has(error.code)) return ExitCode.unreachable;
  if (error instanceof JobFailedError) return ExitCode.dealFailed;
  return ExitCode.failure;
}

export interface ReportErrorParameters {
  error: unknown;
  stderr: (text: string) => void;
  verbose: boolean;
  /** Shown after usage errors, e.g. "run 'lilypad devnet chain --help' for usage". */
  usageHint: string;
}

/**
 * Prints an error the way the CLI shows every failure: `error: <message>`, then a hint, then (with --verbose) the
 * cause chain. Returns the exit code (exitCodeOf; 1 for an error that is not a LilypadError).
 */
export function reportError({ error, stderr, verbose, usageHint }: ReportErrorParameters): number {
  if (error instanceof LilypadError) {
    stderr(`error: ${error.message}\n`);
    // InvalidArgumentError, InvalidInputError, a module name that names nothing: the user's arguments are at fault.
    const usage = error.usage;
    const hint = error.hint ?? (usage ? usageHint : undefined);
    if (hint) stderr(`hint: ${hint}\n`);
    if (verbose) {
      stderr(`code: ${error.code}\n`);
      for (const cause of causes(error)) stderr(`caused by: ${describe(cause)}\n`);
    } else if (error.cause !== undefined) {
      stderr("(run with --verbose for details)\n");
    }
    return exitCodeOf(error);
  }
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  stderr(`error: unexpected internal error: ${message}\n`);
  if (verbose) {
    stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    for (const cause of causes(error)) stderr(`caused by: ${describe(cause)}\n`);
  } else {
    stderr("(run with --verbose for the stack trace)\n");
  }
  return ExitCode.failure;
}

function* causes(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>([error]);
  let current = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && !seen.has(current)) {
    yield current;
    seen.add(current);
    current = current instanceof Error ? current.cause : undefined;
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as NodeJS.ErrnoException).code;
  return `${cause.name}${typeof code === "string" ? ` [${code}]` : ""}: ${cause.message}`;
}
