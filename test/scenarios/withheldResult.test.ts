// Issue 11, attack 10: a result posted and never delivered. The provider posts the right digest (its run is
// honest) and serves nothing; the creator cannot download it and challenges. Delivery is part of what the mediator
// checks: its re-run matches, but the provider's registered URL does not serve the result, so the provider is ruled
// wrong and the creator pays nothing. And a provider that serves the mediator but not the creator gains nothing
// either: the mediator rules it right and serves the result itself, and the creator downloads it from there.
// Every escrow account moves by exactly settlementOf's amounts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther, type Address, type Hex } from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { depositToEscrow } from "../../src/chain/market/escrow.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { ServiceRole, serviceUrlOf } from "../../src/chain/serviceRegistry.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { costOf } from "../../src/core/pricing.ts";
import { settlementOf } from "../../src/core/settlement.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import type { Ruling } from "../../src/mediator/mediator.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";
import { assertSettled, balancesOf, blockOf, type Balances, type Party } from "./helpers.ts";

const JC = DevAccountIndex.jobCreator;
const WITHHOLDS = devAccount(6).address;
const REFUSES_FIRST = devAccount(7).address;

describe("a result never delivered is not paid for (issue 11, attack 10)", () => {
  let t: TestNetwork;
  let client: LilypadClient;
  let conn: ChainConnection;
  let who: (provider: Address) => Record<Party, Address>;
  const rulings: Ruling[] = [];

  before(async () => {
    const modules = [shippedModuleId("cowsay:v1")];
    t = await startTestNetwork({
      providers: [
        { account: 4, modules },
        { account: 6, modules, pricing: { basePrice: parseEther("0.02") }, faults: { withholdResult: true } },
        { account: 7, modules, pricing: { basePrice: parseEther("0.03") }, faults: { refuseFirstResultRequests: 1 } },
      ],
    });
    t.net.mediator.onRuling((ruling) => rulings.push(ruling));
    conn = t.net.connect(JC);
    // Deposit up front and never let the client deposit: the creator's escrow moves only by its deals.
    await depositToEscrow(conn, parseEther("100"));
    client = await t.client(JC, { keepInEscrow: 0n });
    who = (provider) => ({ creator: conn.address, provider, mediator: t.net.mediatorAddress });
    await client.run("cowsay:v1", { Message: "warm up" });
  });
  after(() => t.close());

  /** The closed deal's settlement under `outcome`, checked against every party's escrow before, during and after. */
  async function settled(dealId: Hex, provider: Address, outcome: Outcome, before: Balances, after: Balances) {
    const onChain = await readDeal(conn, dealId);
    assert.ok(onChain);
    const deal = unpackDeal(onChain.deal);
    const s = settlementOf(deal, outcome, onChain.result.instructions);
    const during = await balancesOf(conn, who(provider), await blockOf(conn, dealId, "DealChallenged"));
    assertSettled(s, before, during, after);
    return { onChain, deal, s };
  }

  /** The mediator's ruling on a deal (its listener runs once the ruling's receipt is back). */
  async function rulingOf(dealId: Hex): Promise<Ruling> {
    for (let i = 0; i < 200; i++) {
      const found = rulings.find((r) => r.dealId === dealId);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ruling on ${dealId}`);
  }

  it("the provider posts the right result and serves nothing: the mediator's re-run matches, nothing is delivered, the provider is ruled wrong", async () => {
    const before = await balancesOf(conn, who(WITHHOLDS));
    const events: JobEvent[] = [];
    let failure: JobFailedError | undefined;
    await assert.rejects(client.run("cowsay:v1", { Message: "keep it" }, { targetProvider: WITHHOLDS, onEvent: (e) => events.push(e) }), (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.equal(error.code, "RESULT_UNAVAILABLE");
      failure = error;
      return true;
    });
    const after = await balancesOf(conn, who(WITHHOLDS));
    assert.ok(failure);
    const dealId = failure.dealId;
    assert.ok(events.some((e) => e.type === "challenged" && /could not be downloaded/.test(e.reason)), "the creator challenged the missing download");
    assert.ok(!events.some((e) => e.type === "downloaded"), "nobody delivered the result");
    assert.deepEqual(events.at(-1), { type: "closed", outcome: Outcome.ProviderWrong });

    // The provider's run was honest: the only thing the mediator found wrong was delivery.
    const ruling = await rulingOf(dealId);
    assert.equal(ruling.providerRight, false);
    assert.match(ruling.reason ?? "", /^the result \S+ was not delivered \(/);
    assert.doesNotMatch(ruling.reason ?? "", /result CID digest|output hash|instructions/);
    // It did register the URL it serves everything else at.
    assert.ok(await serviceUrlOf(conn, { service: WITHHOLDS, role: ServiceRole.ResourceProvider }));

    // The creator pays nothing for the job and gets the provider's forfeit; the mediator earns its fee.
    const { s } = await settled(dealId, WITHHOLDS, Outcome.ProviderWrong, before, after);
    assert.equal(s.payment, 0n);
    assert.ok(after.provider.available < before.provider.available, "the provider lost collateral");
  });

  it("the provider refuses the creator and serves the mediator: ruled right, and the creator downloads the result from the mediator", async () => {
    const before = await balancesOf(conn, who(REFUSES_FIRST));
    const events: JobEvent[] = [];
    const result = await client.run("cowsay:v1", { Message: "pick favourites" }, { targetProvider: REFUSES_FIRST, onEvent: (e) => events.push(e) });
    const after = await balancesOf(conn, who(REFUSES_FIRST));
    assert.equal(result.outcome, Outcome.ProviderRight);
    assert.ok(events.some((e) => e.type === "challenged" && /could not be downloaded/.test(e.reason)), "the creator's own download failed, so it challenged");
    const downloads = events.filter((e) => e.type === "downloaded");
    assert.deepEqual(downloads, [{ type: "downloaded", resultCid: result.resultCid, from: t.net.mediator.url }], "downloaded once, from the mediator");
    assert.equal(await serviceUrlOf(conn, { service: t.net.mediatorAddress, role: ServiceRole.Mediator }), t.net.mediator.url);
    assert.match(text(result.stdout), /< pick favourites >/);
    assert.equal((await rulingOf(result.dealId)).providerRight, true);

    const { deal, s } = await settled(result.dealId, REFUSES_FIRST, Outcome.ProviderRight, before, after);
    assert.equal(result.paid, costOf(deal, result.instructions));
    assert.equal(s.payment, result.paid);
  });
});
