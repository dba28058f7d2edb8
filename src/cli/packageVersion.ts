import { readFileSync } from "node:fs";
import { z } from "zod";

const packageJsonSchema = z.object({ version: z.string().min(1) });

/** The `version` field of the repository's package.json. */
export function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return packageJsonSchema.parse(JSON.parse(text)).version;
}
