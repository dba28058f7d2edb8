// Structured logs (pino): one JSON line per event, with the role on every line and the deal id on a job's lines.
import { pino, type Logger } from "pino";

export type { Logger };

export interface CreateLoggerParameters {
  role: string;
  /** "silent" in tests and for the embedded network unless --verbose. */
  level?: string;
  /** Where lines go (default stderr). */
  write?: (line: string) => void;
}

export function createLogger(params: CreateLoggerParameters): Logger {
  const write = params.write ?? ((line: string) => process.stderr.write(line));
  return pino({ level: params.level ?? "info", base: { role: params.role } }, { write });
}
