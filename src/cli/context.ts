/** Everything a command touches outside its arguments, so main() can be driven by tests as well as by bin/. */
export interface CliContext {
  /** Writes to standard output (results: summaries, --json). */
  stdout: (text: string) => void;
  /** Writes to standard error (progress, warnings, errors). */
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  cwd: string;
  /**
   * Resolves with the signal name on the first SIGINT or SIGTERM. A second signal while shutting down calls
   * `onForce` (the default exits at once).
   */
  waitForShutdown: (onForce?: () => void) => Promise<string>;
}
