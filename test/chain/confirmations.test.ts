// A network's confirmations, against a real dev chain whose blocks the test mines itself (automine off, evm_mine):
// the market watcher does not see an event until that many blocks follow it, a market transaction resolves only
// then, and a network without confirmations (the devnet) sees and resolves at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseEther } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
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
