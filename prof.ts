import { readFileSync } from "node:fs";
import { setup, jobOffer, resourceOffer, signOffers, openDeal, openDealTx, send, dealCall } from "./test/contracts/fixture.ts";
import { parseEventLogs, type Hex } from "viem";
import { lilypadMarketAbi } from "./src/chain/generated/contracts.ts";
import { dealSchema } from "./src/core/dealTypes.ts";
const art = JSON.parse(readFileSync("artifacts/contracts/market/LilypadMarket.sol/LilypadMarket.json", "utf8"));
const out = JSON.parse(readFileSync(`artifacts/build-info/${art.buildInfoId}.output.json`, "utf8")).output;
const inp = JSON.parse(readFileSync(`artifacts/build-info/${art.buildInfoId}.json`, "utf8")).input;
const c = out.contracts["project/contracts/market/LilypadMarket.sol"].LilypadMarket.evm.deployedBytecode;
const code = Buffer.from(c.object, "hex");
const pcToIdx = new Map<number, number>(); let idx = 0;
for (let pc = 0; pc < code.length; idx++) { pcToIdx.set(pc, idx); const op = code[pc]!; pc += op >= 0x60 && op <= 0x7f ? op - 0x5e : 1; }
const entries = c.sourceMap.split(";"); const map: [number, number, number][] = []; let s = 0, l = 0, fi = 0;
for (const e of entries) { const p = e.split(":"); if (p[0]) s = +p[0]; if (p[1]) l = +p[1]; if (p[2]) fi = +p[2]; map.push([s, l, fi]); }
const names: Record<number, string> = {}; for (const [k, v] of Object.entries<any>(out.sources)) names[v.id] = k;
const lineOf = (fi: number, off: number) => { const name = names[fi]; if (!name) return "generated"; const src: string = inp.sources[name].content; const line = src.slice(0, off).split("\n").length; return `${name.split("/").pop()}:${line} ${src.split("\n")[line - 1]!.trim().slice(0, 70)}`; };
const f = await setup();
async function profile(label: string, hash: Hex) {
  const rcpt = await f.dev.publicClient.waitForTransactionReceipt({ hash });
  const trace: any = await f.dev.publicClient.request({ method: "debug_traceTransaction" as any, params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] as any });
  const logs = trace.structLogs; const by: Record<string, number> = {};
  for (let i = 0; i < logs.length; i++) { const x = logs[i]; if (x.depth !== 1) continue; let j = i + 1; while (j < logs.length && logs[j].depth !== 1) j++; const cost = j < logs.length ? x.gas - logs[j].gas : x.gasCost;
    const m = map[pcToIdx.get(x.pc)!]!; const key = lineOf(m[2], m[0]); by[key] = (by[key] ?? 0) + cost; }
  console.log(`== ${label} gasUsed ${rcpt.gasUsed}`);
  for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 28)) console.log(String(v).padStart(6), k);
}
const job0 = await jobOffer(f); const w = await openDeal(f, await signOffers(f, job0, await resourceOffer(f, job0)));
await send(f, dealCall(f, f.rp, "postResult", w)); await send(f, dealCall(f, f.jc, "accept", w));
const job = await jobOffer(f, { lane: w.deal.lane, seq: 2 });
const h = await openDealTx(f, await signOffers(f, job, await resourceOffer(f, job)));
await profile("open", h);
const r = await f.dev.publicClient.waitForTransactionReceipt({ hash: h }); const ev = parseEventLogs({ abi: lilypadMarketAbi, logs: r.logs, eventName: "DealOpened" })[0]!;
const d = { dealId: ev.args.dealId, deal: dealSchema.parse(ev.args.deal), gasUsed: 0n };
await profile("postResult", await dealCall(f, f.rp, "postResult", d));
await profile("accept", await dealCall(f, f.jc, "accept", d));
await f.dev.close();
