// Development aid: attributes a transaction's gas to Solidity source lines of the market, using
// debug_traceTransaction and the compiler's source map. `LILYPAD_ANVIL_STEPS=1 node bench/profileGas.ts` profiles a
// batch (anvil records the steps a trace needs only when asked).
import { readFileSync } from "node:fs";
import type { Hex, PublicClient } from "viem";

interface StructLog {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
}

export async function profileTransaction(client: PublicClient, hash: Hex, top = 25): Promise<string> {
  const artifact = JSON.parse(readFileSync("artifacts/contracts/market/LilypadMarket.sol/LilypadMarket.json", "utf8"));
  const output = JSON.parse(readFileSync(`artifacts/build-info/${artifact.buildInfoId}.output.json`, "utf8")).output;
  const input = JSON.parse(readFileSync(`artifacts/build-info/${artifact.buildInfoId}.json`, "utf8")).input;
  const deployed = output.contracts["project/contracts/market/LilypadMarket.sol"].LilypadMarket.evm.deployedBytecode;
  const code = Buffer.from(deployed.object, "hex");
  const instructionAt = new Map<number, number>();
  for (let pc = 0, i = 0; pc < code.length; i++) {
    instructionAt.set(pc, i);
    const op = code[pc]!;
    pc += op >= 0x60 && op <= 0x7f ? op - 0x5e : 1;
  }
  const sourceMap: [number, number][] = [];
  let start = 0;
  let file = 0;
  for (const entry of (deployed.sourceMap as string).split(";")) {
    const [s, , f] = entry.split(":");
    if (s) start = Number(s);
    if (f) file = Number(f);
    sourceMap.push([start, file]);
  }
  const fileNames: Record<number, string> = {};
  for (const [name, source] of Object.entries<{ id: number }>(output.sources)) fileNames[source.id] = name;
  const lineOf = (fileId: number, offset: number): string => {
    const name = fileNames[fileId];
    if (!name) return "(compiler-generated)";
    const text: string = input.sources[name].content;
    const line = text.slice(0, offset).split("\n").length;
    return `${name.split("/").pop()}:${line} ${text.split("\n")[line - 1]!.trim().slice(0, 80)}`;
  };
  const trace = (await client.request({
    method: "debug_traceTransaction" as "eth_chainId",
    params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] as never,
  })) as unknown as { structLogs: StructLog[] };
  const logs = trace.structLogs;
  const byLine = new Map<string, number>();
  for (let i = 0; i < logs.length; i++) {
    const step = logs[i]!;
    if (step.depth !== 1) continue;
    let next = i + 1;
    while (next < logs.length && logs[next]!.depth !== 1) next++;
    const cost = next < logs.length ? step.gas - logs[next]!.gas : step.gasCost;
    const [offset, fileId] = sourceMap[instructionAt.get(step.pc)!]!;
    const key = lineOf(fileId, offset);
    byLine.set(key, (byLine.get(key) ?? 0) + cost);
  }
  return [...byLine.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([line, cost]) => `${String(cost).padStart(8)}  ${line}`)
    .join("\n");
}
