// The solver's matching core: pairs waiting jobs with resource providers' capacity offers. Pure, no I/O.
//
// Rules. A job matches an offer when the offer has not expired, has a slot left and enough free CPU, RAM, GPU and
// disk (capacity is consumed by each match within one call), runs the job's engine, allows the job's module (or any
// module), the module is not blocked, both prices are within the job's maxima, the provider trusts every mediator the job names (it
// accepts the whole list by signing; the market draws from it), and the job's target provider,
// if it names one, is the offer's provider. A job whose deadline has passed is not matched.
// Jobs are taken oldest first (createdAt, then id); each takes the cheapest eligible offer by (basePrice,
// pricePerMInstr), ties broken by offer id, so the result does not depend on the order of the input.
// A time equal to `now` counts as passed, for offers (expiresAt) and jobs (deadline) alike.
//
// Complexity, for J jobs, O offers and M module entries over all allowlists (one per offer for any-module ones):
// - setup: sorting, O(J log J + M log M), and one segment tree per bucket, O(M);
// - matching: offers are bucketed by engine and module, plus one bucket of any-module offers per engine, each sorted
//   by price (an offer sits in the buckets of every engine it runs; engines are few). Over each
//   bucket a segment tree keeps, per subtree, the most free cpu/ram/gpu/disk of any one offer, the lowest
//   per-instruction price and the union of trusted mediators (hashed to bits). A job binary-searches the prefix of
//   offers within its base price, then descends to the leftmost (cheapest) leaf it fits, skipping every subtree
//   that cannot hold a fit: exhausted offers (no slot: -1 capacity) and offers too full for this job are never
//   rescanned. Taking a slot updates the offer's leaf and its ancestors, O(log n) per bucket holding the offer.
//   A job therefore costs O(log n) when the maxima of a subtree come from one offer, which is the common case; a
//   descent misled by maxima that come from different offers is bounded by `scanLimit` subtrees. In all:
//   O((J + M) log M) typically, O(J * scanLimit + M log M) at worst;
// - explaining a failure: an unmatched job's cheapest candidates are examined again (at most `scanLimit`,
//   stopping at the first one older jobs used up) to find the rule that rules out the last of them.
// Measured (bench/matching.ts): 10k jobs x 1k offers in about 0.1 s, 100k x 10k in under 1 s.
import type { Address, Hex } from "viem";
import type { CapacityOffer, JobRequest } from "../core/market/marketOrders.ts";
import { InvalidArgumentError } from "../core/errors.ts";

/** Tree nodes visited per job (and offers examined per failure explanation) before giving up; bounds the work. */
export const DEFAULT_SCAN_LIMIT = 1024;

export interface MatchOffersParameters {
  /** The waiting jobs. */
  jobs: readonly JobRequest[];
  /** The resource providers' capacity offers. */
  offers: readonly CapacityOffer[];
  /** The current unix time, in seconds. */
  now: number;
  /** Whether a module is blocked (e.g. by the module allowlist/denylist); blocked modules are never matched. */
  isBlocked?: (moduleId: Hex) => boolean;
  /** Work per job: tree nodes visited before it is left unmatched (default {@link DEFAULT_SCAN_LIMIT}). */
  scanLimit?: number;
}

export interface Match {
  jobId: string;
  offerId: string;
  provider: Address;
}

/** Stable codes for why a job was left unmatched; programs and tests use these, people read `reason`. */
export const UnmatchedCode = {
  /** The job's deadline has passed. */
  expired: "EXPIRED",
  /** The job's module is blocked. */
  moduleBlocked: "MODULE_BLOCKED",
  /** No live offer runs the module. */
  moduleNotOffered: "MODULE_NOT_OFFERED",
  /** No live offer runs the module's engine (e.g. no provider has podman for a container module). */
  engineNotOffered: "ENGINE_NOT_OFFERED",
  /** The job names a target provider that has no live offer for its module. */
  targetProviderUnavailable: "TARGET_PROVIDER_UNAVAILABLE",
  /** No offer has the CPU, RAM, GPU or disk the job needs. */
  insufficientResources: "INSUFFICIENT_RESOURCES",
  /** Offers with enough resources trust none of the job's mediators. */
  mediatorsNotTrusted: "MEDIATORS_NOT_TRUSTED",
  /** Offers that fit the job otherwise ask more than its maximum prices. */
  priceTooLow: "PRICE_TOO_LOW",
  /** Offers that would suit the job were used up by older jobs in this round. */
  capacityTaken: "CAPACITY_TAKEN",
  /** The job gave up after `scanLimit` steps without a fit, though a suitable offer may exist further on. */
  scanLimit: "SCAN_LIMIT",
} as const;
export type UnmatchedCode = (typeof UnmatchedCode)[keyof typeof UnmatchedCode];

export interface Unmatched {
  jobId: string;
  /** Stable, for programs. */
  code: UnmatchedCode;
  /** One specific sentence for people, e.g. "no offer with 2 GPUs free". */
  reason: string;
}

export interface MatchOffersResult {
  /** In the order jobs were served (oldest first). */
  matches: Match[];
  /** In the order jobs were served (oldest first). */
  unmatched: Unmatched[];
}

/** The offers that run the same set of engines, bucketed by module and for any module. */
interface EngineGroup {
  engines: ReadonlySet<string>;
  byModule: Map<string, OfferState[]>;
  anyModule: OfferState[];
  moduleBuckets: Map<string, Bucket>;
  anyBucket: Bucket;
}

/** An offer's working state during one call. CPU is held in milli-cores so that consuming it stays exact. */
interface OfferState {
  offer: CapacityOffer;
  /** Position in the global price order; comparing ranks compares (basePrice, pricePerMInstr, id). */
  rank: number;
  modules: ReadonlySet<string>;
  engines: ReadonlySet<string>;
  mediators: ReadonlySet<string>;
  slots: number;
  milliCpu: number;
  ramMiB: number;
  gpu: number;
  diskMiB: number;
  /** Dense rank of pricePerMInstr among all offers' (so the trees compare small integers, not bigints). */
  perMRank: number;
  /** The mediators it trusts, hashed to bits (1 << (index % 31)); a superset test, exact checks at the leaves. */
  mediatorBits: number;
  /** Where the offer sits in each bucket holding it, to update all of them when it takes a job. */
  places: { bucket: Bucket; index: number }[];
}

/**
 * Offers sorted by price, over a segment tree (heap layout, leaves at size + i) holding per subtree the largest
 * free cpu/ram/gpu/disk, the lowest per-instruction price rank and the union of mediator bits. A subtree that
 * cannot hold a fitting offer is skipped whole; an offer with no slot left gets -1 capacity, so it is skipped too.
 */
interface Bucket {
  offers: OfferState[];
  size: number;
  cpu: Float64Array;
  ram: Float64Array;
  gpu: Float64Array;
  disk: Float64Array;
  perM: Int32Array;
  bits: Int32Array;
}

interface Need {
  milliCpu: number;
  ramMiB: number;
  gpu: number;
  diskMiB: number;
}

/** One job's search: what it needs, its price limits as ranks, and the tree nodes it may still visit. */
interface Query extends Need {
  job: JobRequest;
  mediators: readonly string[];
  /** The highest per-instruction price rank the job accepts (-1: none). */
  perMLimit: number;
  mediatorBits: number;
  budget: number;
}

const toMilli = (cpu: number) => Math.round(cpu * 1000);

/** Matches jobs to offers; see the rules and the complexity at the top of this file. */
export function matchOffers(params: MatchOffersParameters): MatchOffersResult {
  const { now } = params;
  const scanLimit = Math.max(1, params.scanLimit ?? DEFAULT_SCAN_LIMIT);
  assertUniqueIds(params.jobs, "jobs");
  assertUniqueIds(params.offers, "offers");

  const states = params.offers
    .filter((o) => o.expiresAt > now && o.slots > 0)
    .sort(byPrice)
    .map(
      (offer, rank): OfferState => ({
        offer,
        rank,
        modules: new Set(offer.modules.map((m) => m.toLowerCase())),
        engines: new Set(offer.engines),
        mediators: new Set(offer.mediators.map((m) => m.toLowerCase())),
        slots: offer.slots,
        milliCpu: toMilli(offer.free.cpu),
        ramMiB: offer.free.ramMiB,
        gpu: offer.free.gpu,
        diskMiB: offer.free.diskMiB,
        perMRank: 0,
        mediatorBits: 0,
        places: [],
      }),
    );
  const perMPrices = [...new Set(states.map((s) => s.offer.pricePerMInstr))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const perMRankOf = new Map(perMPrices.map((p, i) => [p, i]));
  const mediatorIndex = new Map<string, number>();
  for (const s of states) {
    s.perMRank = perMRankOf.get(s.offer.pricePerMInstr)!;
    for (const m of s.mediators) {
      if (!mediatorIndex.has(m)) mediatorIndex.set(m, mediatorIndex.size);
      s.mediatorBits |= 1 << mediatorIndex.get(m)! % 31;
    }
  }

  // Buckets: offers are grouped by the set of engines they run (few distinct sets: wasm and js, and those plus
  // container), so that each offer sits in one any-module bucket and one bucket per module it lists, as without
  // engines; a job searches the groups whose set holds its engine. Plus each provider's offers (for targeted jobs).
  const groups = new Map<string, EngineGroup>();
  const byProvider = new Map<string, OfferState[]>();
  for (const s of states) {
    const key = [...s.engines].sort().join(",");
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { engines: s.engines, byModule: new Map(), anyModule: [], moduleBuckets: new Map(), anyBucket: makeBucket([]) }));
    if (s.modules.size === 0) group.anyModule.push(s);
    for (const m of s.modules) pushTo(group.byModule, m, s);
    pushTo(byProvider, s.offer.provider.toLowerCase(), s);
  }
  for (const group of groups.values()) {
    for (const [m, list] of group.byModule) group.moduleBuckets.set(m, makeBucket(list));
    group.anyBucket = makeBucket(group.anyModule);
  }
  const groupsByEngine = new Map<string, EngineGroup[]>();
  const groupsFor = (engine: string): EngineGroup[] => {
    let found = groupsByEngine.get(engine);
    if (!found) groupsByEngine.set(engine, (found = [...groups.values()].filter((g) => g.engines.has(engine))));
    return found;
  };
  const emptyBucket = makeBucket([]);
  // A job's candidate offers across its groups, cheapest first, for explaining a failure (merged once per key).
  const merged = new Map<string, OfferState[]>();
  const mergedOffers = (key: string, lists: () => (readonly OfferState[])[]): readonly OfferState[] => {
    let found = merged.get(key);
    if (!found) {
      const all = lists();
      merged.set(key, (found = all.length === 1 ? [...all[0]!] : all.flat().sort((x, y) => x.rank - y.rank)));
    }
    return found;
  };

  const blocked = new Map<string, boolean>();
  const isBlocked = (moduleId: Hex): boolean => {
    let b = blocked.get(moduleId);
    if (b === undefined) blocked.set(moduleId, (b = params.isBlocked?.(moduleId) ?? false));
    return b;
  };

  const matches: Match[] = [];
  const unmatched: Unmatched[] = [];
  const jobs = [...params.jobs].sort((a, b) => a.createdAt - b.createdAt || compareStrings(a.id, b.id));
  for (const job of jobs) {
    const moduleId = job.moduleId.toLowerCase() as Hex;
    if (job.deadline <= now) {
      unmatched.push({ jobId: job.id, code: UnmatchedCode.expired, reason: "expired" });
      continue;
    }
    if (isBlocked(moduleId)) {
      unmatched.push({ jobId: job.id, code: UnmatchedCode.moduleBlocked, reason: `module ${moduleId} is blocked` });
      continue;
    }
    const jobGroups = groupsFor(job.engine);
    if (states.length > 0 && jobGroups.length === 0) {
      unmatched.push({ jobId: job.id, code: UnmatchedCode.engineNotOffered, reason: `no resource provider runs ${job.engine} modules` });
      continue;
    }
    const moduleBuckets = jobGroups.map((g) => g.moduleBuckets.get(moduleId) ?? emptyBucket);
    if (moduleBuckets.every((b) => b.offers.length === 0) && jobGroups.every((g) => g.anyBucket.offers.length === 0)) {
      unmatched.push({ jobId: job.id, code: UnmatchedCode.moduleNotOffered, reason: `no resource provider offers module ${moduleId}` });
      continue;
    }
    const need: Need = {
      milliCpu: toMilli(job.resources.cpu),
      ramMiB: job.resources.ramMiB,
      gpu: job.resources.gpu,
      diskMiB: job.resources.diskMiB,
    };
    const mediators = job.mediators.map((m) => m.toLowerCase());
    const target = job.targetProvider?.toLowerCase();

    let found: OfferState | undefined;
    let limited = false;
    let candidates: readonly OfferState[];
    if (target === undefined) {
      // The cheapest fitting offer of the module's bucket and of the any-module bucket; the cheaper one wins.
      // A mediator no offer trusts rules every offer out.
      let mediatorBits = 0;
      let known = true;
      for (const m of mediators) {
        const i = mediatorIndex.get(m);
        if (i === undefined) known = false;
        else mediatorBits |= 1 << i % 31;
      }
      const q: Query = { ...need, job, mediators, perMLimit: upperRank(perMPrices, job.maxPricePerMInstr), mediatorBits, budget: scanLimit };
      if (known) {
        for (const bucket of [...moduleBuckets, ...jobGroups.map((g) => g.anyBucket)]) {
          const fit = firstFit(bucket, q);
          if (fit !== undefined && (found === undefined || fit.rank < found.rank)) found = fit;
        }
      }
      limited = found === undefined && q.budget <= 0;
      candidates = [];
    } else {
      // A targeted job: only that provider's offers, which are few.
      const forModule = (byProvider.get(target) ?? []).filter((s) => s.modules.size === 0 || s.modules.has(moduleId));
      candidates = forModule.filter((s) => s.engines.has(job.engine));
      if (candidates.length === 0) {
        const why = forModule.length > 0 ? `it runs no ${job.engine} modules` : `none of its offers runs module ${moduleId}`;
        unmatched.push({ jobId: job.id, code: UnmatchedCode.targetProviderUnavailable, reason: `target provider ${job.targetProvider} has no matching offer (${why})` });
        continue;
      }
      let examined = 0;
      for (const s of candidates) {
        if (s.offer.basePrice > job.maxBasePrice) break;
        if (s.slots > 0 && eligible(s, job, need, mediators)) {
          found = s;
          break;
        }
        if (++examined >= scanLimit) {
          limited = true;
          break;
        }
      }
    }

    if (found !== undefined) {
      consume(found, need);
      matches.push({ jobId: job.id, offerId: found.offer.id, provider: found.offer.provider });
      continue;
    }
    if (limited) {
      unmatched.push({
        jobId: job.id,
        code: UnmatchedCode.scanLimit,
        reason: `no fitting offer found within the scan limit (${scanLimit}); a suitable one may be further on`,
      });
      continue;
    }
    const [a, b] =
      target === undefined
        ? [mergedOffers(`${job.engine}/${moduleId}`, () => moduleBuckets.map((bucket) => bucket.offers)), mergedOffers(job.engine, () => jobGroups.map((g) => g.anyBucket.offers))]
        : [candidates, []];
    unmatched.push({ jobId: job.id, ...explain(job, need, mediators, a, b, scanLimit) });
  }
  return { matches, unmatched };
}

function eligible(s: OfferState, job: JobRequest, need: Need, mediators: readonly string[]): boolean {
  return (
    s.offer.basePrice <= job.maxBasePrice &&
    s.offer.pricePerMInstr <= job.maxPricePerMInstr &&
    s.milliCpu >= need.milliCpu &&
    s.ramMiB >= need.ramMiB &&
    s.gpu >= need.gpu &&
    s.diskMiB >= need.diskMiB &&
    trustsMediators(s, mediators)
  );
}

function trustsMediators(s: OfferState, mediators: readonly string[]): boolean {
  for (const m of mediators) if (!s.mediators.has(m)) return false;
  return true;
}

function consume(s: OfferState, need: Need): void {
  s.slots -= 1;
  s.milliCpu -= need.milliCpu;
  s.ramMiB -= need.ramMiB;
  s.gpu -= need.gpu;
  s.diskMiB -= need.diskMiB;
  for (const { bucket, index } of s.places) setLeaf(bucket, index, s);
}

function makeBucket(offers: OfferState[]): Bucket {
  let size = 1;
  while (size < offers.length) size *= 2;
  const bucket: Bucket = {
    offers,
    size,
    cpu: new Float64Array(2 * size).fill(-1),
    ram: new Float64Array(2 * size).fill(-1),
    gpu: new Float64Array(2 * size).fill(-1),
    disk: new Float64Array(2 * size).fill(-1),
    perM: new Int32Array(2 * size).fill(0x7fffffff),
    bits: new Int32Array(2 * size),
  };
  offers.forEach((s, index) => {
    s.places.push({ bucket, index });
    writeLeaf(bucket, size + index, s);
  });
  for (let node = size - 1; node >= 1; node--) pull(bucket, node);
  return bucket;
}

function writeLeaf(b: Bucket, node: number, s: OfferState): void {
  const live = s.slots > 0;
  b.cpu[node] = live ? s.milliCpu : -1;
  b.ram[node] = live ? s.ramMiB : -1;
  b.gpu[node] = live ? s.gpu : -1;
  b.disk[node] = live ? s.diskMiB : -1;
  b.perM[node] = live ? s.perMRank : 0x7fffffff;
  b.bits[node] = live ? s.mediatorBits : 0;
}

function pull(b: Bucket, node: number): void {
  const l = 2 * node;
  const r = l + 1;
  b.cpu[node] = Math.max(b.cpu[l]!, b.cpu[r]!);
  b.ram[node] = Math.max(b.ram[l]!, b.ram[r]!);
  b.gpu[node] = Math.max(b.gpu[l]!, b.gpu[r]!);
  b.disk[node] = Math.max(b.disk[l]!, b.disk[r]!);
  b.perM[node] = Math.min(b.perM[l]!, b.perM[r]!);
  b.bits[node] = b.bits[l]! | b.bits[r]!;
}

/** Rewrites an offer's leaf after it took a job, and its ancestors: O(log n). */
function setLeaf(b: Bucket, index: number, s: OfferState): void {
  let node = b.size + index;
  writeLeaf(b, node, s);
  for (node >>= 1; node >= 1; node >>= 1) pull(b, node);
}

/** The number of distinct per-instruction prices at or below `max`, minus one: the highest acceptable rank. */
function upperRank(sortedPrices: readonly bigint[], max: bigint): number {
  let lo = 0;
  let hi = sortedPrices.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedPrices[mid]! <= max) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The cheapest offer of the bucket the job fits, if any, visiting at most `q.budget` subtrees that might hold one. */
function firstFit(b: Bucket, q: Query): OfferState | undefined {
  if (b.offers.length === 0) return undefined;
  // Base prices ascend along the bucket: only the prefix within the job's maximum counts.
  let lo = 0;
  let hi = b.offers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.offers[mid]!.offer.basePrice <= q.job.maxBasePrice) lo = mid + 1;
    else hi = mid;
  }
  const index = descend(b, q, 1, 0, b.size, lo);
  return index < 0 ? undefined : b.offers[index];
}

function descend(b: Bucket, q: Query, node: number, from: number, to: number, end: number): number {
  if (from >= end || q.budget <= 0) return -1;
  if (
    b.cpu[node]! < q.milliCpu ||
    b.ram[node]! < q.ramMiB ||
    b.gpu[node]! < q.gpu ||
    b.disk[node]! < q.diskMiB ||
    b.perM[node]! > q.perMLimit ||
    (b.bits[node]! & q.mediatorBits) !== q.mediatorBits
  ) {
    return -1;
  }
  q.budget--;
  if (to - from === 1) return eligible(b.offers[from]!, q.job, q, q.mediators) ? from : -1;
  const mid = (from + to) >> 1;
  const left = descend(b, q, 2 * node, from, mid, end);
  return left >= 0 ? left : descend(b, q, 2 * node + 1, mid, to, end);
}

/**
 * Why a job found no offer: the rule that rules out the last candidates. The rules are tried as a funnel
 * (resources as first offered, then mediators, then prices, then what older jobs left), and the reason names the
 * first stage no candidate gets past, so it says what the job would have to change. Examines at most
 * `scanLimit` candidates, cheapest first (beyond that the reason speaks for the cheapest ones only). Called only
 * when the matching scan went through every candidate, so a fully suitable one must have been used up.
 */
function explain(
  job: JobRequest,
  need: Need,
  mediators: readonly string[],
  a: readonly OfferState[],
  b: readonly OfferState[],
  scanLimit: number,
): Omit<Unmatched, "jobId"> {
  const target = job.targetProvider;
  const noOffer = target === undefined ? "no offer" : `target provider ${target} has no offer`;
  const fits = { cpu: false, ram: false, gpu: false, disk: false };
  let deepest = 0;
  // The two rank-sorted candidate lists, merged on the fly, cheapest first.
  let i = 0;
  let j = 0;
  for (let examined = 0; examined < scanLimit; examined++) {
    const x = a[i];
    const y = b[j];
    const s = x !== undefined && (y === undefined || x.rank < y.rank) ? (i++, x) : (j++, y);
    if (s === undefined) break;
    const o = s.offer;
    const cpu = toMilli(o.free.cpu) >= need.milliCpu;
    const ram = o.free.ramMiB >= need.ramMiB;
    const gpu = o.free.gpu >= need.gpu;
    const disk = o.free.diskMiB >= need.diskMiB;
    fits.cpu ||= cpu;
    fits.ram ||= ram;
    fits.gpu ||= gpu;
    fits.disk ||= disk;
    let depth = 0;
    if (cpu && ram && gpu && disk) {
      depth = 1;
      if (trustsMediators(s, mediators)) {
        depth = 2;
        if (o.basePrice <= job.maxBasePrice && o.pricePerMInstr <= job.maxPricePerMInstr) {
          depth = 3;
        }
      }
    }
    deepest = Math.max(deepest, depth);
    if (deepest === 3) break;
  }
  switch (deepest) {
    case 0: {
      const { cpu, ramMiB, gpu, diskMiB } = job.resources;
      const all = [
        { fits: fits.cpu, text: `${cpu} ${cpu === 1 ? "CPU" : "CPUs"}` },
        { fits: fits.ram, text: `${ramMiB} MiB RAM` },
        { fits: fits.gpu, text: `${gpu} ${gpu === 1 ? "GPU" : "GPUs"}` },
        { fits: fits.disk, text: `${diskMiB} MiB disk` },
      ];
      // Name the dimensions no offer has; if each is offered somewhere but never together, name the whole need.
      const missing = all.filter((d) => !d.fits);
      const named = (missing.length > 0 ? missing : all).map((d) => d.text);
      const list = named.length > 1 ? `${named.slice(0, -1).join(", ")} and ${named.at(-1)}` : named[0];
      return { code: UnmatchedCode.insufficientResources, reason: `${noOffer} with ${list} free` };
    }
    case 1:
      return {
        code: UnmatchedCode.mediatorsNotTrusted,
        reason: target === undefined ? "no offer trusts all of the job's mediators" : `${noOffer} that trusts all of the job's mediators`,
      };
    case 2:
      return { code: UnmatchedCode.priceTooLow, reason: `${noOffer} within the job's prices` };
    default:
      return {
        code: UnmatchedCode.capacityTaken,
        reason:
          target === undefined
            ? "every suitable offer was taken by older jobs"
            : `every suitable offer of target provider ${target} was taken by older jobs`,
      };
  }
}

function byPrice(a: CapacityOffer, b: CapacityOffer): number {
  if (a.basePrice !== b.basePrice) return a.basePrice < b.basePrice ? -1 : 1;
  if (a.pricePerMInstr !== b.pricePerMInstr) return a.pricePerMInstr < b.pricePerMInstr ? -1 : 1;
  return compareStrings(a.id, b.id);
}

/** Code-unit order, independent of locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function assertUniqueIds(items: readonly { id: string }[], argument: "jobs" | "offers"): void {
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) throw new InvalidArgumentError({ argument, message: `duplicate ${argument === "jobs" ? "job" : "offer"} id "${id}"` });
    seen.add(id);
  }
}
