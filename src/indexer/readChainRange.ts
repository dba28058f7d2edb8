// Reads one range of blocks into IndexEvents: the market's logs (deals, the module registry) and the service
// registry's, the time of each block they are in, and the gas of each transaction that moved a deal. Everything
// comes from the chain; a throw means the range could not be read whole, and it is read again later.
import { parseEventLogs, type Hex, type Log, type PublicClient } from "viem";
import { lilypadMarketAbi, serviceRegistryAbi } from "../chain/generated/contracts.ts";
import type { NetworkInfo } from "../core/network.ts";
import { asPackedDeal } from "../core/dealPacking.ts";
import type { Outcome } from "../core/dealTypes.ts";
import type { BlockRange } from "../chain/market/watchMarketEvents.ts";
import type { ChainRange, IndexEvent } from "./chainRange.ts";

/** Receipts fetched at once: enough to keep a node busy, few enough not to trip its rate limits. */
const RECEIPT_CONCURRENCY = 16;

export interface ChainReader {
  network: Pick<NetworkInfo, "contracts">;
  publicClient: Pick<PublicClient, "getLogs" | "getBlock" | "getTransactionReceipt">;
}

type Placed<T> = T & { block: number; logIndex: number; tx: Hex; blockTimestamp: bigint | null | undefined };
type Pending = Placed<DistributiveOmit<IndexEvent, "block" | "logIndex" | "at" | "tx" | "txGasUsed" | "gasShare">>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export async function readChainRange(reader: ChainReader, range: BlockRange): Promise<ChainRange> {
  const { fromBlock, toBlock } = range;
  const [marketLogs, registryLogs] = await Promise.all([
    reader.publicClient.getLogs({ address: reader.network.contracts.market, fromBlock, toBlock }) as Promise<Log[]>,
    reader.publicClient.getLogs({ address: reader.network.contracts.serviceRegistry, fromBlock, toBlock }) as Promise<Log[]>,
  ]);
  const pending = [...marketEvents(marketLogs), ...serviceEvents(registryLogs)].sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);

  const times = await blockTimes(reader, pending);
  const gas = await dealTransactionGas(reader, pending);
  const events = pending.map((event): IndexEvent => {
    const { blockTimestamp: _, ...rest } = event;
    const txGas = gas.get(event.tx);
    let gasShare = 0n;
    if (txGas && "dealId" in event) {
      // The first deal event of a transaction carries the remainder, so the shares add up to the gas exactly.
      gasShare = txGas.used / BigInt(txGas.dealEvents) + (txGas.first === event ? txGas.used % BigInt(txGas.dealEvents) : 0n);
    }
    return { ...rest, at: times.get(event.block) ?? 0, txGasUsed: txGas?.used ?? 0n, gasShare } as IndexEvent;
  });
  return {
    fromBlock: Number(fromBlock),
    toBlock: Number(toBlock),
    head: { number: Number(range.head.number), timestamp: Number(range.head.timestamp) },
    events,
  };
}

function placeOf(log: { blockNumber: bigint | null; logIndex: number | null; transactionHash: Hex | null; blockTimestamp?: bigint | null | undefined }) {
  if (log.blockNumber === null || log.logIndex === null || log.transactionHash === null) throw new Error("a pending log in a mined range");
  return { block: Number(log.blockNumber), logIndex: log.logIndex, tx: log.transactionHash, blockTimestamp: log.blockTimestamp };
}

function marketEvents(logs: Log[]): Pending[] {
  const out: Pending[] = [];
  for (const log of parseEventLogs({ abi: lilypadMarketAbi, logs })) {
    const place = placeOf(log);
    switch (log.eventName) {
      case "DealOpened":
        out.push({ ...place, kind: "opened", dealId: log.args.dealId, provider: log.args.provider, moduleId: log.args.moduleId, inputsHash: log.args.inputsHash, deal: asPackedDeal(log.args.deal) });
        break;
      case "ResultPosted":
        out.push({ ...place, kind: "result", dealId: log.args.dealId, result: log.args.result });
        break;
      case "DealChallenged":
        out.push({ ...place, kind: "challenged", dealId: log.args.dealId, mediator: log.args.mediator });
        break;
      case "DealClosed":
        out.push({ ...place, kind: "closed", dealId: log.args.dealId, outcome: log.args.outcome as Outcome });
        break;
      case "ModulePublished":
        out.push({ ...place, kind: "modulePublished", publisher: log.args.publisher, name: log.args.name, version: log.args.version, moduleId: log.args.moduleId });
        break;
      case "ModuleBlockStatusChanged":
        out.push({ ...place, kind: "moduleBlocked", moduleId: log.args.moduleId, blocked: log.args.blocked, reason: log.args.reason });
        break;
    }
  }
  return out;
}

function serviceEvents(logs: Log[]): Pending[] {
  const out: Pending[] = [];
  for (const log of parseEventLogs({ abi: serviceRegistryAbi, logs })) {
    const place = placeOf(log);
    if (log.eventName === "ServiceRegistered") out.push({ ...place, kind: "serviceRegistered", service: log.args.service, role: log.args.role, url: log.args.url });
    else if (log.eventName === "ServiceUnregistered") out.push({ ...place, kind: "serviceUnregistered", service: log.args.service, role: log.args.role });
  }
  return out;
}

/** The timestamp of every block with an event: from the log itself where the node gives it, else from the block. */
async function blockTimes(reader: ChainReader, events: Pending[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  const missing = new Set<number>();
  for (const event of events) {
    if (event.blockTimestamp !== undefined && event.blockTimestamp !== null) times.set(event.block, Number(event.blockTimestamp));
    else missing.add(event.block);
  }
  for (const block of times.keys()) missing.delete(block);
  await inBatches([...missing], RECEIPT_CONCURRENCY, async (number) => {
    const block = await reader.publicClient.getBlock({ blockNumber: BigInt(number) });
    times.set(number, Number(block.timestamp));
  });
  return times;
}

interface TxGas {
  used: bigint;
  dealEvents: number;
  first: Pending;
}

/** Gas used by each transaction that emitted a deal event, and how many deal events it emitted. */
async function dealTransactionGas(reader: ChainReader, events: Pending[]): Promise<Map<Hex, TxGas>> {
  const txs = new Map<Hex, TxGas>();
  for (const event of events) {
    if (!("dealId" in event)) continue;
    const tx = txs.get(event.tx);
    if (tx) tx.dealEvents++;
    else txs.set(event.tx, { used: 0n, dealEvents: 1, first: event });
  }
  await inBatches([...txs.keys()], RECEIPT_CONCURRENCY, async (hash) => {
    const receipt = await reader.publicClient.getTransactionReceipt({ hash });
    const tx = txs.get(hash);
    if (tx) tx.used = receipt.gasUsed;
  });
  return txs;
}

async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}
