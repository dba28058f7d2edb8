// The shapes that cross the chain boundary, mirroring contracts/interfaces/IDealTypes.sol field for field.
// One source of truth for the solver, the nodes, the CLI, the SDK and the tests.
import { z } from "zod";
import { addressSchema, bytes32Schema, hexSchema, smallUintSchema, uintSchema } from "./primitives.ts";

const mediatorsSchema = z
  .array(addressSchema)
  .min(1)
  .max(16)
  .transform((list) => [...new Set(list)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));

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
  /** Sorted ascending without repeats, as the market requires. */
  mediators: mediatorsSchema,
  targetProvider: addressSchema,
  resultTimeout: smallUintSchema(32).min(1),
  judgingWindow: smallUintSchema(32).min(1),
  mediationTimeout: smallUintSchema(32).min(1),
  callback: z.boolean(),
  nonce: uintSchema(64),
  expiry: uintSchema(64),
});
export type JobOffer = z.output<typeof jobOfferSchema>;

export const resourceOfferSchema = z.object({
  provider: addressSchema,
  jobOfferHash: bytes32Schema,
  basePrice: uintSchema(96),
  pricePerMInstr: uintSchema(96),
  timeoutCollateral: uintSchema(96),
  collateralMultiple: smallUintSchema(16),
  mediators: mediatorsSchema,
  expiry: uintSchema(64),
});
export type ResourceOffer = z.output<typeof resourceOfferSchema>;

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
  mediationTimeout: smallUintSchema(32),
  offerExpiry: uintSchema(64),
  callback: z.boolean(),
});
export type Deal = z.output<typeof dealSchema>;

export const resultSchema = z.object({
  cid: hexSchema.refine((h) => h.length > 2 && h.length <= 2 + 2 * 128, { message: "CID must be 1-128 bytes" }),
  outputHash: bytes32Schema,
  instructions: uintSchema(64),
});
export type Result = z.output<typeof resultSchema>;

/** The result of a deal that closed before any result was posted. */
export const emptyResult: Result = {
  cid: "0x",
  outputHash: `0x${"0".repeat(64)}`,
  instructions: 0n,
};

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
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];
