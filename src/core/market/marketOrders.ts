// What the solver holds off chain: job requests from job creators and capacity offers from resource providers.
// These schemas are the single source of truth; the types below are derived from them.
import { z } from "zod";
import { MAX_MEDIATORS, ZERO_ADDRESS } from "../dealTypes.ts";
import { moduleEngineSchema } from "../moduleManifest.ts";
import { addressSchema, bytes32Schema, uintSchema } from "../primitives.ts";

/**
 * The engines a provider runs when its offer does not say: the two every lilypad has. A container engine needs podman,
 * so a provider offers it only when it has it (docs/containers.md).
 */
export const DEFAULT_ENGINES = ["wasm", "js"] as const;
/** The engines a provider runs: no repeats. */
export const enginesSchema = z
  .array(moduleEngineSchema)
  .min(1)
  .max(8)
  .refine((list) => new Set(list).size === list.length, { message: "engines must not repeat" });

/** A unix time in seconds. */
const unixSecondsSchema = z.number().int().nonnegative();

/** A list of addresses without repeats (compared case-insensitively; the address schema checksums them). */
const distinctAddresses = (list: readonly string[]) => new Set(list).size === list.length;

/** What a job needs from a resource provider; same units and bounds as a module manifest's `resources`. */
export const jobResourcesSchema = z.object({
  /** CPU cores; fractions allowed (0.5 = half a core). */
  cpu: z.number().positive().max(256),
  ramMiB: z.number().int().positive().max(1 << 20),
  gpu: z.number().int().nonnegative().max(16),
  diskMiB: z.number().int().nonnegative().max(1 << 24),
});
export type JobResources = z.output<typeof jobResourcesSchema>;

/** What a resource provider has free right now. */
export const freeCapacitySchema = z.object({
  cpu: z.number().nonnegative().max(1 << 16),
  ramMiB: z.number().int().nonnegative().max(1 << 30),
  gpu: z.number().int().nonnegative().max(1 << 10),
  diskMiB: z.number().int().nonnegative().max(2 ** 40),
});
export type FreeCapacity = z.output<typeof freeCapacitySchema>;

/** A job creator's request, waiting in the solver for a resource provider. */
export const jobRequestSchema = z.object({
  id: z.string().min(1).max(200),
  creator: addressSchema,
  moduleId: bytes32Schema,
  /** The module's engine (from its manifest; a creator that lies about it is declined by the provider). */
  engine: moduleEngineSchema.default("wasm"),
  resources: jobResourcesSchema,
  /** The most the creator pays per run, in wei. */
  maxBasePrice: uintSchema(96),
  /** The most the creator pays per million instructions, in wei. */
  maxPricePerMInstr: uintSchema(96),
  /** The mediators the creator trusts: 1-4, no repeats. */
  mediators: z
    .array(addressSchema.refine((a) => a !== ZERO_ADDRESS, { message: "a mediator cannot be the zero address" }))
    .min(1)
    .max(MAX_MEDIATORS)
    .refine(distinctAddresses, { message: "mediators must not repeat" }),
  /** Only this provider may take the job; the zero address (as on chain) means any provider. */
  targetProvider: addressSchema
    .optional()
    .transform((a) => (a === undefined || a === ZERO_ADDRESS ? undefined : a)),
  /** After this unix time (seconds) the job is no longer matched. */
  deadline: unixSecondsSchema,
  /** When the solver received the job (unix seconds or finer); older jobs are matched first. */
  createdAt: z.number().nonnegative(),
});
export type JobRequest = z.output<typeof jobRequestSchema>;
export type JobRequestInput = z.input<typeof jobRequestSchema>;

/**
 * A resource provider's off-chain capacity offer. (Not the on-chain `ResourceOffer` it signs per deal, which
 * names one job offer; this one says what the provider can take on now.)
 */
export const capacityOfferSchema = z.object({
  id: z.string().min(1).max(200),
  provider: addressSchema,
  free: freeCapacitySchema,
  /** How many more jobs it takes now. */
  slots: z.number().int().nonnegative().max(1 << 20),
  /** The module ids it runs; an empty list means any module. */
  modules: z.array(bytes32Schema).max(10_000),
  /** The engines it runs. */
  engines: enginesSchema.default([...DEFAULT_ENGINES]),
  /** Asked per run, in wei. */
  basePrice: uintSchema(96),
  /** Asked per million instructions, in wei. */
  pricePerMInstr: uintSchema(96),
  /** The mediators the provider trusts. */
  mediators: z.array(addressSchema).min(1).max(256),
  /** The offer lapses at this unix time (seconds). */
  expiresAt: unixSecondsSchema,
});
export type CapacityOffer = z.output<typeof capacityOfferSchema>;
export type CapacityOfferInput = z.input<typeof capacityOfferSchema>;
