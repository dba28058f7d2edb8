import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Hex } from "viem";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import {
  capacityOfferSchema,
  jobRequestSchema,
  type CapacityOffer,
  type CapacityOfferInput,
  type JobRequest,
  type JobRequestInput,
} from "../../src/core/market/marketOrders.ts";
import { matchOffers, UnmatchedCode, type MatchOffersResult } from "../../src/solver/matchOffers.ts";
import { offerIdByLoad } from "../../src/solver/offerIdByLoad.ts";

const NOW = 1_700_000_000;
const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const mod = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const M1 = mod(1);
const M2 = mod(2);
const MED_A = addr(0xa1);
const MED_B = addr(0xb2);
const RP1 = addr(0x1001);
const RP2 = addr(0x1002);
const RP3 = addr(0x1003);

function job(id: string, over: Partial<JobRequestInput> = {}): JobRequest {
  return jobRequestSchema.parse({
    id,
    creator: addr(0xc0),
    moduleId: M1,
    resources: { cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 64 },
    maxBasePrice: 1000n,
    maxPricePerMInstr: 10n,
    mediators: [MED_A],
    deadline: NOW + 600,
    createdAt: 1,
    ...over,
  });
}

function offer(id: string, over: Partial<CapacityOfferInput> = {}): CapacityOffer {
  return capacityOfferSchema.parse({
    id,
    provider: RP1,
    free: { cpu: 8, ramMiB: 16384, gpu: 0, diskMiB: 100_000 },
    slots: 10,
    modules: [],
    basePrice: 500n,
    pricePerMInstr: 5n,
    mediators: [MED_A],
    expiresAt: NOW + 3600,
    ...over,
  });
}

const run = (jobs: JobRequest[], offers: CapacityOffer[], isBlocked?: (m: Hex) => boolean) =>
  matchOffers({ jobs, offers, now: NOW, isBlocked });

const pairs = (r: MatchOffersResult) => r.matches.map((m) => `${m.jobId}->${m.offerId}`);

describe("matchOffers", () => {
  it("gives the job to the cheaper resource provider, by base price then per-instruction price then id", () => {
    const r = run(
      [job("j1")],
      [offer("pricey", { provider: RP1, basePrice: 600n }), offer("cheap", { provider: RP2, basePrice: 400n, pricePerMInstr: 9n })],
    );
    assert.deepEqual(r.matches, [{ jobId: "j1", offerId: "cheap", provider: jobRequestSchema.shape.creator.parse(RP2) }]);
    assert.deepEqual(r.unmatched, []);

    const tie = run([job("j1")], [offer("b", { pricePerMInstr: 4n }), offer("c", { pricePerMInstr: 3n }), offer("a", { pricePerMInstr: 3n })]);
    assert.deepEqual(pairs(tie), ["j1->a"]);
  });

  it("consumes slots: three jobs, the cheap offer has 2 slots, the third goes to the next offer", () => {
    const r = run(
      [job("j1", { createdAt: 1 }), job("j2", { createdAt: 2 }), job("j3", { createdAt: 3 })],
      [offer("cheap", { slots: 2, basePrice: 100n }), offer("next", { provider: RP2, basePrice: 200n })],
    );
    assert.deepEqual(pairs(r), ["j1->cheap", "j2->cheap", "j3->next"]);
  });

  it("consumes capacity within one call", () => {
    const jobs = ["j1", "j2", "j3"].map((id, i) => job(id, { createdAt: i, resources: { cpu: 1.5, ramMiB: 4096, gpu: 1, diskMiB: 10 } }));
    const r = run(jobs, [
      offer("small", { basePrice: 100n, free: { cpu: 3, ramMiB: 16384, gpu: 4, diskMiB: 100 } }),
      offer("big", { basePrice: 200n, free: { cpu: 32, ramMiB: 65536, gpu: 8, diskMiB: 1000 } }),
    ]);
    assert.deepEqual(pairs(r), ["j1->small", "j2->small", "j3->big"]);

    const ramBound = run(jobs, [offer("o", { free: { cpu: 64, ramMiB: 8192, gpu: 8, diskMiB: 100 } })]);
    assert.deepEqual(pairs(ramBound), ["j1->o", "j2->o"]);
    assert.deepEqual(ramBound.unmatched, [{ jobId: "j3", code: UnmatchedCode.capacityTaken, reason: "every suitable offer was taken by older jobs" }]);
  });

  it("respects GPU and RAM requirements", () => {
    const offers = [
      offer("cpu-only", { basePrice: 100n, free: { cpu: 16, ramMiB: 65536, gpu: 0, diskMiB: 1000 } }),
      offer("one-gpu", { basePrice: 200n, free: { cpu: 16, ramMiB: 8192, gpu: 1, diskMiB: 1000 } }),
      offer("two-gpu", { basePrice: 300n, free: { cpu: 16, ramMiB: 32768, gpu: 2, diskMiB: 1000 } }),
    ];
    const r = run(
      [
        job("plain", { createdAt: 1 }),
        job("gpu1", { createdAt: 2, resources: { cpu: 1, ramMiB: 4096, gpu: 1, diskMiB: 0 } }),
        job("gpu1-bigram", { createdAt: 3, resources: { cpu: 1, ramMiB: 16384, gpu: 1, diskMiB: 0 } }),
        job("gpu2", { createdAt: 4, resources: { cpu: 1, ramMiB: 1024, gpu: 2, diskMiB: 0 } }),
      ],
      offers,
    );
    assert.deepEqual(pairs(r), ["plain->cpu-only", "gpu1->one-gpu", "gpu1-bigram->two-gpu"]);
    assert.equal(r.unmatched[0]?.jobId, "gpu2");
    assert.equal(r.unmatched[0]?.code, UnmatchedCode.capacityTaken);
  });

  it("honours module allowlists and any-module offers", () => {
    const r = run(
      [job("m1", { moduleId: M1, createdAt: 1 }), job("m2", { moduleId: M2, createdAt: 2 }), job("m3", { moduleId: mod(3), createdAt: 3 })],
      [
        offer("only-m1", { modules: [M1], basePrice: 100n }),
        offer("only-m2", { modules: [M2], basePrice: 300n }),
        offer("any", { modules: [], basePrice: 200n, slots: 1 }),
      ],
    );
    // m1 takes its cheap dedicated offer; m2's dedicated offer costs more than "any", so it takes "any"; m3 then
    // has only m1/m2 offers left.
    assert.deepEqual(pairs(r), ["m1->only-m1", "m2->any"]);
    assert.deepEqual(r.unmatched, [{ jobId: "m3", code: UnmatchedCode.capacityTaken, reason: "every suitable offer was taken by older jobs" }]);

    const allowlisted = run([job("m3", { moduleId: mod(3) })], [offer("only-m1", { modules: [M1, M2] })]);
    assert.deepEqual(allowlisted.unmatched, [
      { jobId: "m3", code: UnmatchedCode.moduleNotOffered, reason: `no resource provider offers module ${mod(3)}` },
    ]);
  });

  it("sends a job only to a provider that runs its engine, and says so when none does", () => {
    const container = job("c", { engine: "container" });
    const r = run([container, job("w", { createdAt: 2 })], [offer("cheap", { basePrice: 100n }), offer("podman", { provider: RP2, engines: ["wasm", "js", "container"] })]);
    assert.deepEqual(pairs(r), ["c->podman", "w->cheap"]);
    const none = run([container], [offer("cheap")]);
    assert.deepEqual(none.unmatched, [{ jobId: "c", code: UnmatchedCode.engineNotOffered, reason: "no resource provider runs container modules" }]);
    const targeted = run([job("t", { engine: "container", targetProvider: RP1 })], [offer("cheap"), offer("podman", { provider: RP2, engines: ["container"] })]);
    assert.equal(targeted.unmatched[0]?.code, UnmatchedCode.targetProviderUnavailable);
    assert.match(targeted.unmatched[0]?.reason ?? "", /it runs no container modules/);
    // Offers that name modules are bucketed by engine too.
    const listed = run([job("l", { engine: "container" })], [offer("wasm-only", { modules: [M1] }), offer("both", { provider: RP3, modules: [M1], engines: ["wasm", "container"] })]);
    assert.deepEqual(pairs(listed), ["l->both"]);
  });

  it("never matches a blocked module", () => {
    const r = run([job("bad", { moduleId: M2, createdAt: 1 }), job("good", { moduleId: M1, createdAt: 2 })], [offer("any")], (m) => m === M2);
    assert.deepEqual(pairs(r), ["good->any"]);
    assert.deepEqual(r.unmatched, [{ jobId: "bad", code: UnmatchedCode.moduleBlocked, reason: `module ${M2} is blocked` }]);
  });

  it("requires the provider to trust every mediator the job names (the market draws from all of them)", () => {
    const r = run(
      [job("j1", { mediators: [MED_A, MED_B] })],
      [offer("a-only", { mediators: [MED_A], basePrice: 1n }), offer("both", { mediators: [MED_A, MED_B, addr(0xee)], basePrice: 900n })],
    );
    assert.deepEqual(pairs(r), ["j1->both"]);
    const unknown = run([job("j1", { mediators: [MED_A, addr(0xee)] })], [offer("a-only", { mediators: [MED_A] })]);
    assert.equal(unknown.unmatched[0]?.code, UnmatchedCode.mediatorsNotTrusted, "a mediator no offer trusts rules every offer out");
    const none = run([job("j1", { mediators: [MED_B] })], [offer("a-only", { mediators: [MED_A] })]);
    assert.deepEqual(none.unmatched, [{ jobId: "j1", code: UnmatchedCode.mediatorsNotTrusted, reason: "no offer trusts all of the job's mediators" }]);
  });

  it("sends a targeted job only to its target provider", () => {
    const r = run(
      [job("t", { targetProvider: RP2, createdAt: 1 }), job("free", { createdAt: 2 })],
      [offer("rp1", { provider: RP1, basePrice: 100n }), offer("rp2", { provider: RP2, basePrice: 900n })],
    );
    assert.deepEqual(pairs(r), ["t->rp2", "free->rp1"]);
    const zero = run([job("z", { targetProvider: addr(0) })], [offer("rp1")]);
    assert.deepEqual(pairs(zero), ["z->rp1"], "the zero address means any provider");
  });

  it("skips expired offers and leaves expired jobs unmatched", () => {
    const r = run(
      [job("late", { deadline: NOW, createdAt: 1 }), job("ok", { createdAt: 2 })],
      [offer("stale", { basePrice: 1n, expiresAt: NOW }), offer("fresh", { basePrice: 2n })],
    );
    assert.deepEqual(pairs(r), ["ok->fresh"]);
    assert.deepEqual(r.unmatched, [{ jobId: "late", code: UnmatchedCode.expired, reason: "expired" }]);
    const onlyStale = run([job("j")], [offer("stale", { expiresAt: NOW - 1 })]);
    assert.equal(onlyStale.unmatched[0]?.code, UnmatchedCode.moduleNotOffered);
  });

  it("serves the oldest job first, whatever the input order", () => {
    const r = run(
      [job("new", { createdAt: 20 }), job("b-old", { createdAt: 10 }), job("a-old", { createdAt: 10 })],
      [offer("one", { slots: 1 })],
    );
    assert.deepEqual(pairs(r), ["a-old->one"]);
    assert.deepEqual(
      r.unmatched.map((u) => u.jobId),
      ["b-old", "new"],
    );
  });

  it("explains each failure with the most informative reason", () => {
    const cases: { name: string; job: JobRequest; offers: CapacityOffer[]; code: string; reason: string }[] = [
      { name: "expired", job: job("j", { deadline: NOW - 5 }), offers: [offer("o")], code: UnmatchedCode.expired, reason: "expired" },
      { name: "no offers at all", job: job("j"), offers: [], code: UnmatchedCode.moduleNotOffered, reason: `no resource provider offers module ${M1}` },
      {
        name: "module not offered",
        job: job("j"),
        offers: [offer("o", { modules: [M2] })],
        code: UnmatchedCode.moduleNotOffered,
        reason: `no resource provider offers module ${M1}`,
      },
      {
        name: "price",
        job: job("j", { maxBasePrice: 100n }),
        offers: [offer("o1", { basePrice: 101n }), offer("o2", { basePrice: 50n, pricePerMInstr: 11n })],
        code: UnmatchedCode.priceTooLow,
        reason: "no offer within the job's prices",
      },
      {
        name: "GPUs",
        job: job("j", { resources: { cpu: 1, ramMiB: 256, gpu: 2, diskMiB: 0 } }),
        offers: [offer("o1", { free: { cpu: 8, ramMiB: 8192, gpu: 1, diskMiB: 10 } }), offer("o2", { basePrice: 1n })],
        code: UnmatchedCode.insufficientResources,
        reason: "no offer with 2 GPUs free",
      },
      {
        name: "RAM and disk",
        job: job("j", { resources: { cpu: 1, ramMiB: 9000, gpu: 0, diskMiB: 500 } }),
        offers: [offer("o1", { free: { cpu: 8, ramMiB: 8192, gpu: 1, diskMiB: 10 } })],
        code: UnmatchedCode.insufficientResources,
        reason: "no offer with 9000 MiB RAM and 500 MiB disk free",
      },
      {
        name: "never all resources together",
        job: job("j", { resources: { cpu: 4, ramMiB: 4096, gpu: 1, diskMiB: 0 } }),
        offers: [
          offer("cpu", { free: { cpu: 8, ramMiB: 1024, gpu: 1, diskMiB: 0 } }),
          offer("ram", { free: { cpu: 2, ramMiB: 8192, gpu: 1, diskMiB: 0 } }),
        ],
        code: UnmatchedCode.insufficientResources,
        reason: "no offer with 4 CPUs, 4096 MiB RAM, 1 GPU and 0 MiB disk free",
      },
      {
        // Resources fit only on an offer without a shared mediator: the mediator is what rules it out last.
        name: "mediator beats price",
        job: job("j", { mediators: [MED_B], maxBasePrice: 10n }),
        offers: [offer("o", { mediators: [MED_A], basePrice: 100n })],
        code: UnmatchedCode.mediatorsNotTrusted,
        reason: "no offer trusts all of the job's mediators",
      },
      {
        name: "blocked",
        job: job("j", { moduleId: M2 }),
        offers: [offer("o")],
        code: UnmatchedCode.moduleBlocked,
        reason: `module ${M2} is blocked`,
      },
      {
        name: "target provider without an offer",
        job: job("j", { targetProvider: RP3 }),
        offers: [offer("o", { provider: RP1 }), offer("p", { provider: RP3, modules: [M2] })],
        code: UnmatchedCode.targetProviderUnavailable,
        reason: `target provider ${jobRequestSchema.shape.creator.parse(RP3)} has no matching offer (none of its offers runs module ${M1})`,
      },
      {
        name: "target provider too expensive",
        job: job("j", { targetProvider: RP3, maxBasePrice: 10n }),
        offers: [offer("cheap", { provider: RP1, basePrice: 1n }), offer("p", { provider: RP3, basePrice: 11n })],
        code: UnmatchedCode.priceTooLow,
        reason: `target provider ${jobRequestSchema.shape.creator.parse(RP3)} has no offer within the job's prices`,
      },
    ];
    for (const c of cases) {
      const r = run([c.job], c.offers, (m) => m === M2);
      assert.deepEqual(r.matches, [], c.name);
      assert.deepEqual(r.unmatched, [{ jobId: "j", code: c.code, reason: c.reason }], c.name);
    }
  });

  it("gives up after scanLimit steps and says so", () => {
    // Cheap offers alternate between CPU-rich and RAM-rich, so every subtree looks promising but no leaf fits.
    const offers = [...Array(16)].map((_, i) =>
      offer(`small${String(i).padStart(2, "0")}`, {
        basePrice: BigInt(i),
        free: i % 2 ? { cpu: 8, ramMiB: 256, gpu: 0, diskMiB: 64 } : { cpu: 1, ramMiB: 8192, gpu: 0, diskMiB: 64 },
      }),
    );
    offers.push(offer("big", { basePrice: 100n }));
    const j = job("j", { resources: { cpu: 2, ramMiB: 1024, gpu: 0, diskMiB: 0 } });
    assert.deepEqual(pairs(matchOffers({ jobs: [j], offers, now: NOW })), ["j->big"]);
    const limited = matchOffers({ jobs: [j], offers, now: NOW, scanLimit: 8 });
    assert.deepEqual(limited.matches, []);
    assert.equal(limited.unmatched[0]?.code, UnmatchedCode.scanLimit);
  });

  it("rejects duplicate ids", () => {
    assert.throws(() => run([job("j"), job("j")], []), InvalidArgumentError);
    assert.throws(() => run([], [offer("o"), offer("o")]), /duplicate offer id "o"/);
  });

  it("is deterministic: shuffled input gives the same result", () => {
    const { jobs, offers } = sampleMarket(7);
    const expected = run(jobs, offers);
    assert.ok(expected.matches.length > 10 && expected.unmatched.length > 0);
    for (let seed = 1; seed <= 5; seed++) {
      assert.deepEqual(run(shuffle(jobs, seed), shuffle(offers, seed * 31)), expected);
    }
  });
});

describe("matchOffers properties", () => {
  const moduleArb = fc.constantFrom(M1, M2, mod(3));
  const mediatorsArb = fc.uniqueArray(fc.constantFrom(MED_A, MED_B, addr(0xc3)), { minLength: 1, maxLength: 3 });
  const providerArb = fc.constantFrom(RP1, RP2, RP3);
  const engineArb = fc.constantFrom("wasm" as const, "js" as const, "container" as const);
  const jobArb = fc.record({
    moduleId: moduleArb,
    engine: engineArb,
    resources: fc.record({
      cpu: fc.integer({ min: 1, max: 16 }).map((q) => q / 4),
      ramMiB: fc.integer({ min: 1, max: 8 }).map((x) => x * 512),
      gpu: fc.integer({ min: 0, max: 2 }),
      diskMiB: fc.integer({ min: 0, max: 4 }).map((x) => x * 100),
    }),
    maxBasePrice: fc.bigInt({ min: 0n, max: 20n }),
    maxPricePerMInstr: fc.bigInt({ min: 0n, max: 5n }),
    mediators: mediatorsArb,
    targetProvider: fc.option(providerArb, { nil: undefined, freq: 5 }),
    deadline: fc.integer({ min: NOW - 2, max: NOW + 10 }),
    createdAt: fc.integer({ min: 0, max: 5 }),
  });
  const offerArb = fc.record({
    provider: providerArb,
    free: fc.record({
      cpu: fc.integer({ min: 0, max: 32 }).map((q) => q / 4),
      ramMiB: fc.integer({ min: 0, max: 16 }).map((x) => x * 512),
      gpu: fc.integer({ min: 0, max: 3 }),
      diskMiB: fc.integer({ min: 0, max: 8 }).map((x) => x * 100),
    }),
    slots: fc.integer({ min: 0, max: 3 }),
    modules: fc.uniqueArray(moduleArb, { maxLength: 2 }),
    engines: fc.uniqueArray(engineArb, { minLength: 1, maxLength: 3 }),
    basePrice: fc.bigInt({ min: 0n, max: 20n }),
    pricePerMInstr: fc.bigInt({ min: 0n, max: 5n }),
    mediators: mediatorsArb,
    expiresAt: fc.integer({ min: NOW - 2, max: NOW + 10 }),
  });
  const marketArb = fc.record({
    jobs: fc.array(jobArb, { maxLength: 30 }).map((js) => js.map((j, i) => jobRequestSchema.parse({ ...j, id: `j${i}`, creator: addr(0xc0) }))),
    offers: fc.array(offerArb, { maxLength: 12 }).map((os) => os.map((o, i) => capacityOfferSchema.parse({ ...o, id: `o${i}` }))),
    blocked: fc.option(moduleArb, { nil: undefined }),
  });

  it("every match satisfies every rule, no offer is over-committed, every job is accounted for once", () => {
    fc.assert(
      fc.property(marketArb, ({ jobs, offers, blocked }) => {
        const r = run(jobs, offers, (m) => m === blocked);
        const jobsById = new Map(jobs.map((j) => [j.id, j]));
        const offersById = new Map(offers.map((o) => [o.id, o]));
        const seen = [...r.matches.map((m) => m.jobId), ...r.unmatched.map((u) => u.jobId)].sort();
        assert.deepEqual(seen, jobs.map((j) => j.id).sort());
        const used = new Map<string, { n: number; mcpu: number; ram: number; gpu: number; disk: number }>();
        for (const m of r.matches) {
          const j = jobsById.get(m.jobId)!;
          const o = offersById.get(m.offerId)!;
          assert.equal(m.provider, o.provider);
          assert.ok(o.expiresAt > NOW && j.deadline > NOW);
          assert.ok(o.modules.length === 0 || o.modules.includes(j.moduleId));
          assert.ok(o.engines.includes(j.engine));
          assert.notEqual(j.moduleId, blocked);
          assert.ok(o.basePrice <= j.maxBasePrice && o.pricePerMInstr <= j.maxPricePerMInstr);
          assert.ok(j.mediators.every((x) => o.mediators.includes(x)));
          assert.ok(j.targetProvider === undefined || j.targetProvider === o.provider);
          const u = used.get(o.id) ?? { n: 0, mcpu: 0, ram: 0, gpu: 0, disk: 0 };
          used.set(o.id, {
            n: u.n + 1,
            mcpu: u.mcpu + j.resources.cpu * 1000,
            ram: u.ram + j.resources.ramMiB,
            gpu: u.gpu + j.resources.gpu,
            disk: u.disk + j.resources.diskMiB,
          });
        }
        for (const [id, u] of used) {
          const o = offersById.get(id)!;
          assert.ok(u.n <= o.slots && u.mcpu <= o.free.cpu * 1000 && u.ram <= o.free.ramMiB && u.gpu <= o.free.gpu && u.disk <= o.free.diskMiB);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with a brute-force greedy reference, and is independent of input order", () => {
    fc.assert(
      fc.property(marketArb, fc.integer({ min: 1, max: 1000 }), ({ jobs, offers, blocked }, seed) => {
        const isBlocked = (m: Hex) => m === blocked;
        const r = run(jobs, offers, isBlocked);
        assert.deepEqual(pairs(r), referenceMatch(jobs, offers, isBlocked));
        assert.deepEqual(run(shuffle(jobs, seed), shuffle(offers, seed + 1), isBlocked), r);
      }),
      { numRuns: 300 },
    );
  });
});

/** The rules applied literally: O(jobs * offers), no indexes. */
function referenceMatch(jobs: readonly JobRequest[], offers: readonly CapacityOffer[], isBlocked: (m: Hex) => boolean): string[] {
  const left = new Map(offers.map((o) => [o.id, { slots: o.slots, mcpu: Math.round(o.free.cpu * 1000), ram: o.free.ramMiB, gpu: o.free.gpu, disk: o.free.diskMiB }]));
  const byAge = [...jobs].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: string[] = [];
  for (const j of byAge) {
    if (j.deadline <= NOW || isBlocked(j.moduleId)) continue;
    const eligible = offers.filter((o) => {
      const l = left.get(o.id)!;
      return (
        o.expiresAt > NOW &&
        l.slots > 0 &&
        l.mcpu >= Math.round(j.resources.cpu * 1000) &&
        l.ram >= j.resources.ramMiB &&
        l.gpu >= j.resources.gpu &&
        l.disk >= j.resources.diskMiB &&
        (o.modules.length === 0 || o.modules.includes(j.moduleId)) &&
        o.engines.includes(j.engine) &&
        o.basePrice <= j.maxBasePrice &&
        o.pricePerMInstr <= j.maxPricePerMInstr &&
        j.mediators.every((m) => o.mediators.includes(m)) &&
        (j.targetProvider === undefined || j.targetProvider === o.provider)
      );
    });
    eligible.sort((a, b) =>
      a.basePrice !== b.basePrice ? (a.basePrice < b.basePrice ? -1 : 1) : a.pricePerMInstr !== b.pricePerMInstr ? (a.pricePerMInstr < b.pricePerMInstr ? -1 : 1) : a.id < b.id ? -1 : 1,
    );
    const best = eligible[0];
    if (best === undefined) continue;
    const l = left.get(best.id)!;
    l.slots -= 1;
    l.mcpu -= Math.round(j.resources.cpu * 1000);
    l.ram -= j.resources.ramMiB;
    l.gpu -= j.resources.gpu;
    l.disk -= j.resources.diskMiB;
    out.push(`${j.id}->${best.id}`);
  }
  return out;
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const k = s % (i + 1);
    [out[i], out[k]] = [out[k]!, out[i]!];
  }
  return out;
}

/** A small market with ties, several modules, targeted jobs and more demand than supply. */
function sampleMarket(seed: number): { jobs: JobRequest[]; offers: CapacityOffer[] } {
  let s = seed;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const offers = [...Array(20)].map((_, i) =>
    offer(`o${i}`, {
      provider: addr(0x1000 + rnd(6)),
      modules: rnd(3) === 0 ? [] : [mod(1 + rnd(4))],
      slots: 1 + rnd(3),
      basePrice: BigInt(rnd(5)),
      pricePerMInstr: BigInt(rnd(3)),
      free: { cpu: 2 + rnd(8), ramMiB: 1024 * (1 + rnd(8)), gpu: rnd(3), diskMiB: 1000 },
      mediators: rnd(2) ? [MED_A] : [MED_B],
    }),
  );
  const jobs = [...Array(60)].map((_, i) =>
    job(`j${i}`, {
      moduleId: mod(1 + rnd(5)),
      createdAt: rnd(10),
      resources: { cpu: 0.5 * (1 + rnd(4)), ramMiB: 512 * (1 + rnd(4)), gpu: rnd(4) === 0 ? 1 : 0, diskMiB: 10 },
      maxBasePrice: BigInt(rnd(6)),
      maxPricePerMInstr: BigInt(rnd(3)),
      mediators: rnd(3) === 0 ? [MED_A, MED_B] : [rnd(2) ? MED_A : MED_B],
      targetProvider: rnd(8) === 0 ? addr(0x1000 + rnd(6)) : undefined,
    }),
  );
  return { jobs, offers };
}

describe("offerIdByLoad", () => {
  it("among equal prices, sends the job to the least loaded provider, whatever the addresses", () => {
    const busyLow = offer(offerIdByLoad(RP1 as `0x${string}`, 6, 10), { provider: RP1 });
    const idleHigh = offer(offerIdByLoad(RP3 as `0x${string}`, 1, 10), { provider: RP3 });
    assert.deepEqual(run([job("j")], [busyLow, idleHigh]).matches.map((m) => m.provider), [RP3]);
  });

  it("compares shares of slots, not counts, and a cheaper provider still wins however busy", () => {
    const big = offer(offerIdByLoad(RP1 as `0x${string}`, 10, 100), { provider: RP1, slots: 90 });
    const small = offer(offerIdByLoad(RP2 as `0x${string}`, 2, 4), { provider: RP2, slots: 2 });
    assert.deepEqual(run([job("j")], [small, big]).matches.map((m) => m.provider), [RP1], "10% in use beats 50%");
    const cheapBusy = offer(offerIdByLoad(RP3 as `0x${string}`, 9, 10), { provider: RP3, slots: 1, basePrice: 100n });
    assert.deepEqual(run([job("j")], [small, big, cheapBusy]).matches.map((m) => m.provider), [RP3]);
  });

  it("orders ids by load share up to a full provider", () => {
    const ids = [0, 1, 5, 9, 10].map((used) => offerIdByLoad(RP1 as `0x${string}`, used, 10));
    assert.deepEqual([...ids].sort(), ids);
  });
});
