// Writes the JSON Schemas generated from the zod schemas in src/core/: the module manifest (for module authors and
// their editors: what an author writes, artifact optional since the build fills it in, which every packaged
// manifest also satisfies) and the job summary that `run`, `module run` and `jobs get` print with --json (for scripts).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { jobSummarySchema } from "../src/core/jobSummary.ts";
import { sourceManifestSchema } from "../src/core/moduleManifest.ts";

const docs = join(dirname(fileURLToPath(import.meta.url)), "..", "docs");
const schemas: [string, string, z.ZodType, "input" | "output"][] = [
  ["module-manifest.schema.json", "Lilypad module manifest", sourceManifestSchema, "input"],
  ["job-summary.schema.json", "Lilypad job summary (run, module run and jobs get with --json)", jobSummarySchema, "output"],
];
for (const [file, title, schema, io] of schemas) {
  const out = join(docs, file);
  writeFileSync(out, `${JSON.stringify({ ...z.toJSONSchema(schema, { io, unrepresentable: "any" }), title }, null, 2)}\n`);
  console.log(`lilypad: wrote ${out}`);
}
