// Issue 11, attack 2 (the provider's side of posting): a provider whose first post fails does not lose its timeout
// collateral for it. Here its escrow cannot cover the results collateral when the result is ready: the market
// refuses the post (InsufficientBalance), the provider tops its escrow up from its wallet and posts again, and is
// paid exactly the job's cost.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { depositToEscrow, escrowBalance } from "../../src/chain/market/escrow.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { costOf, resultsCollateralOf } from "../../src/core/pricing.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";

const JC = DevAccountIndex.jobCreator;
const PROVIDER = devAccount(4).address;

describe("a provider whose post fails tries again", () => {
  let t: TestNetwork;
  let client: LilypadClient;
  let conn: ChainConnection;

  before(async () => {
    t = await startTestNetwork({
      // It keeps 2 x 4 slots x 0.1 = 0.8 tokens in escrow; a result costing 0.6 asks 2 x 0.6 = 1.2 of collateral.
      // It keeps little in escrow (2 x slots x 0.1) but will back up to 10 tokens per deal from its wallet.
      providers: [
        {
          account: 4,
          modules: [shippedModuleId("cowsay:v1")],
          pricing: { basePrice: parseEther("0.6"), timeoutCollateral: parseEther("0.1") },
          maxStake: parseEther("10"),
        },
      ],
    });
    conn = t.net.connect(JC);
    await depositToEscrow(conn, parseEther("100"));
    client = await t.client(JC, { keepInEscrow: 0n });
  });
  after(() => t.close());

  it("tops up its escrow from its wallet after InsufficientBalance, posts, and is paid the cost", async () => {
    const providerConn = t.net.connect(4);
    const before = await escrowBalance(providerConn, PROVIDER);
    assert.ok(before.available < parseEther("1.2"), `the provider starts short: ${before.available}`);
    const result = await client.run("cowsay:v1", { Message: "post again" });
    assert.equal(result.outcome, Outcome.Accepted);
    assert.equal(result.provider, PROVIDER);
    assert.match(text(result.stdout), /< post again >/);

    const onChain = await readDeal(conn, result.dealId);
    assert.ok(onChain);
    const deal = unpackDeal(onChain.deal);
    const cost = costOf(deal, onChain.result.instructions);
    assert.ok(resultsCollateralOf(deal, onChain.result.instructions) > before.available, "the first post could not have been covered");
    assert.equal(result.paid, cost);
    const after = await escrowBalance(providerConn, PROVIDER);
    // Escrow moved by the deposit from the wallet plus the payment; the wallet by the deposit alone.
    const deposited = before.wallet - after.wallet;
    assert.ok(deposited > 0n, "it deposited from its wallet");
    assert.equal(after.locked, 0n);
    assert.equal(after.available - before.available, deposited + cost);
  });
});
