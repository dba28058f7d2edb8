// Writes the JSON Schema of the module manifest (generated from the zod schema in src/core/moduleManifest.ts)
// for module authors and their editors. It is the schema of what an author writes (artifact optional: the build
// fills it in), which every packaged manifest also satisfies.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { sourceManifestSchema } from "../src/core/moduleManifest.ts";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "docs", "module-manifest.schema.json");
const schema = z.toJSONSchema(sourceManifestSchema, { io: "input", unrepresentable: "any" });
writeFileSync(out, `${JSON.stringify({ ...schema, title: "Lilypad module manifest" }, null, 2)}\n`);
console.log(`lilypad: wrote ${out}`);
