// Writes the JSON Schemas generated from the zod schemas in src/core/: the module manifest (for module authors and
// their editors) and the job summary that `run`, `module run` and `jobs get` print with --json (for scripts).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { jobSummarySchema } from "../src/core/jobSummary.ts";
import { moduleManifestSchema } from "../src/core/moduleManifest.ts";

const docs = join(dirname(fileURLToPath(import.meta.url)), "..", "docs");
const schemas: [string, string, z.ZodType, "input" | "output"][] = [
  ["module-manifest.schema.json", "Lilypad module manifest", moduleManifestSchema, "input"],
  ["job-summary.schema.json", "Lilypad job summary (run, module run and jobs get with --json)", jobSummarySchema, "output"],
];
for (const [file, title, schema, io] of schemas) {
  const out = join(docs, file);
  writeFileSync(out, `${JSON.stringify({ ...z.toJSONSchema(schema, { io, unrepresentable: "any" }), title }, null, 2)}\n`);
  console.log(`lilypad: wrote ${out}`);
}
