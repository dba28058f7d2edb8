// The solver's API: HTTP bodies and WebSocket messages, the one source of truth for the solver, the resource
// provider, the job creator SDK, the mediator and the tests. Wire format: JSON, bigints as decimal strings.
import { z } from "zod";
import { jobOfferSchema, resourceOfferSchema, resultSchema, signatureSchema } from "../dealTypes.ts";
import { DEFAULT_ENGINES, enginesSchema, freeCapacitySchema, jobResourcesSchema } from "../market/marketOrders.ts";
import { moduleEngineSchema } from "../moduleManifest.ts";
import { addressSchema, bytes32Schema, uintSchema } from "../primitives.ts";
import { requestAuthSchema } from "./requestAuth.ts";

export const API_PREFIX = "/api/v1";

/** Module inputs after resolution against the manifest: the offer commits to keccak256(canonical JSON). */
export const jobInputsSchema = z.record(z.string().max(64), z.union([z.string().max(1 << 20), z.number(), z.boolean()]));

/** Where a job is, as the solver knows it (it follows the chain for the later states). */
export const JobStatus = {
  queued: "queued",
  matched: "matched",
  open: "open",
  resultPosted: "result-posted",
  challenged: "challenged",
  closed: "closed",
  failed: "failed",
  /** Its creator revoked the offer on chain (`revokeOffers`) before any deal opened: it can never open one. */
  revoked: "revoked",
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export const jobStatusSchema = z.enum(Object.values(JobStatus) as [JobStatus, ...JobStatus[]]);

/** POST /api/v1/jobs: a signed job offer and what the RP needs to run it. */
export const submitJobBodySchema = z.object({
  offer: jobOfferSchema,
  /** The creator's EIP-712 signature (ignored for contract creators, which approve through EIP-1271). */
  signature: signatureSchema,
  inputs: jobInputsSchema,
  resources: jobResourcesSchema,
  /** The module's engine, so that only providers that run it are asked (default wasm, as before engines were named). */
  engine: moduleEngineSchema.default("wasm"),
  /** Unix seconds: after this the job stops waiting for a provider and fails. At most the offer's expiry. */
  deadline: z.number().int().positive(),
});
export type SubmitJobBody = z.output<typeof submitJobBodySchema>;
export type SubmitJobBodyInput = z.input<typeof submitJobBodySchema>;

/** PUT /api/v1/capacity: a resource provider's standing offer (replaces its previous one). */
export const capacityBodySchema = z.object({
  free: freeCapacitySchema,
  slots: z.number().int().nonnegative().max(1 << 20),
  modules: z.array(bytes32Schema).max(10_000),
  /** The engines the provider runs (default wasm and js). */
  engines: enginesSchema.default([...DEFAULT_ENGINES]),
  basePrice: uintSchema(96),
  pricePerMInstr: uintSchema(96),
  timeoutCollateral: uintSchema(96),
  collateralMultiple: z.number().int().min(1).max(65_535),
  mediators: z.array(addressSchema).min(1).max(256),
  /** Unix seconds; the provider refreshes the offer before then. */
  expiresAt: z.number().int().positive(),
  /** Where the provider serves results: GET <resultsUrl>/<cid>.car and /<cid>/<path>. */
  resultsUrl: z.url(),
});
export type CapacityBody = z.output<typeof capacityBodySchema>;
export type CapacityBodyInput = z.input<typeof capacityBodySchema>;

/**
 * GET /api/v1/capacity (public): every provider's standing offer the solver holds, and whether the provider is
 * online (connected and its offer unexpired). Offers are market data the solver matches on, not secrets.
 */
export const capacityListingSchema = z.object({
  offers: z.array(z.object({ provider: addressSchema, offer: capacityBodySchema, updatedAt: z.number(), online: z.boolean() })),
});
export type CapacityListing = z.output<typeof capacityListingSchema>;

/** What GET /api/v1/jobs/:dealId returns. */
export const jobRecordSchema = z.object({
  dealId: bytes32Schema,
  creator: addressSchema,
  submitter: addressSchema,
  moduleId: bytes32Schema,
  inputs: jobInputsSchema,
  status: jobStatusSchema,
  /** Why the job failed or was revoked, when it was. */
  reason: z.string().optional(),
  code: z.string().optional(),
  provider: addressSchema.optional(),
  /** The deal's packed terms, as DealOpened emitted them. */
  deal: z.array(uintSchema(256)).length(5).optional(),
  result: resultSchema.optional(),
  resultsUrl: z.string().optional(),
  outcome: z.number().int().optional(),
  openTx: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type JobRecord = z.output<typeof jobRecordSchema>;

/**
 * GET /api/v1/jobs: the newest `limit` of the signer's jobs, as creator or provider; `status` (a comma-separated
 * list), `moduleId` and `since` (unix seconds, submitted at or after) narrow them before the limit applies.
 */
export const listSolverJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  status: z
    .string()
    .transform((v) => v.split(","))
    .pipe(z.array(jobStatusSchema).max(16))
    .optional(),
  moduleId: bytes32Schema.optional(),
  since: z.coerce.number().nonnegative().optional(),
});

/**
 * One step of a job's story as the solver saw it: `submitted`, then each status it took, at the solver's clock
 * (unix seconds); a step the chain made carries its transaction, and `closed` the deal's outcome.
 */
export const jobTimelineEntrySchema = z.object({
  event: z.union([z.literal("submitted"), jobStatusSchema]),
  at: z.number(),
  txHash: bytes32Schema.optional(),
  outcome: z.number().int().optional(),
});
export type JobTimelineEntry = z.output<typeof jobTimelineEntrySchema>;

/**
 * The job offer as the solver stores it (for the mediator and for `jobs show`), and the job's timeline (absent from
 * solvers older than it, and empty for jobs they took).
 */
export const storedJobSchema = z.object({ record: jobRecordSchema, offer: jobOfferSchema, timeline: z.array(jobTimelineEntrySchema).optional() });
export type StoredJob = z.output<typeof storedJobSchema>;

/** Where a line of a job's log came from: the provider's own status lines, or the job's standard streams. */
export const logStreamSchema = z.enum(["status", "stdout", "stderr"]);
export type LogStream = z.output<typeof logStreamSchema>;

/**
 * GET /api/v1/jobs/:dealId/logs?after=N: the entries numbered above N, in order. A status entry is one line; a
 * stdout or stderr entry is a chunk of the job's output as it ran (not cut at line ends), bounded per job.
 */
export const jobLogEntrySchema = z.object({ seq: z.number().int().nonnegative(), at: z.number(), stream: logStreamSchema, line: z.string() });
export type JobLogEntry = z.output<typeof jobLogEntrySchema>;
export const jobLogsAnswerSchema = z.object({ lines: z.array(jobLogEntrySchema) });

// ---- WebSocket: GET /api/v1/events ----

/** The first message on a socket: proves the client holds the key of the address whose events it wants. */
export const helloMessageSchema = z.object({ type: z.literal("hello"), auth: requestAuthSchema });

/** The path and body a hello's signature covers. */
export const EVENTS_PATH = `${API_PREFIX}/events`;
export const HELLO_REQUEST = { method: "GET", path: EVENTS_PATH, body: "hello" } as const;

/** Solver to RP: a job fits your offer; sign a resource offer for it at these terms (or decline). */
export const dealProposalSchema = z.object({
  type: z.literal("deal.proposal"),
  dealId: bytes32Schema,
  offer: jobOfferSchema,
  inputs: jobInputsSchema,
  resource: resourceOfferSchema,
});
export type DealProposal = z.output<typeof dealProposalSchema>;

/** Solver to both parties: the deal is open on chain. */
export const dealOpenedSchema = z.object({
  type: z.literal("deal.opened"),
  dealId: bytes32Schema,
  provider: addressSchema,
  creator: addressSchema,
  deal: z.array(uintSchema(256)).length(5),
  txHash: z.string(),
});
export type DealOpenedMessage = z.output<typeof dealOpenedSchema>;

/** Solver to the JC (and the RP for its deals): the job's status changed. */
export const jobUpdateSchema = z.object({
  type: z.literal("job.update"),
  dealId: bytes32Schema,
  status: jobStatusSchema,
  code: z.string().optional(),
  reason: z.string().optional(),
});
export type JobUpdateMessage = z.output<typeof jobUpdateSchema>;

/** RP to solver to JC: the result is on chain and served here. */
export const resultReadySchema = z.object({
  type: z.literal("result.ready"),
  dealId: bytes32Schema,
  result: resultSchema,
  resultsUrl: z.url(),
});
export type ResultReadyMessage = z.output<typeof resultReadySchema>;

/** RP to solver to JC: a line of the job's log. */
export const jobLogSchema = z.object({
  type: z.literal("job.log"),
  dealId: bytes32Schema,
  line: z.string().max(4096),
});
export type JobLogMessage = z.output<typeof jobLogSchema>;

/** The most characters of output one `job.output` message carries. */
export const MAX_OUTPUT_CHUNK = 4096;

/**
 * RP to solver: a chunk of the job's stdout or stderr while it runs, so that its creator can follow it. Only a
 * preview: the solver keeps a bounded amount per job, and the whole output is in the result.
 */
export const jobOutputSchema = z.object({
  type: z.literal("job.output"),
  dealId: bytes32Schema,
  stream: z.enum(["stdout", "stderr"]),
  data: z.string().min(1).max(MAX_OUTPUT_CHUNK),
});
export type JobOutputMessage = z.output<typeof jobOutputSchema>;

/** RP to solver: the signed resource offer for a proposal. */
export const proposalSignedSchema = z.object({
  type: z.literal("proposal.signed"),
  dealId: bytes32Schema,
  resource: resourceOfferSchema,
  signature: signatureSchema,
});

/** RP to solver: it will not take this job (busy, module refused...). */
export const proposalDeclinedSchema = z.object({
  type: z.literal("proposal.declined"),
  dealId: bytes32Schema,
  reason: z.string().max(500),
});

/** Client to solver: the same job body as POST /api/v1/jobs, over the already authenticated socket. */
export const jobSubmitSchema = z.object({
  type: z.literal("job.submit"),
  /** Echoed in the answer (job.submitted or error). */
  requestId: z.string().min(1).max(64),
  job: submitJobBodySchema,
});

/** Solver to client: the job was queued (or was already). */
export const jobSubmittedSchema = z.object({ type: z.literal("job.submitted"), requestId: z.string(), record: jobRecordSchema });

/** Anything a client may send after its hello. */
export const clientMessageSchema = z.discriminatedUnion("type", [
  jobSubmitSchema,
  proposalSignedSchema,
  proposalDeclinedSchema,
  resultReadySchema,
  jobLogSchema,
  jobOutputSchema,
]);
export type ClientMessage = z.output<typeof clientMessageSchema>;

/** Errors the solver sends on a socket instead of closing it. */
export const socketErrorSchema = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
  /** The request this answers, when it answers one. */
  requestId: z.string().optional(),
});

export const serverMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("welcome"), address: addressSchema }),
  jobSubmittedSchema,
  dealProposalSchema,
  dealOpenedSchema,
  jobUpdateSchema,
  resultReadySchema,
  jobLogSchema,
  socketErrorSchema,
]);
export type ServerMessage = z.output<typeof serverMessageSchema>;

/** The body of every error answer: a stable code and one sentence. */
/** GET /health: which chain and market the solver serves, and its chain address (the submitter of its deals). */
export const solverHealthSchema = z.object({ ok: z.literal(true), chainId: z.number().int().positive(), market: addressSchema, solver: addressSchema });
export type SolverHealth = z.output<typeof solverHealthSchema>;

export const apiErrorSchema = z.object({ code: z.string(), message: z.string() });
