// The index's arithmetic on hostile and extreme values, on a real SQLite file: counts past 2^63, a provider that
// claims 2^64 instructions by dealing with itself, a range written twice, another network's index, and periods.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, toHex, type Address } from "viem";
import { packDeal } from "../../src/core/dealPacking.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { MAX_CREDITED_INSTRUCTIONS_PER_SECOND } from "../../src/core/points.ts";
import type { ChainRange, IndexEvent } from "../../src/indexer/chainRange.ts";
import { IndexerQueries } from "../../src/indexer/indexerQueries.ts";
import { IndexerStore } from "../../src/indexer/indexerStore.ts";
import { ModuleNames } from "../../src/indexer/moduleNames.ts";

const MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const PROVIDER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as Address;
const HONEST = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" as Address;
const CREATOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;
const MAX_U64 = 2n ** 64n - 1n;
const MAX_U96 = 2n ** 96n - 1n;
const NOW = 1_800_000_000;

let block = 0;
function dealEvents(i: number, p: { provider: Address; at: number; instructions: bigint; resultAfter?: number; outcome?: Outcome; price?: bigint }): IndexEvent[] {
  block++;
  const dealId = keccak256(toHex(`deal-${i}`));
  const tx = keccak256(toHex(`tx-${i}`));
  const place = (at: number, logIndex: number) => ({ block, logIndex, at, tx, txGasUsed: 100_000n, gasShare: 33_333n });
  const deal = packDeal({
    creator: CREATOR,
    provider: p.provider,
    mediator: CREATOR,
    basePrice: p.price ?? MAX_U96 / 2n,
    pricePerMInstr: MAX_U96,
    paymentCollateral: MAX_U96,
    timeoutCollateral: 1n,
    collateralMultiple: 1,
    mediationFee: 0n,
    maxInstructions: MAX_U64,
    resultTimeout: 60,
    judgingWindow: 60,
    mediationTimeout: 60,
    lane: i,
    callback: false,
  });
  return [
    { ...place(p.at, 0), kind: "opened", dealId, provider: p.provider, moduleId: keccak256(toHex("module")), inputsHash: keccak256(toHex(`in-${i}`)), deal },
    { ...place(p.at + (p.resultAfter ?? 0), 1), kind: "result", dealId, result: { cidDigest: keccak256(toHex(`cid-${i}`)), outputHash: keccak256(toHex(`o-${i}`)), instructions: p.instructions } },
    { ...place(p.at + (p.resultAfter ?? 0) + 1, 2), kind: "closed", dealId, outcome: p.outcome ?? Outcome.Accepted },
  ];
}

function range(events: IndexEvent[], headTime = NOW): ChainRange {
  return { fromBlock: 0, toBlock: block, head: { number: block, timestamp: headTime }, events };
}

describe("the index's store", () => {
  let home: string;
  let store: IndexerStore;
  let queries: IndexerQueries;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-index-"));
    store = new IndexerStore(join(home, "index.db"));
    store.bindNetwork(31337, MARKET);
    queries = new IndexerQueries({ store, names: new ModuleNames(store.db, {}), chainId: 31337, offers: () => new Map() });
  });
  after(async () => {
    store.close();
    await rm(home, { recursive: true, force: true });
  });

  it("sums payments past 2^63 exactly, and credits no more instructions than a deal's time could run", () => {
    // Three deals paying the most a deal can (2^96 - 1 each): the total passes SQLite's integers.
    const events = [0, 1, 2].flatMap((i) => dealEvents(i, { provider: PROVIDER, at: NOW - 100, instructions: MAX_U64 }));
    store.apply(range(events));
    const board = queries.leaderboard("all", 10);
    const row = board.rows.find((r) => r.provider === PROVIDER)!;
    assert.equal(row.earned, (3n * MAX_U96).toString());
    assert.equal(row.jobsCompleted, 3);
    // Each result came in the second its deal opened: one second's worth each, not 2^64.
    assert.equal(row.verifiedInstructions, (3n * MAX_CREDITED_INSTRUCTIONS_PER_SECOND).toString());
    assert.equal(queries.stats().paid, (3n * MAX_U96).toString());
  });

  it("credits an honest count in full, and ranks by verified work", () => {
    store.apply(range(dealEvents(10, { provider: HONEST, at: NOW - 50, instructions: 123_456_789n, resultAfter: 2, price: 1n })));
    const board = queries.leaderboard("all", 10);
    assert.deepEqual(board.rows.map((r) => r.provider), [PROVIDER, HONEST]);
    assert.equal(board.rows[1]!.verifiedInstructions, "123456789");
  });

  it("counts an event once, however often its range is written", () => {
    const before = JSON.stringify(queries.leaderboard("all", 10));
    const events = dealEvents(20, { provider: HONEST, at: NOW - 40, instructions: 5n, price: 1n });
    store.apply(range(events));
    const once = queries.leaderboard("all", 10);
    store.apply(range(events));
    assert.deepEqual(queries.leaderboard("all", 10), once);
    assert.notEqual(JSON.stringify(once), before);
    assert.equal(queries.listDeals({ limit: 50 }).total, 5);
  });

  it("keeps each period to its own chain time", () => {
    store.apply(range(dealEvents(30, { provider: CREATOR, at: NOW - 3 * 86_400, instructions: 7n, price: 1n })));
    store.apply(range(dealEvents(31, { provider: CREATOR, at: NOW - 20 * 86_400, instructions: 9n, price: 1n })));
    const jobsOf = (period: "24h" | "7d" | "30d" | "all") => queries.leaderboard(period, 10).rows.find((r) => r.provider === CREATOR)?.jobsCompleted ?? 0;
    assert.equal(jobsOf("24h"), 0);
    assert.equal(jobsOf("7d"), 1);
    assert.equal(jobsOf("30d"), 2);
    assert.equal(jobsOf("all"), 2);
  });

  it("refuses to mix another network's events into an index", () => {
    assert.throws(() => store.bindNetwork(1, MARKET), /made for 31337/);
    assert.throws(() => store.bindNetwork(31337, "0x0000000000000000000000000000000000000001"), /made for/);
    store.bindNetwork(31337, MARKET.toLowerCase());
  });

  it("reopens where it stopped", () => {
    const cursor = store.cursor;
    assert.equal(cursor, BigInt(block + 1));
    const again = new IndexerStore(join(home, "index.db"));
    try {
      assert.equal(again.cursor, cursor);
    } finally {
      again.close();
    }
  });
});

