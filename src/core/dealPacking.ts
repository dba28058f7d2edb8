// The five-word packing of a deal's terms that the market takes as calldata and emits in DealOpened.
// Layout (contracts/interfaces/IDealTypes.sol):
//   w0 = creator | basePrice << 160
//   w1 = provider | pricePerMInstr << 160
//   w2 = mediator | mediationFee << 160
//   w3 = paymentCollateral | timeoutCollateral << 96 | lane << 192 | judgingWindow << 224
//   w4 = mediationTimeout | collateralMultiple << 32 | callback << 48 | resultTimeout << 56
//        | maxInstructions << 88
import { getAddress, type Address } from "viem";
import type { Deal } from "./dealTypes.ts";

export type PackedDeal = readonly [bigint, bigint, bigint, bigint, bigint];

const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const address = (word: bigint): Address => getAddress(`0x${(word & mask(160)).toString(16).padStart(40, "0")}`);

export function packDeal(d: Deal): PackedDeal {
  return [
    BigInt(d.creator) | (d.basePrice << 160n),
    BigInt(d.provider) | (d.pricePerMInstr << 160n),
    BigInt(d.mediator) | (d.mediationFee << 160n),
    d.paymentCollateral | (d.timeoutCollateral << 96n) | (BigInt(d.lane) << 192n) | (BigInt(d.judgingWindow) << 224n),
    BigInt(d.mediationTimeout) |
      (BigInt(d.collateralMultiple) << 32n) |
      ((d.callback ? 1n : 0n) << 48n) |
      (BigInt(d.resultTimeout) << 56n) |
      (d.maxInstructions << 88n),
  ];
}

export function unpackDeal(w: readonly bigint[]): Deal {
  const [w0 = 0n, w1 = 0n, w2 = 0n, w3 = 0n, w4 = 0n] = w;
  return {
    creator: address(w0),
    basePrice: w0 >> 160n,
    provider: address(w1),
    pricePerMInstr: w1 >> 160n,
    mediator: address(w2),
    mediationFee: w2 >> 160n,
    paymentCollateral: w3 & mask(96),
    timeoutCollateral: (w3 >> 96n) & mask(96),
    lane: Number((w3 >> 192n) & mask(32)),
    judgingWindow: Number(w3 >> 224n),
    mediationTimeout: Number(w4 & mask(32)),
    collateralMultiple: Number((w4 >> 32n) & mask(16)),
    callback: ((w4 >> 48n) & 1n) === 1n,
    resultTimeout: Number((w4 >> 56n) & mask(32)),
    maxInstructions: (w4 >> 88n) & mask(64),
  };
}

/** Five words from the wire (zod gives a plain array) as packed deal terms. */
export function asPackedDeal(words: readonly bigint[]): PackedDeal {
  const [w0, w1, w2, w3, w4] = words;
  if (words.length !== 5 || w0 === undefined || w1 === undefined || w2 === undefined || w3 === undefined || w4 === undefined) {
    throw new RangeError(`packed deal terms are 5 words, got ${words.length}`);
  }
  return [w0, w1, w2, w3, w4];
}
