// EIP-712 domain and types of the market's signed offers: the TypeScript side of LilypadMarket's typehashes.
import type { Address, TypedDataDomain } from "viem";

export const EIP712_NAME = "Lilypad";
export const EIP712_VERSION = "1";

/** The domain binds a signature to one chain and one market contract, so an offer cannot be replayed elsewhere. */
export function marketDomain(chainId: number, market: Address): TypedDataDomain {
  return { name: EIP712_NAME, version: EIP712_VERSION, chainId, verifyingContract: market };
}

export const offerTypes = {
  JobOffer: [
    { name: "creator", type: "address" },
    { name: "moduleId", type: "bytes32" },
    { name: "inputsHash", type: "bytes32" },
    { name: "maxBasePrice", type: "uint96" },
    { name: "maxPricePerMInstr", type: "uint96" },
    { name: "paymentCollateral", type: "uint96" },
    { name: "mediationFee", type: "uint96" },
    { name: "minTimeoutCollateral", type: "uint96" },
    { name: "minCollateralMultiple", type: "uint16" },
    { name: "mediators", type: "address[4]" },
    { name: "targetProvider", type: "address" },
    { name: "resultTimeout", type: "uint32" },
    { name: "judgingWindow", type: "uint32" },
    { name: "mediationTimeout", type: "uint32" },
    { name: "callback", type: "bool" },
    { name: "lane", type: "uint32" },
    { name: "seq", type: "uint32" },
    { name: "expiry", type: "uint64" },
    { name: "maxInstructions", type: "uint64" },
    { name: "submitter", type: "address" },
  ],
  ResourceOffer: [
    { name: "jobOfferHash", type: "bytes32" },
    { name: "basePrice", type: "uint96" },
    { name: "pricePerMInstr", type: "uint96" },
    { name: "timeoutCollateral", type: "uint96" },
    { name: "collateralMultiple", type: "uint16" },
    { name: "expiry", type: "uint64" },
  ],
} as const;
