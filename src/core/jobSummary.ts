// What `lilypad run --json`, `lilypad module run --json` and `lilypad jobs get --json` print: one object, one
// schema, whether the job went through the market or ran in the local sandbox. `npm run build:schema` publishes it
// as docs/job-summary.schema.json for scripts that read it.
import { z } from "zod";
import { moduleEngineSchema } from "./moduleManifest.ts";
import { addressSchema, bytes32Schema } from "./primitives.ts";

const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "a whole number in decimal");

export const jobSummarySchema = z
  .object({
    /** `name:version`, or `0x<publisher>/name:version` for a module found in a publisher's namespace. */
    module: z.string(),
    /** The module's CID (the CID of its manifest). */
    moduleCid: z.string(),
    publisher: addressSchema.optional(),
    /** Where the job ran: on a network through a deal, or in this machine's sandbox (`module run`). */
    ranOn: z.enum(["network", "local"]),
    /** The deal on chain (null for a local run). */
    dealId: bytes32Schema.nullable(),
    /** The resource provider that ran it (null for a local run). */
    provider: addressSchema.nullable(),
    /** How the deal closed: accepted, rejected, … (null for a local run). */
    outcome: z.string().nullable(),
    /** The result folder's CID: the same bytes give the same CID wherever the job ran. */
    resultCid: z.string(),
    /** The job's own exit code. The command exits 3 when it is not 0. */
    exitCode: z.number().int(),
    /** The job's stdout and stderr, in full (also saved as files in `savedTo`). */
    stdout: z.string(),
    stderr: z.string(),
    /** Where the result folder was saved, and the paths of the files in it (relative, sorted). */
    savedTo: z.string(),
    files: z.array(z.string()),
    /** The module's engine: wasm runs are metered; js runs (ocr, classify) are not, and are priced per run. */
    engine: moduleEngineSchema,
    /** Instructions the metered sandbox counted, in decimal; "0" when the engine is not metered (see `metered`). */
    instructions: decimal,
    /** Whether `instructions` was counted: only wasm modules are metered; js modules are priced per run. */
    metered: z.boolean(),
    /** What the creator paid the provider, in wei (null for a local run). */
    paid: decimal.nullable(),
    /** Wall-clock milliseconds: from submitting to a verified result, or the local run. */
    elapsedMs: z.number().int().nonnegative(),
  })
  .strict();
export type JobSummary = z.output<typeof jobSummarySchema>;
