// Issue 11, attack 2: a malicious solver shows the provider job A and asks for a signature over other terms. The
// provider recomputes every term from the job offer it was shown and its own policy, and signs nothing else.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Address } from "viem";
import { devAccount } from "../../src/chain/devAccounts.ts";
import { jobOfferDigest } from "../../src/chain/offers.ts";
import type { DealProposal } from "../../src/core/api/solverProtocol.ts";
import type { JobOffer } from "../../src/core/dealTypes.ts";
import { resourceTermsFor } from "../../src/core/market/resourceTerms.ts";
import { inputsHashOf } from "../../src/core/moduleInputs.ts";
import { vetProposal, type ProposalPolicy } from "../../src/resource-provider/vetProposal.ts";

const ZERO: Address = "0x0000000000000000000000000000000000000000";
const TRUSTED = devAccount(2).address;
const STRANGER = devAccount(13).address;
const domain = { chainId: 31337, market: devAccount(19).address };
const now = 1_800_000_000;
const token = 10n ** 18n;

const policy: ProposalPolicy = {
  basePrice: token / 100n,
  pricePerMInstr: token / 1000n,
  timeoutCollateral: token,
  collateralMultiple: 2,
  mediators: [TRUSTED],
  maxTimeoutCollateral: 10n * token,
  maxCollateralMultiple: 10,
  maxStake: 100n * token,
};

function jobOffer(overrides: Partial<JobOffer> = {}): JobOffer {
  const inputs = { Message: "A" };
  return {
    creator: devAccount(3).address,
    moduleId: `0x${"11".repeat(32)}`,
    inputsHash: inputsHashOf(inputs),
    maxBasePrice: token,
    maxPricePerMInstr: token / 100n,
    paymentCollateral: 10n * token,
    mediationFee: token / 2n,
    minTimeoutCollateral: token / 10n,
    minCollateralMultiple: 2,
    mediators: [TRUSTED, ZERO, ZERO, ZERO],
    targetProvider: ZERO,
    resultTimeout: 120,
    judgingWindow: 120,
    mediationTimeout: 600,
    callback: false,
    lane: 0,
    seq: 1,
    expiry: BigInt(now + 3600),
    maxInstructions: 10n ** 10n,
    submitter: devAccount(1).address,
    ...overrides,
  };
}

/** What an honest solver proposes for `offer`. */
function honest(offer: JobOffer = jobOffer()): DealProposal {
  const dealId = jobOfferDigest(domain, offer);
  return { type: "deal.proposal", dealId, offer, inputs: { Message: "A" }, resource: resourceTermsFor({ dealId, offer, capacity: policy, now }) };
}

const vet = (proposal: DealProposal, at = now) => vetProposal({ proposal, policy, domain, now: at });

describe("vetProposal: the provider signs only what it checked itself", () => {
  it("an honest proposal passes", () => {
    assert.equal(vet(honest()), undefined);
  });

  it("a signature asked for job B while job A is shown is refused", () => {
    const a = honest();
    const b = honest(jobOffer({ resultTimeout: 1, minCollateralMultiple: 9 }));
    assert.match(vet({ ...a, resource: b.resource }) ?? "", /not for the job offer shown/);
    assert.match(vet({ ...a, dealId: b.dealId }) ?? "", /not for the job offer shown/);
  });

  it("terms the solver changed on the way are refused, each one", () => {
    const p = honest();
    const forged: Array<[Partial<DealProposal["resource"]>, RegExp]> = [
      [{ basePrice: 0n }, /prices/],
      [{ pricePerMInstr: policy.pricePerMInstr + 1n }, /prices/],
      [{ timeoutCollateral: 5n * token }, /timeout collateral/],
      [{ collateralMultiple: 8 }, /collateral multiple/],
      [{ expiry: BigInt(now - 1) }, /expired/],
      [{ expiry: BigInt(now + 3000) }, /too far off/],
    ];
    for (const [change, reason] of forged) {
      assert.match(vet({ ...p, resource: { ...p.resource, ...change } }) ?? "(passed)", reason, JSON.stringify(change, (_, v) => (typeof v === "bigint" ? String(v) : v)));
    }
  });

  it("a job offer asking more than the provider's limits, or naming a mediator it does not trust, is refused even when proposed faithfully", () => {
    assert.match(vet(honest(jobOffer({ minCollateralMultiple: 11 }))) ?? "", /collateral multiple asked is too high/);
    assert.match(vet(honest(jobOffer({ minTimeoutCollateral: 11n * token }))) ?? "", /timeout collateral asked is too high/);
    assert.match(vet(honest(jobOffer({ mediationFee: 11n * token }))) ?? "", /mediation fee/);
    // The market draws from the whole list, so one untrusted name among trusted ones is enough to refuse.
    const [first, second] = [TRUSTED, STRANGER].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    assert.match(vet(honest(jobOffer({ mediators: [first!, second!, ZERO, ZERO] }))) ?? "", /mediator this provider does not trust/);
    assert.match(vet(honest(jobOffer({ mediators: [STRANGER, ZERO, ZERO, ZERO] }))) ?? "", /mediator this provider does not trust/);
    // The timeout collateral covers the mediation fee, as the market requires.
    const feeHeavy = honest(jobOffer({ mediationFee: 3n * token }));
    assert.equal(feeHeavy.resource.timeoutCollateral, 3n * token);
    assert.equal(vet(feeHeavy), undefined);
    // Within the limits, a higher ask is honoured exactly: the provider signs what the job asks.
    assert.equal(vet(honest(jobOffer({ minCollateralMultiple: 10, minTimeoutCollateral: 10n * token }))), undefined);
  });

  it("terms whose worst case the provider could not lock are refused before it signs (attack 4)", () => {
    // 2 x the whole 10-token payment: within its 100 tokens per deal.
    assert.equal(vet(honest(jobOffer({ maxInstructions: 2n ** 64n - 1n }))), undefined);
    // A payment of 1000 tokens and no real ceiling: a results collateral of 2000 tokens it could never post.
    assert.match(vet(honest(jobOffer({ paymentCollateral: 1000n * token, maxInstructions: 2n ** 64n - 1n }))) ?? "", /worst case would lock/);
    // The same payment with a ceiling that bounds the cost to 1.01 + 0.001 x 10^4 tokens: fine.
    assert.equal(vet(honest(jobOffer({ paymentCollateral: 1000n * token, maxInstructions: 10n ** 10n }))), undefined);
  });

  it("inputs that are not the offer's are refused", () => {
    const p = honest();
    assert.match(vet({ ...p, inputs: { Message: "B" } }) ?? "", /inputs/);
  });
});
