// How fast the solver matches: matchOffers on (1k jobs x 100 offers), (10k x 1k) and (100k x 10k), with random
// but realistic markets (36 modules of uneven popularity, a sixth of offers accepting any module, varied prices,
// capacities, GPUs and mediators, a few targeted and expired jobs, demand above supply). Median of 3 runs each.
// Our bar: 10k jobs x 1k offers <= 1 s, and time growing near-linearly with the input.
//
// Run alone with `node bench/matching.ts`.
import type { Address, Hex } from "viem";
import type { CapacityOffer, JobRequest } from "../src/core/market/marketOrders.ts";
import { matchOffers } from "../src/solver/matchOffers.ts";

const NOW = 1_700_000_000;
const MODULES = 36;
const MEDIATORS = 8;

export interface MatchingFigure {
  jobs: number;
  offers: number;
  /** Median wall time of one matchOffers call, in milliseconds. */
  medianMs: number;
  runsMs: number[];
  matched: number;
  unmatched: number;
  /** Median time per job, in microseconds (flat when growth is linear). */
  perJobUs: number;
}

export interface MatchingFigures {
  sizes: MatchingFigure[];
  /** The 10k x 1k median is within 1 s. */
  meetsBar: boolean;
}

/** A deterministic PRNG (mulberry32), so every run times the same market. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}`;

export function randomMarket(jobCount: number, offerCount: number, seed = 1): { jobs: JobRequest[]; offers: CapacityOffer[] } {
  const rnd = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  // Uneven popularity: module i is chosen with weight ~ 1/(i+1).
  const modules = [...Array(MODULES)].map((_, i) => hex(0xabc000 + i, 32) as Hex);
  const popular = () => modules[Math.min(MODULES - 1, Math.floor(MODULES ** rnd()) - 1)]!;
  const mediators = [...Array(MEDIATORS)].map((_, i) => hex(0xed00 + i, 20) as Address);
  const someMediators = (min: number, max: number) => [...new Set([...Array(int(min, max))].map(() => pick(mediators)))];
  const providers = [...Array(Math.max(1, Math.floor(offerCount / 3)))].map((_, i) => hex(0x100000 + i, 20) as Address);
  const gwei = 1_000_000_000n;

  const offers: CapacityOffer[] = [...Array(offerCount)].map((_, i) => {
    const gpu = rnd() < 0.25 ? int(1, 8) : 0;
    return {
      id: `offer-${i}`,
      provider: pick(providers),
      free: { cpu: int(2, 64), ramMiB: 1024 * int(4, 256), gpu, diskMiB: 1024 * int(10, 2000) },
      slots: int(1, 12),
      modules: rnd() < 1 / 6 ? [] : [...new Set([...Array(int(1, 4))].map(popular))],
      // A third of the providers have podman.
      engines: rnd() < 1 / 3 ? ["wasm", "js", "container"] : ["wasm", "js"],
      basePrice: BigInt(int(100, 10_000)) * gwei * (gpu > 0 ? 3n : 1n),
      pricePerMInstr: BigInt(int(1, 500)) * gwei,
      mediators: someMediators(1, 4),
      expiresAt: rnd() < 0.05 ? NOW - int(1, 600) : NOW + int(60, 3600),
    };
  });
  const jobs: JobRequest[] = [...Array(jobCount)].map((_, i) => ({
    id: `job-${i}`,
    creator: hex(0xc00000 + (i % 5000), 20) as Address,
    moduleId: popular(),
    engine: rnd() < 0.1 ? "container" : "wasm",
    resources: {
      cpu: pick([0.5, 1, 1, 2, 4, 8]),
      ramMiB: pick([256, 512, 1024, 2048, 4096, 16384]),
      gpu: rnd() < 0.1 ? int(1, 2) : 0,
      diskMiB: pick([0, 64, 1024, 10240]),
    },
    maxBasePrice: BigInt(int(500, 20_000)) * gwei,
    maxPricePerMInstr: BigInt(int(50, 600)) * gwei,
    mediators: someMediators(1, 3),
    targetProvider: rnd() < 0.02 ? pick(providers) : undefined,
    deadline: rnd() < 0.03 ? NOW - 1 : NOW + int(60, 3600),
    createdAt: NOW - int(0, 3600) + rnd(),
  }));
  return { jobs, offers };
}

export async function measureMatching(): Promise<MatchingFigures> {
  const sizes: MatchingFigure[] = [];
  for (const [jobCount, offerCount] of [
    [1_000, 100],
    [10_000, 1_000],
    [100_000, 10_000],
  ] as const) {
    const { jobs, offers } = randomMarket(jobCount, offerCount, jobCount + offerCount);
    matchOffers({ jobs: jobs.slice(0, 1000), offers: offers.slice(0, 100), now: NOW }); // warm up the JIT
    const runsMs: number[] = [];
    let result = matchOffers({ jobs: [], offers: [], now: NOW });
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      result = matchOffers({ jobs, offers, now: NOW });
      runsMs.push(performance.now() - start);
    }
    const medianMs = [...runsMs].sort((a, b) => a - b)[1]!;
    sizes.push({
      jobs: jobCount,
      offers: offerCount,
      medianMs: round(medianMs),
      runsMs: runsMs.map(round),
      matched: result.matches.length,
      unmatched: result.unmatched.length,
      perJobUs: round((medianMs * 1000) / jobCount),
    });
  }
  const bar = sizes.find((s) => s.jobs === 10_000);
  return { sizes, meetsBar: bar !== undefined && bar.medianMs <= 1000 };
}

const round = (x: number) => Math.round(x * 100) / 100;

if (import.meta.main) {
  const figures = await measureMatching();
  console.table(figures.sizes.map(({ runsMs: _runs, ...row }) => row));
  console.log(`10k jobs x 1k offers <= 1 s: ${figures.meetsBar ? "yes" : "NO"}`);
}
