import { homedir } from "node:os";
import type { CliContext } from "./context.ts";

/** The CliContext of the running process: its streams, environment and signals. */
export function processContext(): CliContext {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    homedir: homedir(),
    cwd: process.cwd(),
    waitForShutdown: (onForce) =>
      new Promise((resolve) => {
        let received = false;
        const handler = (signal: NodeJS.Signals) => {
          if (!received) {
            received = true;
            resolve(signal);
          } else if (onForce) onForce();
          else process.exit(130);
        };
        process.on("SIGINT", handler);
        process.on("SIGTERM", handler);
      }),
  };
}
