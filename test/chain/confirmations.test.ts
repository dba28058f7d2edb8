// A network's confirmations, against a real dev chain whose blocks the test mines itself (automine off, evm_mine):
// the market watcher does not see an event until that many blocks follow it, a market transaction resolves only
// then, and a network without confirmations (the devnet) sees and resolves at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseEther, parseEventLogs } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { lilypadMarketAbi, lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
import { sendMarketTx } from "../../src/chain/market/sendMarketTx.ts";
import { watchMarketEvents, type MarketEvent, type MarketWatcher } from "../../src/chain/market/watchMarketEvents.ts";
import { confirmedBlockNumber } from "../../src/chain/waitForReceipt.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";

describe("confirmations", () => {
  let dev: DevChain;
  const watchers: MarketWatcher[] = [];
  const connect = (confirmations: number | undefined): ChainConnection =>
    connectChain({
      network: { ...dev.network, confirmations },
      privateKey: devPrivateKey(DevAccountIndex.jobCreator),
      transport: dev.transport,
      pollingInterval: 20,
    });
  const mine = (blocks = 1) => dev.testClient.mine({ blocks });
  const head = () => dev.publicClient.getBlockNumber({ cacheTime: 0 });
  const deposits = (events: MarketEvent[]) => events.filter((e) => e.eventName === "Deposited").length;

  before(async () => {
    // No interval blocks: every block here is one the test mined.
    dev = await startDevChain({ blockTime: 0 });
    const jc = dev.wallet(DevAccountIndex.jobCreator);
    const hash = await jc.writeContract({ address: dev.network.contracts.token, abi: lilypadTokenAbi, functionName: "approve", args: [dev.network.contracts.market, parseEther("1000")] });
    await dev.publicClient.waitForTransactionReceipt({ hash });
    await dev.testClient.setAutomine(false);
  });
  after(async () => {
    for (const w of watchers) await w.stop();
    await dev.close();
  });

  it("a watcher with confirmations 2 sees an event only once 2 more blocks exist, and a transaction resolves then", async () => {
    const conn = connect(2);
    const seen: MarketEvent[] = [];
    const watcher = watchMarketEvents(conn, { fromBlock: (await head()) + 1n, pollMs: 20, onEvents: (e) => void seen.push(...e) });
    watchers.push(watcher);
    let settled = false;
    const sent = sendMarketTx(conn, { functionName: "deposit", args: [parseEther("1")] }).finally(() => (settled = true));
    // Wait until the transaction is in the pool, then mine it.
    for (let i = 0; i < 200 && (await dev.publicClient.getBlock({ blockTag: "pending" })).transactions.length === 0; i++) await sleep(10);
    await mine();
    const included = await head();
    await watcher.poll();
    await sleep(150);
    assert.equal(deposits(seen), 0, "not seen in its own block");
    assert.equal(settled, false, "not resolved in its own block");
    assert.equal(await confirmedBlockNumber(conn), included - 2n);

    await mine();
    await watcher.poll();
    await sleep(150);
    assert.equal(deposits(seen), 0, "not seen with one block on top");
    assert.equal(settled, false, "not resolved with one block on top");

    await mine();
    await watcher.poll();
    assert.equal(deposits(seen), 1, "seen once two blocks follow it");
    const receipt = await sent;
    assert.equal(receipt.blockNumber, included);
    assert.equal(watcher.cursor, included + 1n, "nothing past the confirmed head was read");
  });

  it("a reorganisation shallower than the confirmations never reaches a watcher: what it acted on is what the chain keeps", async () => {
    const from = (await head()) + 1n;
    const confirmed: MarketEvent[] = [];
    const unconfirmed: MarketEvent[] = [];
    const careful = watchMarketEvents(connect(2), { fromBlock: from, pollMs: 20, onEvents: (e) => void confirmed.push(...e) });
    const hasty = watchMarketEvents(connect(undefined), { fromBlock: from, pollMs: 20, onEvents: (e) => void unconfirmed.push(...e) });
    watchers.push(careful, hasty);
    const jc = dev.wallet(DevAccountIndex.jobCreator);
    await jc.writeContract({ address: dev.network.contracts.market, abi: lilypadMarketAbi, functionName: "deposit", args: [parseEther("2")] });
    for (let i = 0; i < 200 && (await dev.publicClient.getBlock({ blockTag: "pending" })).transactions.length === 0; i++) await sleep(10);
    await mine();
    const included = await head();
    await Promise.all([careful.poll(), hasty.poll()]);
    assert.equal(deposits(unconfirmed), 1, "a watcher without confirmations acts on the newest block");
    assert.equal(deposits(confirmed), 0);

    // The block holding the deposit is replaced by an empty one: the deposit, as seen, never happened there.
    await dev.testClient.request({ method: "anvil_reorg", params: [1, []] } as never);
    await mine(3);
    await Promise.all([careful.poll(), hasty.poll()]);
    const kept = await dev.publicClient.getLogs({ address: dev.network.contracts.market, fromBlock: from, toBlock: (await head()) - 2n });
    const keptDeposits = parseEventLogs({ abi: lilypadMarketAbi, logs: kept, eventName: "Deposited" });
    assert.deepEqual(
      confirmed.filter((e) => e.eventName === "Deposited").map((e) => [e.blockHash, e.transactionHash]),
      keptDeposits.map((e) => [e.blockHash, e.transactionHash]),
      "the careful watcher saw exactly the deposits the chain kept",
    );
    const original = unconfirmed.find((e) => e.eventName === "Deposited");
    const block = await dev.publicClient.getBlock({ blockNumber: included });
    assert.notEqual(block.hash, original?.blockHash, "the block the hasty watcher acted on is gone");
  });

  it("without confirmations (the devnet's default) the event is seen in its own block and the transaction resolves at once", async () => {
    const conn = connect(undefined);
    const seen: MarketEvent[] = [];
    const watcher = watchMarketEvents(conn, { fromBlock: (await head()) + 1n, pollMs: 20, onEvents: (e) => void seen.push(...e) });
    watchers.push(watcher);
    const sent = sendMarketTx(conn, { functionName: "deposit", args: [parseEther("1")] });
    for (let i = 0; i < 200 && (await dev.publicClient.getBlock({ blockTag: "pending" })).transactions.length === 0; i++) await sleep(10);
    await mine();
    const receipt = await sent;
    assert.equal(receipt.blockNumber, await head());
    await watcher.poll();
    assert.equal(deposits(seen), 1);
  });
});
