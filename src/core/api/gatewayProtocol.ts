// The gateway's HTTP API (src/job-creator/gateway.ts): request bodies and responses, the one source of truth for the
// gateway, its clients and the tests. Wire format: JSON, bigints as decimal strings.
import { CID } from "multiformats/cid";
import { z } from "zod";
import { InvalidModuleNameError, parseModuleName, type ModuleName } from "../moduleName.ts";
import { addressSchema, bytes32Schema } from "../primitives.ts";
import { jobInputsSchema } from "./solverProtocol.ts";

export const GATEWAY_API_PREFIX = "/api/v1";

/** Stdout bytes carried inline in a job's JSON; the whole file is always at `result.filesUrl + "/stdout"`. */
export const GATEWAY_INLINE_STDOUT_BYTES = 64 * 1024;

function isCid(value: string): boolean {
  try {
    CID.parse(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A module an app may ask for, in every form the CLI takes but a folder: NAME:VERSION (the network's own modules),
 * 0x<publisher>/NAME:VERSION (a published module), or a module CID; names are parsed as the CLI parses them
 * (parseModuleName). Never a folder: the job creator's resolver packages local folders, and a remote caller must not
 * reach the gateway's file system.
 */
export const gatewayModuleRefSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((ref, ctx) => {
    let name: ModuleName | undefined;
    try {
      name = parseModuleName(ref);
    } catch (error) {
      if (!(error instanceof InvalidModuleNameError)) throw error;
      ctx.addIssue({ code: "custom", message: `${error.message}${error.hint ? ` (${error.hint})` : ""}` });
      return;
    }
    if (name === undefined && !isCid(ref)) {
      ctx.addIssue({ code: "custom", message: "must be NAME:VERSION (e.g. cowsay:v1), 0x<publisher>/NAME:VERSION or a module CID" });
    }
  });

/** `POST /api/v1/jobs`. Unknown fields are refused, so a misspelt "input" is a 400 rather than a job with defaults. */
export const createJobBodySchema = z.strictObject({
  module: gatewayModuleRefSchema,
  inputs: jobInputsSchema.default({}),
  /** Probability (0-1) that the gateway sends the result to the mediator as a spot check. */
  mediationChance: z.number().min(0).max(1).optional(),
});
export type CreateJobBody = z.output<typeof createJobBodySchema>;

export const gatewayJobStatusSchema = z.enum(["running", "succeeded", "failed"]);
export type GatewayJobStatus = z.output<typeof gatewayJobStatusSchema>;

/** One step of a job (the SDK's JobEvent, flattened): `at` is milliseconds since the epoch. */
export const gatewayJobEventSchema = z.object({
  type: z.string(),
  at: z.number(),
  detail: z.string().optional(),
});
export type GatewayJobEvent = z.output<typeof gatewayJobEventSchema>;

const decimalSchema = z.string().regex(/^\d+$/, { message: "must be a decimal integer" });

export const gatewayJobResultSchema = z.object({
  resultCid: z.string(),
  /** The job's standard output as UTF-8, at most GATEWAY_INLINE_STDOUT_BYTES of it (see stdoutTruncated). */
  stdout: z.string(),
  stdoutTruncated: z.boolean().optional(),
  /** Instructions the job ran (decimal). */
  instructions: decimalSchema,
  /** What the gateway's account paid the provider, in wei (decimal). */
  paid: decimalSchema,
  provider: addressSchema,
  /** The deal's outcome on chain (IDealTypes.Outcome: 0 accepted, 2 provider right after a spot check, ...). */
  outcome: z.number().int(),
  /** The result directory on this gateway, e.g. "/ipfs/<cid>"; files under it, e.g. "/ipfs/<cid>/stdout". */
  filesUrl: z.string(),
});
export type GatewayJobResult = z.output<typeof gatewayJobResultSchema>;

export const gatewayErrorSchema = z.object({ code: z.string(), message: z.string() });
export type GatewayError = z.output<typeof gatewayErrorSchema>;

export const gatewayJobSchema = z.object({
  /** The deal id; also the path of `GET /api/v1/jobs/:id`. */
  id: z.string(),
  module: z.string(),
  status: gatewayJobStatusSchema,
  dealId: bytes32Schema.optional(),
  events: z.array(gatewayJobEventSchema),
  result: gatewayJobResultSchema.optional(),
  error: gatewayErrorSchema.optional(),
  /** Milliseconds since the epoch. */
  createdAt: z.number(),
  finishedAt: z.number().optional(),
});
export type GatewayJob = z.output<typeof gatewayJobSchema>;
/** A job as it is sent, before zod's transforms (checksummed addresses, lowercase hex). */
export type GatewayJobWire = z.input<typeof gatewayJobSchema>;

/** `GET /api/v1/jobs?limit=N&status=S`: newest first. */
export const listJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  status: gatewayJobStatusSchema.optional(),
});

export const gatewayJobListSchema = z.object({ jobs: z.array(gatewayJobSchema) });

export const gatewayHealthSchema = z.object({
  ok: z.literal(true),
  /** The funded account that pays for every job. */
  payer: addressSchema,
  jobs: z.object({ running: z.number().int(), kept: z.number().int() }),
});

/** One readable line from a zod error: the first few issues with their paths. */
export function describeGatewayZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
}
