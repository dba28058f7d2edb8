// A long history for the indexer's read benchmarks: 100,000 deals take a quarter of an hour to make for real at
// the protocol's pace, so they are made here as the market's events would be (opened, result, closed or
// challenged and ruled, over 30 days, by 50 providers and 500 creators) and written through the indexer's own
// store, by the same code path as events read from a chain. A stand-in for the chain, not for the indexer.
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { packDeal } from "../src/core/dealPacking.ts";
import { Outcome } from "../src/core/dealTypes.ts";
import type { ChainRange, IndexEvent } from "../src/indexer/chainRange.ts";
import type { IndexerStore } from "../src/indexer/indexerStore.ts";
import { CID } from "multiformats/cid";
import { readShippedCatalog } from "../src/modules/moduleCatalog.ts";

export interface FillIndexParameters {
  deals: number;
  providers?: number;
  creators?: number;
  /** Unix seconds of the newest deal (default: now). */
  endsAt?: number;
  days?: number;
}

const addressOf = (kind: string, i: number): Address => getAddress(`0x${keccak256(toHex(`${kind}-${i}`)).slice(26)}`);

/** Writes `deals` deals into `store`, in ranges of 500 blocks; returns the last block written. */
export function fillIndex(store: IndexerStore, params: FillIndexParameters): number {
  const providers = Array.from({ length: params.providers ?? 50 }, (_, i) => addressOf("provider", i));
  const creators = Array.from({ length: params.creators ?? 500 }, (_, i) => addressOf("creator", i));
  const mediator = addressOf("mediator", 0);
  const modules = Object.values(readShippedCatalog()).map((cid) => toHex(CID.parse(cid).multihash.digest));
  const endsAt = params.endsAt ?? Math.floor(Date.now() / 1000);
  const span = (params.days ?? 30) * 86_400;
  const step = span / params.deals;
  let block = 1;
  let events: IndexEvent[] = [];
  const flush = (head: number, at: number) => {
    store.apply({ fromBlock: block - 500, toBlock: head, head: { number: head, timestamp: at }, events } satisfies ChainRange);
    events = [];
  };
  const place = (at: number, logIndex: number, tx: Hex, gas: bigint) => ({ block, logIndex, at: Math.floor(at), tx, txGasUsed: gas * 4n, gasShare: gas });
  for (let i = 0; i < params.deals; i++) {
    const at = endsAt - span + i * step;
    const dealId = keccak256(toHex(`deal-${i}`));
    const tx = keccak256(toHex(`tx-${i}`));
    // Some providers are busier and some cheat: the leaderboard has an order to find.
    const u = ((i * 2_654_435_761) % 4_294_967_296) / 4_294_967_296;
    const provider = providers[Math.floor(u * u * providers.length)]!;
    const creator = creators[i % creators.length]!;
    const deal = {
      creator,
      provider,
      mediator,
      basePrice: 10_000_000_000_000_000n,
      pricePerMInstr: 1_000_000_000_000_000n,
      paymentCollateral: 1_000_000_000_000_000_000n,
      timeoutCollateral: 1_000_000_000_000_000_000n,
      collateralMultiple: 2,
      mediationFee: 10_000_000_000_000_000n,
      maxInstructions: 10_000_000_000n,
      resultTimeout: 120,
      judgingWindow: 120,
      mediationTimeout: 600,
      lane: i % 32,
      callback: false,
    };
    events.push({ ...place(at, 0, tx, 60_000n), kind: "opened", dealId, provider, moduleId: modules[i % modules.length]!, inputsHash: keccak256(toHex(`in-${i}`)), deal: packDeal(deal) });
    // The newest deals are still open or waiting for their judge; of the others, most are accepted, some
    // finalized, 1 in 100 challenged (half of those lost), 2 in 100 never answered.
    const newest = i >= params.deals - 20;
    const fate = i % 100;
    if (fate >= 98 && !newest) {
      events.push({ ...place(at + 120, 1, tx, 30_000n), kind: "closed", dealId, outcome: Outcome.ResultTimeout });
    } else if (!(newest && fate < 10)) {
      const instructions = BigInt(10_000 + ((i * 104_729) % 50_000_000));
      events.push({ ...place(at + 1, 1, tx, 50_000n), kind: "result", dealId, result: { cidDigest: keccak256(toHex(`cid-${i}`)), outputHash: keccak256(toHex(`out-${i}`)), instructions } });
      if (fate === 0) {
        events.push({ ...place(at + 2, 2, tx, 40_000n), kind: "challenged", dealId, mediator });
        events.push({ ...place(at + 3, 3, tx, 40_000n), kind: "closed", dealId, outcome: i % 200 === 0 ? Outcome.ProviderWrong : Outcome.ProviderRight });
      } else if (!newest) {
        events.push({ ...place(at + 2, 2, tx, 30_000n), kind: "closed", dealId, outcome: fate < 90 ? Outcome.Accepted : Outcome.Finalized });
      }
    }
    block++;
    if (block % 500 === 0) flush(block - 1, Math.floor(at));
  }
  flush(block - 1, endsAt);
  return block - 1;
}
