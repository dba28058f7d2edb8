// The whole protocol through the SDK: real chain, solver, resource providers and mediator on loopback.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { escrowBalance } from "../../src/chain/market/escrow.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { costOf } from "../../src/core/pricing.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { sendMarketTx } from "../../src/chain/market/sendMarketTx.ts";
import { SolverRequestError } from "../../src/net/solverClient.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "./helpers.ts";

const HONEST = devAccount(4).address;
const CHEAPEST = devAccount(5).address;
const WRONG_RESULT = devAccount(6).address;
const INFLATES = devAccount(7).address;

describe("jobs through the network", () => {
  let t: TestNetwork;
  before(async () => {
    const modules = [shippedModuleId("cowsay:v1"), shippedModuleId("compute:v1")];
    t = await startTestNetwork({
      providers: [
        { account: 4, modules },
        { account: 5, modules, pricing: { basePrice: parseEther("0.005") } },
        { account: 6, modules, pricing: { basePrice: parseEther("0.02") }, faults: { wrongResult: true } },
        { account: 7, modules, pricing: { basePrice: parseEther("0.02") }, faults: { inflateInstructions: 1000n } },
      ],
    });
  });
  after(() => t.close());

  it("runs cowsay end to end: the cheapest provider wins, the result is verified, the provider is paid", async () => {
    const client = await t.client();
    const conn = t.net.connect(DevAccountIndex.jobCreator);
    const events: JobEvent[] = [];
    const result = await client.run("cowsay:v1", { Message: "hello network" }, { onEvent: (e) => events.push(e) });
    assert.match(text(result.stdout), /< hello network >/);
    assert.equal(result.provider, CHEAPEST, "the cheapest of the providers that offer the module takes the job");
    assert.equal(result.outcome, Outcome.Accepted);
    assert.ok(result.instructions > 0n);
    const types = events.map((e) => e.type).filter((type) => type !== "log");
    assert.deepEqual(types, ["submitted", "matched", "deal-opened", "result-posted", "downloaded", "accepted", "closed"]);
    // What the market paid is what the deal's terms and the metered count say, and nothing is left locked.
    const onChain = await readDeal(conn, result.dealId);
    assert.ok(onChain);
    const terms = unpackDeal(onChain.deal);
    assert.equal(terms.basePrice, parseEther("0.005"));
    assert.equal(result.paid, costOf(terms, result.instructions));
    assert.equal(onChain.result.instructions, result.instructions);
    assert.equal((await escrowBalance(conn)).locked, 0n);
  });

  it("runs jobs concurrently from one creator (one lane each)", async () => {
    const client = await t.client();
    const results = await Promise.all(["a", "b", "c", "d", "e", "f"].map((m) => client.run("cowsay:v1", { Message: m })));
    assert.deepEqual(results.map((r) => text(r.stdout).split("\n")[1]), ["< a >", "< b >", "< c >", "< d >", "< e >", "< f >"]);
    assert.equal(new Set(results.map((r) => r.dealId)).size, 6);
  });

  it("a job no provider can serve fails after its deadline with the reason, and the creator keeps its money", async () => {
    const client = await t.client(11);
    const conn = t.net.connect(11);
    const before = await client.run("cowsay:v1", { Message: "warm up" }).then(() => escrowBalance(conn));
    await assert.rejects(
      client.run("image:v1", { Prompt: "a pond" }, { terms: { matchTimeout: 2 } }),
      (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.code, "MODULE_NOT_OFFERED");
        assert.match(error.message, /no resource provider took the job before its deadline: .*module/);
        return true;
      },
    );
    const after = await escrowBalance(conn);
    assert.equal(after.available, before.available, "nothing was charged");
    assert.equal(after.locked, 0n);
  });

  it("a spot-checked honest result: the mediator finds the provider right and the creator pays the fee", async () => {
    const client = await t.client();
    const result = await client.run("cowsay:v1", { Message: "check me" }, { mediationChance: 1, targetProvider: HONEST });
    assert.equal(result.outcome, Outcome.ProviderRight);
    assert.equal(result.provider, HONEST);
    assert.ok(result.paid > 0n);
  });

  it("a provider that inflates its instruction count is caught by the mediator and the creator pays nothing", async () => {
    const client = await t.client();
    const result = await client.run("cowsay:v1", { Message: "count me" }, { mediationChance: 1, targetProvider: INFLATES });
    assert.equal(result.outcome, Outcome.ProviderWrong);
    assert.equal(result.paid, 0n);
  });

  it("a provider that posts a wrong result CID is challenged (its result cannot be fetched) and loses", async () => {
    const client = await t.client();
    const events: JobEvent[] = [];
    await assert.rejects(
      client.run("cowsay:v1", { Message: "lie to me" }, { targetProvider: WRONG_RESULT, onEvent: (e) => events.push(e) }),
      (error: unknown) => error instanceof JobFailedError && error.code === "RESULT_UNAVAILABLE",
    );
    assert.deepEqual(events.at(-1), { type: "closed", outcome: Outcome.ProviderWrong });
  });

  it("a module the network's governance blocked is refused, with the reason", async () => {
    const governance = t.net.connect(DevAccountIndex.deployer);
    const moduleId = shippedModuleId("compute:v1");
    await sendMarketTx(governance, { functionName: "setModuleBlocked", args: [moduleId, true, "test: blocked"] });
    const client = await t.client();
    // The solver follows the chain: within a few polls it refuses such jobs itself. Until then the market refuses
    // to open the deal, so no job with a blocked module ever runs.
    let refused: unknown;
    for (let i = 0; i < 40 && !(refused instanceof SolverRequestError); i++) {
      refused = await client.run("compute:v1", { N: 100 }).then(
        () => assert.fail("a blocked module ran"),
        (error: unknown) => error,
      );
      if (!(refused instanceof SolverRequestError)) {
        // Refused by the market, or failed by the solver as it learned of the block while the job waited.
        assert.ok(refused instanceof JobFailedError && ["ModuleIsBlocked", "MODULE_BLOCKED"].includes(refused.code), String(refused));
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(refused instanceof SolverRequestError, String(refused));
    assert.equal(refused.code, "MODULE_BLOCKED");
  });

  it("refuses bad inputs before anything is signed or sent", async () => {
    const client = await t.client();
    await assert.rejects(client.run("cowsay:v1", { Nope: "x" }), /input "Nope"/);
    await assert.rejects(client.run("nosuchmodule:v9", {}), /nosuchmodule:v9/);
  });
});
