// Signing and hashing of the market's EIP-712 offers. The deal id is the job offer's digest.
import {
  domainSeparator as viemDomainSeparator,
  keccak256,
  parseSignature,
  stringToHex,
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

// The digests are computed by hand rather than with viem's generic hashTypedData, which validates and re-encodes
// every field on each call: the solver and the parties hash every offer, and the generic path costs more than the
// signature itself. test/chain/offerDigests.test.ts checks both against viem and the market contract.
const domainSeparators = new Map<string, Hex>();

function domainSeparatorOf(domain: MarketDomainParameters): Hex {
  const key = `${domain.chainId}:${domain.market}`;
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = viemDomainSeparator({ domain: marketDomain(domain.chainId, domain.market) });
    domainSeparators.set(key, separator);
  }
  return separator;
}

function typeHashOf(name: keyof typeof offerTypes): Hex {
  return keccak256(stringToHex(`${name}(${offerTypes[name].map((f) => `${f.type} ${f.name}`).join(",")})`));
}
const JOB_OFFER_TYPEHASH = typeHashOf("JobOffer");
const RESOURCE_OFFER_TYPEHASH = typeHashOf("ResourceOffer");

const word = (value: bigint | number | boolean): string => BigInt(value).toString(16).padStart(64, "0");
const addressWord = (address: Address): string => address.slice(2).toLowerCase().padStart(64, "0");
const bytes32Word = (value: Hex): string => value.slice(2).toLowerCase();

function digestOf(domain: MarketDomainParameters, structHash: Hex): Hex {
  return keccak256(`0x1901${domainSeparatorOf(domain).slice(2)}${structHash.slice(2)}`);
}

/** The EIP-712 digest of a job offer: the id of the deal it opens. */
export function jobOfferDigest(domain: MarketDomainParameters, offer: JobOffer): Hex {
  const mediators = keccak256(`0x${offer.mediators.map(addressWord).join("")}`);
  const struct = keccak256(
    `0x${[
      bytes32Word(JOB_OFFER_TYPEHASH),
      addressWord(offer.creator),
      bytes32Word(offer.moduleId),
      bytes32Word(offer.inputsHash),
      word(offer.maxBasePrice),
      word(offer.maxPricePerMInstr),
      word(offer.paymentCollateral),
      word(offer.mediationFee),
      word(offer.minTimeoutCollateral),
      word(offer.minCollateralMultiple),
      bytes32Word(mediators),
      addressWord(offer.targetProvider),
      word(offer.resultTimeout),
      word(offer.judgingWindow),
      word(offer.mediationTimeout),
      word(offer.callback),
      word(offer.lane),
      word(offer.seq),
      word(offer.expiry),
      word(offer.maxInstructions),
      addressWord(offer.submitter),
    ].join("")}`,
  );
  return digestOf(domain, struct);
}

/** The EIP-712 digest of a resource offer. */
export function resourceOfferDigest(domain: MarketDomainParameters, offer: ResourceOffer): Hex {
  const struct = keccak256(
    `0x${[
      bytes32Word(RESOURCE_OFFER_TYPEHASH),
      bytes32Word(offer.jobOfferHash),
      word(offer.basePrice),
      word(offer.pricePerMInstr),
      word(offer.timeoutCollateral),
      word(offer.collateralMultiple),
      word(offer.expiry),
    ].join("")}`,
  );
  return digestOf(domain, struct);
}

type Signer = WalletClient<Transport, Chain | undefined, Account>;

/** The market takes ERC-2098 compact signatures: 64 bytes instead of 65 plus ABI padding. */
export function toCompactSignature(signature: Hex): Signature {
  const { r, yParityAndS } = signatureToCompactSignature(parseSignature(signature));
  return { r, vs: yParityAndS };
}

/** Signs an offer's digest. Local keys sign the digest directly; other accounts get the typed data to show. */
async function signOffer(
  wallet: Signer,
  digest: Hex,
  typed: { primaryType: "JobOffer"; message: JobOffer } | { primaryType: "ResourceOffer"; message: ResourceOffer },
  domain: MarketDomainParameters,
): Promise<Signature> {
  const account = wallet.account;
  if (account.type === "local" && account.sign) return toCompactSignature(await account.sign({ hash: digest }));
  return toCompactSignature(
    await wallet.signTypedData({ account, domain: marketDomain(domain.chainId, domain.market), types: offerTypes, ...typed }),
  );
}

/** Signs a job offer as its creator (pass `digest` when it is already computed: it is the deal id). */
export function signJobOffer(
  wallet: Signer,
  domain: MarketDomainParameters,
  offer: JobOffer,
  digest: Hex = jobOfferDigest(domain, offer),
): Promise<Signature> {
  return signOffer(wallet, digest, { primaryType: "JobOffer", message: offer }, domain);
}

/** Signs a resource offer as its provider. */
export function signResourceOffer(wallet: Signer, domain: MarketDomainParameters, offer: ResourceOffer): Promise<Signature> {
  return signOffer(wallet, resourceOfferDigest(domain, offer), { primaryType: "ResourceOffer", message: offer }, domain);
}
