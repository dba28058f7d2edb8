import { setup, jobOffer, resourceOffer, signOffers, openDeal, send, dealCall, RESULT, type Fixture } from "./test/contracts/fixture.ts";
import type { Hex } from "viem";
const f = await setup();
async function profile(label: string, hash: Hex) {
  const rcpt = await f.dev.publicClient.waitForTransactionReceipt({ hash });
  const tx = await f.dev.publicClient.getTransaction({ hash });
  const data = tx.input.slice(2); let z = 0, nz = 0; for (let i = 0; i < data.length; i += 2) (data.slice(i, i+2) === "00" ? z++ : nz++);
  const trace: any = await f.dev.publicClient.request({ method: "debug_traceTransaction" as any, params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] as any });
  const logs = trace.structLogs; const by: Record<string, number> = {};
  for (let i = 0; i < logs.length; i++) { const l = logs[i]; if (l.depth !== 1) continue; let j = i + 1; while (j < logs.length && logs[j].depth !== 1) j++; const c = j < logs.length ? l.gas - logs[j].gas : l.gasCost; by[l.op] = (by[l.op] ?? 0) + c; }
  const exec = Object.values(by).reduce((a, b) => a + b, 0);
  const top = Object.entries(by).sort((a, b) => b[1] - a[1]);
  const named = ["SSTORE","SLOAD","STATICCALL","CALL","EXTCODESIZE","TLOAD","TSTORE","KECCAK256"]; 
  const storage = top.filter(([k]) => named.includes(k) || k.startsWith("LOG"));
  const other = exec - storage.reduce((a, [, v]) => a + v, 0);
  console.log(label, "gasUsed", rcpt.gasUsed, "calldata", data.length / 2, "B cost", z * 4 + nz * 16, "exec", exec, JSON.stringify(Object.fromEntries(storage)), "plain opcodes", other);
}
const job0 = await jobOffer(f); const w = await openDeal(f, await signOffers(f, job0, await resourceOffer(f, job0)));
await send(f, dealCall(f, f.rp, "postResult", w)); await send(f, dealCall(f, f.jc, "accept", w));
const job = await jobOffer(f, { lane: w.deal.lane, seq: 2 });
const o = await signOffers(f, job, await resourceOffer(f, job));
const { openDealTx } = await import("./test/contracts/fixture.ts");
const h = await openDealTx(f, o); await profile("open (reused lane)", h);
const { parseEventLogs } = await import("viem"); const { lilypadMarketAbi } = await import("./src/chain/generated/contracts.ts"); const { dealSchema } = await import("./src/core/dealTypes.ts");
const r = await f.dev.publicClient.waitForTransactionReceipt({ hash: h }); const ev = parseEventLogs({ abi: lilypadMarketAbi, logs: r.logs, eventName: "DealOpened" })[0]!;
const { unpackDeal } = await import("./src/core/dealPacking.ts"); const d = { dealId: ev.args.dealId, deal: unpackDeal(ev.args.deal), packed: ev.args.deal, gasUsed: 0n };
await profile("postResult", await dealCall(f, f.rp, "postResult", d));
await profile("accept", await dealCall(f, f.jc, "accept", d));
await f.dev.close();
