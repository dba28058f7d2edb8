// The --json summary of run, module run and jobs get: one schema, published as JSON Schema for scripts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { z } from "zod";
import { jobSummarySchema } from "../../src/core/jobSummary.ts";

describe("job summary schema", () => {
  it("the committed JSON Schema is the one generated from the zod schema", () => {
    const generated = z.toJSONSchema(jobSummarySchema, { io: "output", unrepresentable: "any" });
    const committed = JSON.parse(readFileSync(new URL("../../docs/job-summary.schema.json", import.meta.url), "utf8"));
    assert.deepEqual({ ...committed, title: undefined }, { ...JSON.parse(JSON.stringify(generated)), title: undefined });
  });

  it("refuses a summary missing a field or carrying an unknown one", () => {
    const local = {
      module: "cowsay:v1",
      moduleCid: "bafkreiabc",
      ranOn: "local",
      dealId: null,
      provider: null,
      outcome: null,
      resultCid: "bafybeiabc",
      exitCode: 0,
      stdout: "moo\n",
      stderr: "",
      savedTo: "/tmp/x",
      files: ["exitCode", "stdout"],
      engine: "wasm",
      instructions: "15758",
      metered: true,
      paid: null,
      elapsedMs: 12,
    };
    assert.deepEqual(jobSummarySchema.parse(local), local);
    assert.throws(() => jobSummarySchema.parse({ ...local, exitCode: undefined }));
    assert.throws(() => jobSummarySchema.parse({ ...local, durationMs: 12 }), /durationMs/);
    assert.throws(() => jobSummarySchema.parse({ ...local, instructions: "1e3" }));
  });
});
