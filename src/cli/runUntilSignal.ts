import type { CliContext } from "./context.ts";

/** How long a role may take to shut down after SIGINT/SIGTERM. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Starts a long-running role, keeps it up until SIGINT/SIGTERM, then closes it (a second signal exits at once).
 * Signals are watched from the start, so Ctrl-C during startup still closes whatever started.
 */
export async function runUntilSignal(ctx: CliContext, name: string, start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  const shutdown = ctx.waitForShutdown(() => {
    ctx.stderr("second signal: exiting without waiting\n");
    process.exit(1);
  });
  const running = await start();
  const signal = await shutdown;
  ctx.stderr(`${signal}: stopping ${name}…\n`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      running.close(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not stop within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  ctx.stderr(`${name} stopped\n`);
}
