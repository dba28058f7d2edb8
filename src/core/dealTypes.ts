// The shapes that cross the chain boundary, mirroring contracts/interfaces/IDealTypes.sol field for field.
// One source of truth for the solver, the nodes, the CLI, the SDK and the tests.
import type { Address } from "viem";
import { z } from "zod";
import { addressSchema, bytes32Schema, smallUintSchema, uintSchema } from "./primitives.ts";

export const MAX_MEDIATORS = 4;
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as const;

/** 1-4 trusted mediators, normalised to what the market requires: ascending, no repeats, zero-padded to 4. */
const mediatorsSchema = z
  .array(addressSchema)
  .min(1)
  .max(MAX_MEDIATORS)
  .transform((list) => {
    const sorted = [...new Set(list.filter((a) => a !== ZERO_ADDRESS))].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    return [...sorted, ...Array(MAX_MEDIATORS - sorted.length).fill(ZERO_ADDRESS)] as [Address, Address, Address, Address];
  })
  .refine((list) => list[0] !== ZERO_ADDRESS, { message: "at least one mediator" });

/** Protocol floors on a job offer's timeouts (LilypadMarket's MIN_* constants), and their ceiling. */
export const TIMEOUT_LIMITS = {
  resultTimeout: { min: 60, max: 30 * 24 * 3600 },
  judgingWindow: { min: 60, max: 30 * 24 * 3600 },
  mediationTimeout: { min: 600, max: 30 * 24 * 3600 },
} as const;

const timeoutSchema = (name: keyof typeof TIMEOUT_LIMITS) =>
  smallUintSchema(32)
    .min(TIMEOUT_LIMITS[name].min, { message: `${name} must be at least ${TIMEOUT_LIMITS[name].min} s (the protocol's floor)` })
    .max(TIMEOUT_LIMITS[name].max, { message: `${name} must be at most 30 days` });

export const jobOfferSchema = z.object({
  creator: addressSchema,
  moduleId: bytes32Schema,
  inputsHash: bytes32Schema,
  maxBasePrice: uintSchema(96),
  maxPricePerMInstr: uintSchema(96),
  paymentCollateral: uintSchema(96),
  mediationFee: uintSchema(96),
  minTimeoutCollateral: uintSchema(96),
  minCollateralMultiple: smallUintSchema(16),
  mediators: mediatorsSchema,
  targetProvider: addressSchema,
  resultTimeout: timeoutSchema("resultTimeout"),
  judgingWindow: timeoutSchema("judgingWindow"),
  mediationTimeout: timeoutSchema("mediationTimeout"),
  callback: z.boolean(),
  /** The creator's deal lane: one deal at a time; its storage slot is reused by the next deal. */
  lane: smallUintSchema(32),
  /** Must exceed the lane's last sequence number (the replay guard). */
  seq: smallUintSchema(32).min(1),
  expiry: uintSchema(64),
  /** The most instructions a result may claim, and so the most the market prices; 0 for per-run pricing. */
  maxInstructions: uintSchema(64),
  /**
   * The only account that may open the deal (the creator's solver); zero for anyone. Signed, never sent: the market
   * hashes the offer with its caller as the submitter, so the contract's JobOffer struct has no such field.
   */
  submitter: addressSchema,
});
export type JobOffer = z.output<typeof jobOfferSchema>;

/**
 * What an RP signs. Its signer is the provider: the market recovers it from the signature. Signing the job
 * offer's digest accepts the offer's whole mediator list; the market draws the deal's mediator from it.
 */
export const resourceOfferSchema = z.object({
  jobOfferHash: bytes32Schema,
  basePrice: uintSchema(96),
  pricePerMInstr: uintSchema(96),
  timeoutCollateral: uintSchema(96),
  collateralMultiple: smallUintSchema(16),
  expiry: uintSchema(64),
});
export type ResourceOffer = z.output<typeof resourceOfferSchema>;

/** The market fills in `jobOfferHash` itself (it is the deal id), so the calldata omits it. */
export function resourceOfferCalldata(offer: ResourceOffer): Omit<ResourceOffer, "jobOfferHash"> {
  const { jobOfferHash: _signedOver, ...calldata } = offer;
  return calldata;
}

export const dealSchema = z.object({
  creator: addressSchema,
  provider: addressSchema,
  mediator: addressSchema,
  basePrice: uintSchema(96),
  pricePerMInstr: uintSchema(96),
  paymentCollateral: uintSchema(96),
  timeoutCollateral: uintSchema(96),
  mediationFee: uintSchema(96),
  collateralMultiple: smallUintSchema(16),
  judgingWindow: smallUintSchema(32),
  resultTimeout: smallUintSchema(32),
  mediationTimeout: smallUintSchema(32),
  lane: smallUintSchema(32),
  callback: z.boolean(),
  maxInstructions: uintSchema(64),
});
export type Deal = z.output<typeof dealSchema>;

export const resultSchema = z.object({
  /** The result directory's CID is CIDv1(dag-pb, sha2-256, cidDigest). */
  cidDigest: bytes32Schema.refine((h) => BigInt(h) !== 0n, { message: "CID digest must not be zero" }),
  outputHash: bytes32Schema,
  instructions: uintSchema(64),
});
export type Result = z.output<typeof resultSchema>;

const ZERO_BYTES32 = `0x${"0".repeat(64)}` as const;

/** Stands in for the result of a deal that closed before any result was posted. */
export const emptyResult: Result = { cidDigest: ZERO_BYTES32, outputHash: ZERO_BYTES32, instructions: 0n };

/** An ERC-2098 compact signature, as the market takes it. */
export const signatureSchema = z.object({ r: bytes32Schema, vs: bytes32Schema });
export type Signature = z.output<typeof signatureSchema>;

/** Mirrors IDealTypes.DealState. */
export const DealState = { None: 0, Open: 1, ResultPosted: 2, Challenged: 3, Closed: 4 } as const;
export type DealState = (typeof DealState)[keyof typeof DealState];

/** Mirrors IDealTypes.Outcome. */
export const Outcome = {
  Accepted: 0,
  Finalized: 1,
  ProviderRight: 2,
  ProviderWrong: 3,
  ResultTimeout: 4,
  MediationTimeout: 5,
  Declined: 6,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];
