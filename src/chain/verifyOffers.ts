// Checks offer signatures the way the market will, before the solver spends gas on them.
import { compactSignatureToSignature, parseAbi, type Address, type Hex } from "viem";
import { recoverDigestSigner } from "../core/secp256k1.ts";
import type { JobOffer, ResourceOffer, Signature } from "../core/dealTypes.ts";
import type { ChainConnection } from "./chainConnection.ts";
import { jobOfferDigest, resourceOfferDigest, type MarketDomainParameters } from "./offers.ts";

const EIP1271_MAGIC = "0x1626ba7e";
const erc1271Abi = parseAbi(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);

/** Who signed an offer (ERC-2098 compact signature), or undefined when the signature recovers no one. */
export function recoverOfferSigner(digest: Hex, signature: Signature): Address | undefined {
  return recoverDigestSigner(digest, compactSignatureToSignature({ r: signature.r, yParityAndS: signature.vs }));
}

/** Whether the job offer is approved by its creator: an ECDSA signature, or EIP-1271 when the creator is a contract. */
export async function jobOfferApproved(
  conn: ChainConnection,
  offer: JobOffer,
  signature: Signature,
  digest: Hex = jobOfferDigest(domainOf(conn), offer),
): Promise<boolean> {
  if (recoverOfferSigner(digest, signature) === offer.creator) return true;
  const code = await conn.publicClient.getCode({ address: offer.creator });
  if (!code || code === "0x") return false;
  try {
    const magic = await conn.publicClient.readContract({
      address: offer.creator,
      abi: erc1271Abi,
      functionName: "isValidSignature",
      args: [digest, `${signature.r}${signature.vs.slice(2)}`],
    });
    return magic === EIP1271_MAGIC;
  } catch {
    return false;
  }
}

/** The provider that signed a resource offer, as the market will recover it. */
export function resourceOfferSigner(conn: ChainConnection, offer: ResourceOffer, signature: Signature): Address | undefined {
  return recoverOfferSigner(resourceOfferDigest(domainOf(conn), offer), signature);
}

export function domainOf(conn: ChainConnection): MarketDomainParameters {
  return { chainId: conn.network.chainId, market: conn.network.contracts.market };
}
