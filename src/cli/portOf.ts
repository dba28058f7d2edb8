import { InvalidArgumentError } from "../core/errors.ts";

/** A port flag's value, 0-65535 (0: any free port); `fallback` when the flag was not given. */
export function portOf(argument: string, value: string | undefined, fallback?: number): number {
  const port = Number(value ?? fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError({ argument, message: "must be 0-65535" });
  return port;
}
