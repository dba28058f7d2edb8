// Checks offer signatures the way the market will, before the solver spends gas on them.
import { compactSignatureToSignature, parseAbi, recoverAddress, type Address, type Hex } from "viem";
import type { JobOffer, ResourceOffer, Signature } from "../core/dealTypes.ts";
import type { ChainConnection } from "./chainConnection.ts";
import { jobOfferDigest, resourceOfferDigest, type MarketDomainParameters } from "./offers.ts";

const EIP1271_MAGIC = "0x1626ba7e";
const erc1271Abi = parseAbi(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);

export async function recoverOfferSigner(digest: Hex, signature: Signature): Promise<Address | undefined> {
  try {
    return await recoverAddress({ hash: digest, signature: compactSignatureToSignature({ r: signature.r, yParityAndS: signature.vs }) });
  } catch {
    return undefined;
  }
}

/** Whether the job offer is approved by its creator: an ECDSA signature, or EIP-1271 when the creator is a contract. */
export async function jobOfferApproved(
  conn: ChainConnection,
  offer: JobOffer,
  signature: Signature,
  digest: Hex = jobOfferDigest(domainOf(conn), offer),
): Promise<boolean> {
  if ((await recoverOfferSigner(digest, signature)) === offer.creator) return true;
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
export function resourceOfferSigner(conn: ChainConnection, offer: ResourceOffer, signature: Signature): Promise<Address | undefined> {
  return recoverOfferSigner(resourceOfferDigest(domainOf(conn), offer), signature);
}

export function domainOf(conn: ChainConnection): MarketDomainParameters {
  return { chainId: conn.network.chainId, market: conn.network.contracts.market };
}
