// Property test: thousands of random lifecycle sequences (open, post, accept, challenge, rule, finalize, decline,
// revoke, deposit, withdraw, time passing) run against the real market on the dev chain, with hostile terms among the
// random ones: timeouts at and past the protocol's floors and ceiling, zero and maximal prices, extreme collateral
// multiples, instruction ceilings of 0 and 2^64-1 and counts above them. After every step the
// chain must agree with the pure settlement model (src/core/settlement.ts) account by account, the vault must
// hold exactly the sum of all balances, every lane a walk touched must hold the state and sequence number of the
// model (revoking moves no funds, only raises a free lane's number; offers at or below it fail), and once every deadline has passed and every deal is finalized no
// funds may remain locked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { parseEther, type Address, type Hex } from "viem";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { DealState, Outcome, type Result } from "../../src/core/dealTypes.ts";
import { costOf } from "../../src/core/pricing.ts";
import { settlementOf, type AccountChange } from "../../src/core/settlement.ts";
import {
  assertConservation,
  balanceOf,
  dealCall,
  deposit,
  jobOffer,
  now,
  openDeal,
  resourceOffer,
  ruleTx,
  send,
  setup,
  signOffers,
  type Fixture,
  type OpenedDeal,
  type Wallet,
} from "./fixture.ts";

const RUNS = Number(process.env.LILYPAD_PROPERTY_RUNS ?? 1000);
/** Steps closer than this to a deadline are skipped: the chain's clock also follows the wall clock. */
const MARGIN = 15;

type Step =
  | {
      kind: "open";
      jc: number;
      rp: number;
      pc: number;
      tc: number;
      multiple: number;
      fee: number;
      timeouts: [number, number, number];
      price: "zero" | "default" | "max";
      maxInstructions: bigint;
      /** Open in a free lane the walk used (or revoked) before, at its sequence number plus `seqDelta` (0 is stale). */
      reuse: boolean;
      pick: number;
      seqDelta: number;
    }
  | { kind: "revoke"; creator: number; target: number; raise: number }
  | { kind: "post"; deal: number; instructions: bigint }
  | { kind: "accept" | "challenge" | "finalize" | "decline"; deal: number }
  | { kind: "rule"; deal: number; right: boolean }
  | { kind: "advance"; seconds: number }
  | { kind: "withdraw" | "deposit"; party: number; amount: number };

const dealIndex = fc.nat(2);
const MAX_TIMEOUT = 30 * 86400;
/** Mostly usable timeouts, sometimes at or just past a floor or the ceiling. */
const timeout = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 60, max: 900 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 59, 60, 599, 600, MAX_TIMEOUT, MAX_TIMEOUT + 1) },
);
const FLOORS = [60, 60, 600] as const;
const instructions = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 12n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 10n ** 13n, 2n ** 64n - 1n) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("open" as const),
      jc: fc.nat(1),
      rp: fc.nat(1),
      pc: fc.integer({ min: 1, max: 50 }),
      tc: fc.integer({ min: 1, max: 20 }),
      multiple: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(1000, 65535) }),
      fee: fc.integer({ min: 0, max: 25 }),
      timeouts: fc.tuple(timeout, timeout, timeout),
      price: fc.constantFrom("zero" as const, "default" as const, "max" as const),
      maxInstructions: instructions,
      reuse: fc.boolean(),
      pick: fc.nat(3),
      seqDelta: fc.constantFrom(0, 1, 1, 2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("revoke" as const), creator: fc.nat(1), target: fc.nat(3), raise: fc.constantFrom(0, 1, 2, 1000) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("post" as const), deal: dealIndex, instructions }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("decline" as const), deal: dealIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("accept" as const), deal: dealIndex }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("challenge" as const), deal: dealIndex }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("finalize" as const), deal: dealIndex }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("rule" as const), deal: dealIndex, right: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 900 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom("withdraw" as const, "deposit" as const), party: fc.nat(5), amount: fc.integer({ min: 1, max: 2000 }) }),
  },
);

const open: Step = {
  kind: "open",
  jc: 0,
  rp: 0,
  pc: 10,
  tc: 2,
  multiple: 3,
  fee: 1,
  timeouts: [300, 300, 600],
  price: "default",
  maxInstructions: 10n ** 10n,
  reuse: false,
  pick: 0,
  seqDelta: 1,
};
const post: Step = { kind: "post", deal: 0, instructions: 5_000_000n };
const late: Step = { kind: "advance", seconds: 900 };
const PRICES = {
  zero: { basePrice: 0n, pricePerMInstr: 0n },
  default: {},
  max: { basePrice: parseEther("1"), pricePerMInstr: parseEther("0.01") },
} as const;

interface ModelDeal {
  opened: OpenedDeal;
  state: DealState;
  deadline: bigint;
  result?: Result;
}

/** A lane a walk used or revoked: its creator, its number, its last sequence number and its latest deal. */
interface ModelLane {
  creator: Wallet;
  id: number;
  seq: number;
  deal?: ModelDeal;
}

describe("deal lifecycle property: conservation and no stuck funds", () => {
  let f: Fixture;
  let parties: Wallet[];
  before(async () => {
    f = await setup();
    parties = [f.jc, f.stranger, f.rp, f.otherRp, f.mediator, f.otherMediator];
    await deposit(f, f.stranger, parseEther("1000"));
  });
  after(() => f.dev.close());

  it(`holds over ${RUNS} random sequences`, async () => {
    let lane = 1;
    const outcomes = new Map<Outcome, number>();
    /** Revocations that went through, and deals opened in a lane used or revoked before. */
    const reached = { revoked: 0, reopened: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const snapshot = await f.dev.testClient.snapshot();
        try {
          const model = new Map<Address, { available: bigint; locked: bigint }>();
          for (const p of parties) model.set(p.account.address, await balanceOf(f, p.account.address));
          const apply = (who: Address, change: AccountChange) => {
            const b = model.get(who)!;
            model.set(who, { available: b.available + change.credit, locked: b.locked - change.unlock });
          };
          const lock = (who: Address, amount: bigint) => {
            const b = model.get(who)!;
            model.set(who, { available: b.available - amount, locked: b.locked + amount });
          };
          const deals: ModelDeal[] = [];
          const lanes: ModelLane[] = [];
          const free = (l: ModelLane) => !l.deal || l.deal.state === DealState.Closed;
          const expectOk = async (tx: Promise<Hex>) => {
            const receipt = await send(f, tx);
            return (await f.dev.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
          };
          const expectFail = async (tx: () => Promise<Hex>) => {
            await assert.rejects(tx);
          };
          const close = (d: ModelDeal, outcome: Outcome) => {
            const s = settlementOf(d.opened.deal, outcome, d.result?.instructions ?? 0n);
            if (outcome === Outcome.ProviderWrong) {
              // Caught costs the RP at least what silence would, and the JC who caught it never ends poorer.
              assert.ok(s.provider.unlock - s.provider.credit >= d.opened.deal.timeoutCollateral, "caught costs at least the timeout collateral");
              assert.ok(s.creator.credit - s.creator.unlock >= 0n, "the JC that caught a cheat is not poorer");
            }
            apply(d.opened.deal.creator, s.creator);
            apply(d.opened.deal.provider, s.provider);
            apply(d.opened.deal.mediator, s.mediator);
            d.state = DealState.Closed;
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          };
          const run = async (s: Step) => {
            const t = await now(f);
            const near = (d: ModelDeal) => t + 1n >= d.deadline - BigInt(MARGIN) && t <= d.deadline + BigInt(MARGIN);
            // Steps mostly target deals still in flight, so that walks go deep into the lifecycle.
            const live = deals.filter((x) => x.state !== DealState.Closed);
            const pool = live.length > 0 ? live : deals;
            const d = "deal" in s ? pool[s.deal % Math.max(pool.length, 1)] : undefined;
            if ("deal" in s && (!d || near(d))) return;
            switch (s.kind) {
              case "open": {
                const jc = s.jc === 0 ? f.jc : f.stranger;
                const rp = s.rp === 0 ? f.rp : f.otherRp;
                const reusable = lanes.filter((l) => l.creator === jc && free(l));
                const reused = s.reuse ? reusable[s.pick % Math.max(reusable.length, 1)] : undefined;
                const laneId = reused?.id ?? lane++;
                const seq = reused ? reused.seq + s.seqDelta : 1;
                // Built past the schema, which would refuse the hostile timeouts before the market could.
                const job = {
                  ...(await jobOffer(f, {
                    creator: jc.account.address,
                    lane: laneId,
                    seq,
                    paymentCollateral: parseEther(String(s.pc)),
                    mediationFee: parseEther(String(s.fee)) / 4n,
                    minTimeoutCollateral: 0n,
                    minCollateralMultiple: 1,
                    maxInstructions: s.maxInstructions,
                  })),
                  resultTimeout: s.timeouts[0],
                  judgingWindow: s.timeouts[1],
                  mediationTimeout: s.timeouts[2],
                };
                const resource = await resourceOffer(f, job, { timeoutCollateral: parseEther(String(s.tc)), collateralMultiple: s.multiple, ...PRICES[s.price] });
                const offers = await signOffers(f, job, resource, { jc, rp });
                const valid =
                  s.timeouts.every((x, i) => x >= FLOORS[i]! && x <= MAX_TIMEOUT) && resource.timeoutCollateral >= job.mediationFee;
                const enough =
                  model.get(jc.account.address)!.available >= job.paymentCollateral &&
                  model.get(rp.account.address)!.available >= resource.timeoutCollateral;
                const stale = reused !== undefined && seq <= reused.seq;
                if (!valid || !enough || stale) return expectFail(() => openDealTx(offers));
                const opened = await openDeal(f, offers);
                lock(jc.account.address, job.paymentCollateral);
                lock(rp.account.address, resource.timeoutCollateral);
                const deal: ModelDeal = { opened, state: DealState.Open, deadline: (await now(f)) + BigInt(job.resultTimeout) };
                deals.push(deal);
                if (reused) {
                  Object.assign(reused, { seq, deal });
                  reached.reopened++;
                } else lanes.push({ creator: jc, id: laneId, seq, deal });
                return;
              }
              case "revoke": {
                // One of the creator's lanes, busy or free, or a lane it never used.
                const creator = s.creator === 0 ? f.jc : f.stranger;
                const own = lanes.filter((l) => l.creator === creator);
                const target = own[s.target % (own.length + 1)] ?? { creator, id: lane++, seq: 0 };
                const seq = target.seq + s.raise;
                const write = () => creator.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "revokeOffers", args: [target.id, seq] });
                if (!free(target) || s.raise === 0) return expectFail(write);
                await expectOk(write());
                target.seq = seq;
                reached.revoked++;
                if (!own.includes(target)) lanes.push(target);
                return;
              }
              case "post": {
                const result: Result = { cidDigest: `0x${"ab".repeat(32)}`, outputHash: `0x${"cd".repeat(32)}`, instructions: s.instructions };
                const deal = d!.opened.deal;
                const topUp = costOf(deal, s.instructions) * BigInt(deal.collateralMultiple) - deal.timeoutCollateral;
                const ok =
                  d!.state === DealState.Open && t < d!.deadline && s.instructions <= deal.maxInstructions && model.get(deal.provider)!.available >= topUp;
                const provider = parties.find((p) => p.account.address === deal.provider)!;
                if (!ok) return expectFail(() => dealCall(f, provider, "postResult", d!.opened, result));
                const at = await expectOk(dealCall(f, provider, "postResult", d!.opened, result));
                if (topUp > 0n) lock(deal.provider, topUp);
                Object.assign(d!, { state: DealState.ResultPosted, result, deadline: at + BigInt(deal.judgingWindow) });
                return;
              }
              case "accept": {
                const jc = parties.find((p) => p.account.address === d!.opened.deal.creator)!;
                if (d!.state !== DealState.ResultPosted) return expectFail(() => dealCall(f, jc, "accept", d!.opened, d!.result));
                await expectOk(dealCall(f, jc, "accept", d!.opened, d!.result));
                return close(d!, Outcome.Accepted);
              }
              case "challenge": {
                const deal = d!.opened.deal;
                const jc = parties.find((p) => p.account.address === deal.creator)!;
                const ok = d!.state === DealState.ResultPosted && t < d!.deadline && model.get(deal.creator)!.available >= deal.mediationFee;
                if (!ok) return expectFail(() => dealCall(f, jc, "challenge", d!.opened, d!.result));
                const at = await expectOk(dealCall(f, jc, "challenge", d!.opened, d!.result));
                lock(deal.creator, deal.mediationFee);
                Object.assign(d!, { state: DealState.Challenged, deadline: at + BigInt(deal.mediationTimeout) });
                return;
              }
              case "rule": {
                if (d!.state !== DealState.Challenged || t >= d!.deadline) return expectFail(() => ruleTx(f, f.mediator, d!.opened, s.right, d!.result));
                await expectOk(ruleTx(f, f.mediator, d!.opened, s.right, d!.result));
                return close(d!, s.right ? Outcome.ProviderRight : Outcome.ProviderWrong);
              }
              case "finalize": {
                if (d!.state === DealState.Closed || t <= d!.deadline) return expectFail(() => dealCall(f, f.stranger, "finalize", d!.opened, d!.result));
                await expectOk(dealCall(f, f.stranger, "finalize", d!.opened, d!.result));
                const outcome = { [DealState.Open]: Outcome.ResultTimeout, [DealState.ResultPosted]: Outcome.Finalized, [DealState.Challenged]: Outcome.MediationTimeout }[d!.state as 1 | 2 | 3];
                return close(d!, outcome);
              }
              case "decline": {
                const provider = parties.find((p) => p.account.address === d!.opened.deal.provider)!;
                const write = () =>
                  provider.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "decline", args: [d!.opened.dealId, d!.opened.packed] });
                if (d!.state !== DealState.Open) return expectFail(write);
                await expectOk(write());
                return close(d!, Outcome.Declined);
              }
              case "advance":
                await f.dev.testClient.increaseTime({ seconds: s.seconds });
                await f.dev.testClient.mine({ blocks: 1 });
                return;
              case "withdraw": {
                const p = parties[s.party]!;
                const amount = parseEther(String(s.amount));
                const write = () => p.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "withdraw", args: [amount] });
                if (model.get(p.account.address)!.available < amount) return expectFail(write);
                await expectOk(write());
                return apply(p.account.address, { unlock: 0n, credit: -amount });
              }
              case "deposit": {
                const p = parties[s.party]!;
                const amount = parseEther(String(s.amount));
                await deposit(f, p, amount);
                return apply(p.account.address, { unlock: 0n, credit: amount });
              }
            }
          };
          const openDealTx = (offers: Awaited<ReturnType<typeof signOffers>>) =>
            f.solver.writeContract({
              address: f.market,
              abi: lilypadMarketAbi,
              functionName: "openDeal",
              args: [offers.job, offers.jobSignature, { ...offers.resource, jobOfferHash: undefined } as never, offers.resourceSignature],
            });
          const agrees = async () => {
            for (const p of parties) assert.deepEqual(await balanceOf(f, p.account.address), model.get(p.account.address), `balances of ${p.account.address}`);
            await assertConservation(f, parties.map((p) => p.account.address));
          };
          const lanesAgree = async () => {
            for (const l of lanes) {
              const [state, , seq] = await f.dev.publicClient.readContract({
                address: f.market,
                abi: lilypadMarketAbi,
                functionName: "laneStatus",
                args: [l.creator.account.address, l.id],
              });
              assert.deepEqual({ state, seq }, { state: l.deal?.state ?? DealState.None, seq: l.seq }, `lane ${l.id} of ${l.creator.account.address}`);
            }
          };
          for (const s of steps) {
            await run(s);
            await agrees();
            if (s.kind === "revoke" || (s.kind === "open" && s.reuse)) await lanesAgree();
          }
          // Every deal ends: after all deadlines anyone finalizes what is left, and nothing stays locked.
          const last = deals.reduce((m, d) => (d.state !== DealState.Closed && d.deadline > m ? d.deadline : m), 0n);
          await f.dev.testClient.increaseTime({ seconds: Math.max(0, Number(last - (await now(f)))) + 10 * MARGIN });
          await f.dev.testClient.mine({ blocks: 1 });
          while (deals.some((d) => d.state !== DealState.Closed)) await run({ kind: "finalize", deal: 0 });
          await agrees();
          await lanesAgree();
          for (const d of deals) assert.equal(d.state, DealState.Closed);
          for (const p of parties) assert.equal(model.get(p.account.address)!.locked, 0n, "no funds stay locked");
        } finally {
          await f.dev.testClient.revert({ id: snapshot });
        }
      }),
      {
        numRuns: RUNS,
        // Walks that end each way for sure; the random ones then explore around them.
        examples: [
          [[open, post, { kind: "accept", deal: 0 }]],
          [[open, post, late, { kind: "finalize", deal: 0 }]],
          [[open, post, { kind: "challenge", deal: 0 }, { kind: "rule", deal: 0, right: true }]],
          [[open, post, { kind: "challenge", deal: 0 }, { kind: "rule", deal: 0, right: false }]],
          [[open, late, { kind: "finalize", deal: 0 }]],
          [[open, { kind: "decline", deal: 0 }]],
          [[open, post, { kind: "challenge", deal: 0 }, late, { kind: "finalize", deal: 0 }]],
          // Revoke a closed lane, try the revoked offer's number, then open above it; revoke a lane never used.
          [
            [
              open,
              { kind: "revoke", creator: 0, target: 0, raise: 1 },
              post,
              { kind: "accept", deal: 0 },
              { kind: "revoke", creator: 0, target: 0, raise: 0 },
              { kind: "revoke", creator: 0, target: 0, raise: 2 },
              { ...open, reuse: true, seqDelta: 0 },
              { ...open, reuse: true, seqDelta: 1 },
              { kind: "revoke", creator: 1, target: 0, raise: 1000 },
              { ...open, jc: 1, reuse: true, seqDelta: 1 },
            ],
          ],
        ],
      },
    );
    // The random walks must have reached every way a deal can end, or the property proves little.
    for (const outcome of Object.values(Outcome)) assert.ok((outcomes.get(outcome) ?? 0) > 0, `outcome ${outcome} reached`);
    assert.ok(reached.revoked > 0 && reached.reopened > 0, `revocations and reused lanes reached: ${JSON.stringify(reached)}`);
  });
});
