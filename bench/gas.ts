// Gas per job on the dev chain (anvil): the happy path, the mediation path, and batches of 100.
// Figures are for a job creator's lane that has run a deal before (its slot changes from non-zero to
// non-zero), which is the steady state; the first deal in a fresh lane costs one new storage slot more
// (+17,100 gas), reported separately.
import { parseEther, parseEventLogs, type Hex } from "viem";
import { resourceOfferCalldata } from "../src/core/dealTypes.ts";
import { lilypadMarketAbi } from "../src/chain/generated/contracts.ts";
import type { PackedDeal } from "../src/core/dealPacking.ts";
import type { JobOffer, Result } from "../src/core/dealTypes.ts";
import {
  advance,
  dealCall,
  deposit,
  jobOffer,
  now,
  openDeal,
  resourceOffer,
  RESULT,
  ruleTx,
  send,
  setup,
  signOffers,
  type Fixture,
  type OpenedDeal,
} from "../test/contracts/fixture.ts";

export interface GasFigures {
  happyPath: { open: number; postResult: number; accept: number; total: number; totalInFreshLane: number };
  mediationPath: { open: number; postResult: number; challenge: number; rule: number; total: number };
  batch100: { openDeals: number; postResults: number; finalizeMany: number; perJob: number; perJobInFreshLanes: number };
}

const gas = async (f: Fixture, tx: Promise<Hex>) => Number((await send(f, tx)).gasUsed);

async function openIn(f: Fixture, overrides: Partial<JobOffer> = {}): Promise<OpenedDeal> {
  const job = await jobOffer(f, overrides);
  return openDeal(f, await signOffers(f, job, await resourceOffer(f, job)));
}

async function happyPath(f: Fixture, lane: Partial<JobOffer>) {
  const d = await openIn(f, lane);
  const postResult = await gas(f, dealCall(f, f.rp, "postResult", d));
  const accept = await gas(f, dealCall(f, f.jc, "accept", d));
  return { d, open: Number(d.gasUsed), postResult, accept, total: Number(d.gasUsed) + postResult + accept };
}

async function batch(f: Fixture, lanes: number[], seq: number) {
  const offers = [];
  for (const lane of lanes) {
    const job = await jobOffer(f, { lane, seq, expiry: (await now(f)) + 3600n });
    offers.push(await signOffers(f, job, await resourceOffer(f, job)));
  }
  const openReceipt = await send(
    f,
    f.solver.writeContract({
      address: f.market,
      abi: lilypadMarketAbi,
      functionName: "openDeals",
      args: [offers.map((o) => o.job), offers.map((o) => o.jobSignature), offers.map((o) => resourceOfferCalldata(o.resource)), offers.map((o) => o.resourceSignature)],
    }),
  );
  const opened = parseEventLogs({ abi: lilypadMarketAbi, logs: openReceipt.logs, eventName: "DealOpened" });
  const ids = opened.map((e) => e.args.dealId);
  const deals: PackedDeal[] = opened.map((e) => e.args.deal);
  const results: Result[] = deals.map(() => RESULT);
  const postResults = await gas(
    f,
    f.rp.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "postResults", args: [ids, deals, results] }),
  );
  await advance(f, 3600);
  const finalizeMany = await gas(
    f,
    f.stranger.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "finalizeMany", args: [ids, deals, results] }),
  );
  const openDeals = Number(openReceipt.gasUsed);
  return { openDeals, postResults, finalizeMany, perJob: Math.round((openDeals + postResults + finalizeMany) / lanes.length) };
}

export async function measureGas(): Promise<GasFigures> {
  const f = await setup();
  try {
    await deposit(f, f.jc, parseEther("100000"));
    await deposit(f, f.rp, parseEther("100000"));
    const fresh = await happyPath(f, {});
    const lane = { lane: fresh.d.deal.lane };
    const steady = await happyPath(f, { ...lane, seq: 2 });

    const m = await openIn(f, { ...lane, seq: 3 });
    const mp = {
      open: Number(m.gasUsed),
      postResult: await gas(f, dealCall(f, f.rp, "postResult", m)),
      challenge: await gas(f, dealCall(f, f.jc, "challenge", m)),
      rule: await gas(f, ruleTx(f, f.mediator, m, false)),
    };

    const lanes = Array.from({ length: 100 }, (_, i) => 10_000 + i);
    const first = await batch(f, lanes, 1);
    const second = await batch(f, lanes, 2);
    return {
      happyPath: { open: steady.open, postResult: steady.postResult, accept: steady.accept, total: steady.total, totalInFreshLane: fresh.total },
      mediationPath: { ...mp, total: mp.open + mp.postResult + mp.challenge + mp.rule },
      batch100: { ...second, perJobInFreshLanes: first.perJob },
    };
  } finally {
    await f.dev.close();
  }
}

if (import.meta.main) console.log(await measureGas());
