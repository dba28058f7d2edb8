// The hand-written EIP-712 digests against viem's generic implementation, over random offers. (The contract
// tests check the same digests against the market itself: it recovers signers from them.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { getAddress, hashTypedData, type Address, type Hex } from "viem";
import { jobOfferDigest, resourceOfferDigest } from "../../src/chain/offers.ts";
import { jobOfferSchema, resourceOfferSchema } from "../../src/core/dealTypes.ts";
import { marketDomain, offerTypes } from "../../src/core/eip712.ts";

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
const address = hex(20).map((h) => getAddress(h) as Address);
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const small = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
const domain = fc.record({ chainId: fc.integer({ min: 1, max: 2 ** 40 }), market: address });

describe("offer digests", () => {
  it("job offers: the same digest as viem's hashTypedData", () => {
    fc.assert(
      fc.property(
        domain,
        fc.record({
          creator: address,
          moduleId: hex(32),
          inputsHash: hex(32),
          maxBasePrice: uint(96),
          maxPricePerMInstr: uint(96),
          paymentCollateral: uint(96),
          mediationFee: uint(96),
          minTimeoutCollateral: uint(96),
          minCollateralMultiple: small(16),
          mediators: fc.array(address, { minLength: 1, maxLength: 4 }),
          targetProvider: address,
          resultTimeout: fc.integer({ min: 60, max: 30 * 86400 }),
          judgingWindow: fc.integer({ min: 60, max: 30 * 86400 }),
          mediationTimeout: fc.integer({ min: 600, max: 30 * 86400 }),
          callback: fc.boolean(),
          lane: small(32),
          seq: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
          expiry: uint(64),
          maxInstructions: uint(64),
          submitter: address,
        }),
        (d, raw) => {
          const offer = jobOfferSchema.parse(raw);
          const expected = hashTypedData({ domain: marketDomain(d.chainId, d.market), types: offerTypes, primaryType: "JobOffer", message: offer });
          assert.equal(jobOfferDigest(d, offer), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("resource offers: the same digest as viem's hashTypedData", () => {
    fc.assert(
      fc.property(
        domain,
        fc.record({
          jobOfferHash: hex(32),
          basePrice: uint(96),
          pricePerMInstr: uint(96),
          timeoutCollateral: uint(96),
          collateralMultiple: small(16),
          expiry: uint(64),
        }),
        (d, raw) => {
          const offer = resourceOfferSchema.parse(raw);
          const expected = hashTypedData({ domain: marketDomain(d.chainId, d.market), types: offerTypes, primaryType: "ResourceOffer", message: offer });
          assert.equal(resourceOfferDigest(d, offer), expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
