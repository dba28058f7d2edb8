import { LilypadError } from "../core/errors.ts";

/** Exit codes of the CLI. */
/** 0: done; 1: an error (the network, a deal that failed or timed out); 2: bad usage; 3: the job ran and exited non-zero. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, jobFailed: 3 } as const;

export interface ReportErrorParameters {
  error: unknown;
  stderr: (text: string) => void;
  verbose: boolean;
  /** Shown after usage errors, e.g. "run 'lilypad devnet chain --help' for usage". */
  usageHint: string;
}

/**
 * Prints an error the way the CLI shows every failure: `error: <message>`, then a hint, then (with --verbose) the
 * cause chain. Returns the exit code: 2 for errors the user's arguments or inputs caused (`LilypadError.usage`), 1
 * for anything else.
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
    return usage ? ExitCode.usage : ExitCode.failure;
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
