import { parseEther, parseEventLogs } from "viem";
import { resourceOfferCalldata } from "./src/core/dealTypes.ts";
import { profileTransaction } from "./bench/profileGas.ts";
import { lilypadMarketAbi } from "./src/chain/generated/contracts.ts";
import { deposit, jobOffer, now, resourceOffer, send, setup, signOffers, RESULT } from "./test/contracts/fixture.ts";
const f = await setup();
await deposit(f, f.jc, parseEther("100000")); await deposit(f, f.rp, parseEther("100000"));
const lanes = Array.from({ length: 20 }, (_, i) => 10_000 + i);
for (const seq of [1, 2]) {
const offers = [];
for (const lane of lanes) { const job = await jobOffer(f, { lane, seq, expiry: (await now(f)) + 3600n }); offers.push(await signOffers(f, job, await resourceOffer(f, job))); }
const hash = await f.solver.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "openDeals", args: [offers.map((o) => o.job), offers.map((o) => o.jobSignature), offers.map((o) => resourceOfferCalldata(o.resource)), offers.map((o) => o.resourceSignature)] });
const r = await send(f, Promise.resolve(hash));
if (seq === 2) console.log("openDeals", r.gasUsed, "\n" + await profileTransaction(f.dev.publicClient, hash, 20));
const opened = parseEventLogs({ abi: lilypadMarketAbi, logs: r.logs, eventName: "DealOpened" });
const h2 = await f.rp.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "postResults", args: [opened.map(e => e.args.dealId), opened.map(e => e.args.deal), opened.map(() => RESULT)] });
const r2 = await send(f, Promise.resolve(h2));
if (seq === 2) console.log("postResults", r2.gasUsed, "\n" + await profileTransaction(f.dev.publicClient, h2, 12));
const h3 = await f.jc.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "finalizeMany", args: [opened.map(e => e.args.dealId), opened.map(e => e.args.deal), opened.map(() => RESULT)] }).catch(() => undefined);
await f.dev.testClient.increaseTime({ seconds: 3600 }); await f.dev.testClient.mine({ blocks: 1 });
const h4 = await f.jc.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "finalizeMany", args: [opened.map(e => e.args.dealId), opened.map(e => e.args.deal), opened.map(() => RESULT)] });
const r4 = await send(f, Promise.resolve(h4));
if (seq === 2) console.log("finalizeMany", r4.gasUsed, "\n" + await profileTransaction(f.dev.publicClient, h4, 12));
void h3;
}
await f.dev.close();
