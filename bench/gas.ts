// Gas per job on the in-process dev chain: happy path, mediation path, and batches of 100.
import { parseEther, parseEventLogs, type Hex } from "viem";
import { lilypadMarketAbi } from "../src/chain/generated/contracts.ts";
import { dealSchema, type Deal, type Result } from "../src/core/dealTypes.ts";
import {
  dealCall,
  jobOffer,
  openDeal,
  resourceOffer,
  RESULT,
  ruleTx,
  send,
  setup,
  signOffers,
  advance,
  deposit,
  now,
  type Fixture,
} from "../test/contracts/fixture.ts";

export interface GasFigures {
  happyPath: { open: number; postResult: number; accept: number; total: number };
  mediationPath: { open: number; postResult: number; challenge: number; rule: number; total: number };
  batch100: { openDeals: number; postResults: number; finalizeMany: number; perJob: number };
}

const gas = async (f: Fixture, tx: Promise<Hex>) => Number((await send(f, tx)).gasUsed);

export async function measureGas(): Promise<GasFigures> {
  const f = await setup();
  try {
    const open = async () => {
      const job = await jobOffer(f);
      return openDeal(f, await signOffers(f, job, await resourceOffer(f, job)));
    };
    // Warm-up deal so that first-touch storage (a zero balance becoming non-zero) does not distort figures.
    const warm = await open();
    await send(f, dealCall(f, f.rp, "postResult", warm));
    await send(f, dealCall(f, f.jc, "accept", warm));

    const h = await open();
    const hp = { open: Number(h.gasUsed), postResult: await gas(f, dealCall(f, f.rp, "postResult", h)), accept: await gas(f, dealCall(f, f.jc, "accept", h)) };
    const m = await open();
    const mp = {
      open: Number(m.gasUsed),
      postResult: await gas(f, dealCall(f, f.rp, "postResult", m)),
      challenge: await gas(f, dealCall(f, f.jc, "challenge", m)),
      rule: await gas(f, ruleTx(f, f.mediator, m, false)),
    };

    const n = 100;
    await deposit(f, f.jc, parseEther("100000"));
    await deposit(f, f.rp, parseEther("100000"));
    const offers = [];
    for (let i = 0; i < n; i++) {
      const job = await jobOffer(f, { expiry: (await now(f)) + 3600n });
      offers.push(await signOffers(f, job, await resourceOffer(f, job)));
    }
    const openReceipt = await send(
      f,
      f.solver.writeContract({
        address: f.market,
        abi: lilypadMarketAbi,
        functionName: "openDeals",
        args: [offers.map((o) => o.job), offers.map((o) => o.jobSignature), offers.map((o) => o.resource), offers.map((o) => o.resourceSignature)],
      }),
    );
    const opened = parseEventLogs({ abi: lilypadMarketAbi, logs: openReceipt.logs, eventName: "DealOpened" });
    const ids = opened.map((e) => e.args.dealId);
    const deals: Deal[] = opened.map((e) => dealSchema.parse(e.args.deal));
    const results: Result[] = deals.map(() => RESULT);
    const postGas = await gas(
      f,
      f.rp.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "postResults", args: [ids, deals, results] }),
    );
    await advance(f, 7200);
    const finGas = await gas(
      f,
      f.stranger.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "finalizeMany", args: [ids, deals, results] }),
    );
    const openGas = Number(openReceipt.gasUsed);
    return {
      happyPath: { ...hp, total: hp.open + hp.postResult + hp.accept },
      mediationPath: { ...mp, total: mp.open + mp.postResult + mp.challenge + mp.rule },
      batch100: { openDeals: openGas, postResults: postGas, finalizeMany: finGas, perJob: Math.round((openGas + postGas + finGas) / n) },
    };
  } finally {
    await f.dev.close();
  }
}

if (import.meta.main) console.log(await measureGas());
