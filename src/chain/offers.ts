// Signing and hashing of the market's EIP-712 offers. The deal id is the job offer's digest.
import {
  hashTypedData,
  parseSignature,
  signatureToCompactSignature,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type Transport,
  type WalletClient,
} from "viem";
import type { JobOffer, ResourceOffer, Signature } from "../core/dealTypes.ts";
import { marketDomain, offerTypes } from "../core/eip712.ts";

export interface MarketDomainParameters {
  chainId: number;
  market: Address;
}

/** The EIP-712 digest of a job offer: the id of the deal it opens. */
export function jobOfferDigest(domain: MarketDomainParameters, offer: JobOffer): Hex {
  return hashTypedData({
    domain: marketDomain(domain.chainId, domain.market),
    types: offerTypes,
    primaryType: "JobOffer",
    message: offer,
  });
}

/** The EIP-712 digest of a resource offer. */
export function resourceOfferDigest(domain: MarketDomainParameters, offer: ResourceOffer): Hex {
  return hashTypedData({
    domain: marketDomain(domain.chainId, domain.market),
    types: offerTypes,
    primaryType: "ResourceOffer",
    message: offer,
  });
}

type Signer = WalletClient<Transport, Chain | undefined, Account>;

/** The market takes ERC-2098 compact signatures: 64 bytes instead of 65 plus ABI padding. */
export function toCompactSignature(signature: Hex): Signature {
  const { r, yParityAndS } = signatureToCompactSignature(parseSignature(signature));
  return { r, vs: yParityAndS };
}

/** Signs a job offer as its creator. */
export async function signJobOffer(wallet: Signer, domain: MarketDomainParameters, offer: JobOffer): Promise<Signature> {
  return toCompactSignature(await wallet.signTypedData({
    account: wallet.account,
    domain: marketDomain(domain.chainId, domain.market),
    types: offerTypes,
    primaryType: "JobOffer",
    message: offer,
  }));
}

/** Signs a resource offer as its provider. */
export async function signResourceOffer(
  wallet: Signer,
  domain: MarketDomainParameters,
  offer: ResourceOffer,
): Promise<Signature> {
  return toCompactSignature(await wallet.signTypedData({
    account: wallet.account,
    domain: marketDomain(domain.chainId, domain.market),
    types: offerTypes,
    primaryType: "ResourceOffer",
    message: offer,
  }));
}
