// The indexer's public, read-only JSON API: what the dashboard shows and anyone may query. Every figure here is
// derived from the chain's events (and blocks and receipts), except where a field says it comes from the solver
// (capacity offers, providers online): those are off-chain market data. No job's inputs ever appear here: the
// chain holds only their hash.
//
// On the wire, token amounts, gas and instruction counts are decimal strings (they exceed 2^53); times are unix
// seconds. The dashboard imports only the types of this file, so it depends on zod alone.
import { z } from "zod";

export const INDEXER_API_PREFIX = "/api/v1";
/** Server-sent events: a `snapshot` on connect, then one `update` per indexed range of blocks (at most ~1 per second). */
export const INDEXER_LIVE_PATH = `${INDEXER_API_PREFIX}/live`;

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const txHash = hex32;
/** A non-negative integer of any size, as a decimal string. */
const decimal = z.string().regex(/^\d+$/);
const unixSeconds = z.number().int().nonnegative();

/** Where a deal is in the market's lifecycle (DealState after it opened). */
export const dealPhaseSchema = z.enum(["open", "result_posted", "challenged", "closed"]);
export type DealPhase = z.output<typeof dealPhaseSchema>;

/** How a deal closed (the market's Outcome, by name). */
export const outcomeKeySchema = z.enum(["accepted", "finalized", "provider_right", "provider_wrong", "result_timeout", "mediation_timeout", "declined"]);
export type OutcomeKey = z.output<typeof outcomeKeySchema>;

/** A row of the deals list. */
export const dealSummarySchema = z.object({
  dealId: hex32,
  phase: dealPhaseSchema,
  outcome: outcomeKeySchema.nullable(),
  creator: address,
  provider: address,
  mediator: address,
  moduleId: hex32,
  /** E.g. "cowsay:v1" (catalog or registry name), null when the module id has no known name. */
  moduleName: z.string().nullable(),
  openedAt: unixSeconds,
  openedBlock: z.number().int().nonnegative(),
  closedAt: unixSeconds.nullable(),
  /** The posted metered instruction count (null before a result). */
  instructions: decimal.nullable(),
  /** What the RP was paid (null until closed; "0" when it was not paid). */
  payment: decimal.nullable(),
  /** The result's CID (null before a result). */
  resultCid: z.string().nullable(),
});
export type DealSummary = z.output<typeof dealSummarySchema>;

/** The deal's terms as the market committed to them (DealOpened's packed words, unpacked). */
export const dealTermsSchema = z.object({
  basePrice: decimal,
  pricePerMInstr: decimal,
  paymentCollateral: decimal,
  timeoutCollateral: decimal,
  collateralMultiple: z.number().int(),
  mediationFee: decimal,
  maxInstructions: decimal,
  resultTimeout: z.number().int(),
  judgingWindow: z.number().int(),
  mediationTimeout: z.number().int(),
  lane: z.number().int(),
  callback: z.boolean(),
});
export type DealTerms = z.output<typeof dealTermsSchema>;

export const timelineKindSchema = z.enum(["opened", "result", "challenged", "closed"]);
/** One step of a deal's story, with the transaction that made it. */
export const timelineEntrySchema = z.object({
  kind: timelineKindSchema,
  at: unixSeconds,
  block: z.number().int().nonnegative(),
  tx: txHash,
  /** Gas the whole transaction used (a batch carries many deals), and this deal's share of it. */
  txGasUsed: decimal,
  gasShare: decimal,
  /** For "closed": the outcome; for "challenged": the mediator. */
  outcome: outcomeKeySchema.optional(),
  mediator: address.optional(),
});
export type TimelineEntry = z.output<typeof timelineEntrySchema>;

export const dealDetailSchema = dealSummarySchema.extend({
  inputsHash: hex32,
  terms: dealTermsSchema,
  timeline: z.array(timelineEntrySchema),
  /** The result's output hash (null before a result). */
  outputHash: hex32.nullable(),
  /** Wei of gas the deal's transactions spent, by its share of each. */
  gasUsed: decimal,
  /** The most the JC could have paid (its payment collateral), and what the RP earns at the posted count. */
  maxCost: decimal,
  cost: decimal.nullable(),
  /** Where the result can be fetched from (the provider's registered URL), when known. */
  resultsUrl: z.string().nullable(),
});
export type DealDetail = z.output<typeof dealDetailSchema>;

/** GET /deals: newest first, `before` is the cursor of the page's last row. */
export const listDealsQuerySchema = z.object({
  /** Deal id (or its prefix), an address (creator, provider or mediator), or a module name or id. */
  q: z.string().trim().max(200).optional(),
  phase: dealPhaseSchema.optional(),
  outcome: outcomeKeySchema.optional(),
  provider: address.optional(),
  creator: address.optional(),
  moduleId: hex32.optional(),
  before: z.string().regex(/^\d+$/).max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListDealsQuery = z.output<typeof listDealsQuerySchema>;
export const dealPageSchema = z.object({ deals: z.array(dealSummarySchema), next: z.string().nullable(), total: z.number().int().nonnegative() });
export type DealPage = z.output<typeof dealPageSchema>;

/** A file of a deal's result directory (GET /deals/:id/files). */
export const resultFileSchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), type: z.enum(["text", "image", "binary"]) });
export const resultFilesSchema = z.object({ cid: z.string(), files: z.array(resultFileSchema) });
export type ResultFile = z.output<typeof resultFileSchema>;
export type ResultFiles = z.output<typeof resultFilesSchema>;

/** A provider's standing offer at the solver (off-chain market data, not from the chain). */
export const capacityOfferSchema = z.object({
  cpu: z.number(),
  ramMiB: z.number(),
  gpu: z.number(),
  slots: z.number().int(),
  modules: z.array(hex32),
  basePrice: decimal,
  pricePerMInstr: decimal,
  timeoutCollateral: decimal,
  collateralMultiple: z.number().int(),
  expiresAt: unixSeconds,
  updatedAt: unixSeconds,
});
export type CapacityOffer = z.output<typeof capacityOfferSchema>;

/** A provider's record, from its deals on chain. */
export const reliabilitySchema = z.object({
  deals: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  challenged: z.number().int().nonnegative(),
  /** Ruled against by a mediator. */
  lost: z.number().int().nonnegative(),
  timedOut: z.number().int().nonnegative(),
  declined: z.number().int().nonnegative(),
  /** Accepted, finalized or upheld metered instructions. */
  verifiedInstructions: decimal,
  earned: decimal,
});
export type Reliability = z.output<typeof reliabilitySchema>;

export const providerSummarySchema = z.object({
  address,
  /** Its registered results URL (ServiceRegistry), null when none. */
  url: z.string().nullable(),
  /** Has a live capacity offer at the solver now. */
  online: z.boolean(),
  offer: capacityOfferSchema.nullable(),
  firstSeen: unixSeconds,
  lastSeen: unixSeconds,
  record: reliabilitySchema,
});
export type ProviderSummary = z.output<typeof providerSummarySchema>;
export const providerListSchema = z.object({ providers: z.array(providerSummarySchema) });

/** One bucket of a time series (network-wide or one provider's). */
export const seriesPointSchema = z.object({
  t: unixSeconds,
  opened: z.number().int().nonnegative(),
  closed: z.number().int().nonnegative(),
  paid: decimal,
  gas: decimal,
  instructions: decimal,
});
export type SeriesPoint = z.output<typeof seriesPointSchema>;

export const providerDetailSchema = providerSummarySchema.extend({
  modules: z.array(z.object({ moduleId: hex32, moduleName: z.string().nullable(), runs: z.number().int() })),
  history: z.array(seriesPointSchema),
  recentDeals: z.array(dealSummarySchema),
});
export type ProviderDetail = z.output<typeof providerDetailSchema>;

export const leaderboardPeriodSchema = z.enum(["24h", "7d", "30d", "all"]);
export type LeaderboardPeriod = z.output<typeof leaderboardPeriodSchema>;
export const leaderboardQuerySchema = z.object({ period: leaderboardPeriodSchema.default("all"), limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const leaderboardRowSchema = z.object({
  rank: z.number().int().positive(),
  provider: address,
  points: z.number().int(),
  verifiedInstructions: decimal,
  jobsCompleted: z.number().int().nonnegative(),
  /** Distinct hours with at least one completed job (the "time on the network" term of the points). */
  activeHours: z.number().int().nonnegative(),
  earned: decimal,
  lost: z.number().int().nonnegative(),
  timedOut: z.number().int().nonnegative(),
  challenged: z.number().int().nonnegative(),
});
export type LeaderboardRow = z.output<typeof leaderboardRowSchema>;
export const leaderboardSchema = z.object({
  period: leaderboardPeriodSchema,
  /** Unix seconds the period starts at (0 for all). */
  since: unixSeconds,
  /** The block the figures are up to. */
  asOfBlock: z.number().int().nonnegative(),
  formula: z.string(),
  rows: z.array(leaderboardRowSchema),
});
export type Leaderboard = z.output<typeof leaderboardSchema>;

export const moduleNameEntrySchema = z.object({
  /** The publisher's address; the zero address for governance's bare names; null for the shipped catalog. */
  publisher: address.nullable(),
  name: z.string(),
  version: z.string(),
  /** "registry" (on chain) or "catalog" (shipped with lilypad). */
  source: z.enum(["registry", "catalog"]),
  publishedAt: unixSeconds.nullable(),
  tx: txHash.nullable(),
});
export const moduleSummarySchema = z.object({
  moduleId: hex32,
  names: z.array(moduleNameEntrySchema),
  blocked: z.boolean(),
  blockReason: z.string().nullable(),
  runs: z.number().int().nonnegative(),
  lastRun: unixSeconds.nullable(),
});
export type ModuleSummary = z.output<typeof moduleSummarySchema>;
export const moduleListSchema = z.object({ modules: z.array(moduleSummarySchema) });

/** The network overview: totals now, and the figures the dashboard plots. */
export const networkStatsSchema = z.object({
  chainId: z.number().int().positive(),
  /** The newest block indexed, the chain's head when last read, and the head's time. */
  indexedBlock: z.number().int().nonnegative(),
  headBlock: z.number().int().nonnegative(),
  lagBlocks: z.number().int().nonnegative(),
  deals: z.object({ total: z.number().int(), byPhase: z.record(dealPhaseSchema, z.number().int()), byOutcome: z.record(outcomeKeySchema, z.number().int()) }),
  /** Deals closed per second over the last minute of chain time. */
  jobsPerSecond: z.number().nonnegative(),
  providers: z.object({ known: z.number().int(), online: z.number().int() }),
  /** Summed over the live capacity offers at the solver. */
  capacity: z.object({ cpu: z.number(), ramMiB: z.number(), gpu: z.number(), slots: z.number().int() }),
  paid: decimal,
  gasUsed: decimal,
  verifiedInstructions: decimal,
  /** Per-minute buckets of the last hour of chain time (oldest first). */
  series: z.array(seriesPointSchema),
});
export type NetworkStats = z.output<typeof networkStatsSchema>;

/** An SSE `update`: the new overview and the deals that changed since the last one (newest first, at most 50). */
export const liveUpdateSchema = z.object({ stats: networkStatsSchema, deals: z.array(dealSummarySchema) });
export type LiveUpdate = z.output<typeof liveUpdateSchema>;
