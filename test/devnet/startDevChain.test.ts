// The dev chain as anvil in a child process: the chain it starts, how it fails, and that no anvil outlives it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import { DEV_ACCOUNT_COUNT, devAccount } from "../../src/chain/devAccounts.ts";
import { lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
import { AnvilNotFoundError, DevChainError, ErrorCode, ListenError, PortInUseError } from "../../src/core/errors.ts";
import { resolveAnvilBinary } from "../../src/devnet/resolveAnvilBinary.ts";
import { spawnAnvil } from "../../src/devnet/spawnAnvil.ts";
import { DEV_BLOCK_TIME, DEV_CHAIN_ID, DEV_ETHER, DEV_FUNDING, startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";

const SPAWN_ANVIL = new URL("../../src/devnet/spawnAnvil.ts", import.meta.url).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

describe("startDevChain", () => {
  let dev: DevChain;
  before(async () => {
    dev = await startDevChain();
  });
  after(() => dev.close());

  it("serves chain 31337 on 127.0.0.1 and a real port", async () => {
    assert.equal(await dev.publicClient.getChainId(), DEV_CHAIN_ID);
    assert.match(dev.network.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(dev.network.rpcUrl).port, "0");
  });

  it("gives the 20 dev accounts of the mnemonic ether, and every one but the faucet tokens", async () => {
    const accounts = await dev.wallet(0).request({ method: "eth_accounts" });
    assert.deepEqual(
      accounts.map((a) => a.toLowerCase()),
      Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => devAccount(i).address.toLowerCase()),
    );
    for (let i = 1; i < DEV_ACCOUNT_COUNT; i++) {
      const address = devAccount(i).address;
      assert.equal(await dev.publicClient.getBalance({ address }), DEV_ETHER, `ether of account ${i}`);
      const tokens = await dev.publicClient.readContract({ address: dev.network.contracts.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [address] });
      assert.equal(tokens, DEV_FUNDING, `tokens of account ${i}`);
    }
    assert.equal(DEV_ETHER, parseEther("10000"));
  });

  it("mines a block per transaction, giving blocks of the same second the same timestamp", async () => {
    const wallet = dev.wallet(7);
    const receipts = [];
    for (let i = 0; i < 3; i++) {
      const hash = await wallet.sendTransaction({ to: devAccount(8).address, value: 1n });
      receipts.push(await dev.publicClient.waitForTransactionReceipt({ hash }));
    }
    // The idle chain's empty blocks may come between them; each transaction still has a block of its own.
    const numbers = receipts.map((r) => r.blockNumber);
    assert.equal(new Set(numbers).size, 3, `blocks ${numbers.join(", ")}`);
    const blocks = await Promise.all(numbers.map((n) => dev.publicClient.getBlock({ blockNumber: n })));
    assert.ok(blocks.every((b) => b.transactions.length === 1));
    const stamps = blocks.map((b) => b.timestamp);
    assert.ok(stamps[2]! - stamps[0]! <= 1n, `timestamps ${stamps.join(", ")} keep to the wall clock`);
  });

  it("keeps its clock going while idle: a block every DEV_BLOCK_TIME seconds, with no transaction", async () => {
    assert.equal(DEV_BLOCK_TIME, 1);
    const start = await dev.publicClient.getBlock();
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    const later = await dev.publicClient.getBlock();
    assert.ok(later.number >= start.number + 2n, `blocks ${start.number} then ${later.number}`);
    assert.ok(later.timestamp >= start.timestamp + 2n, `timestamps ${start.timestamp} then ${later.timestamp}`);
    assert.ok(later.timestamp <= BigInt(Math.ceil(Date.now() / 1000)) + 1n, "and no further than the wall clock");
  });

  it("moves its clock and takes snapshots through viem's anvil test client", async () => {
    const start = (await dev.publicClient.getBlock()).timestamp;
    const snapshot = await dev.testClient.snapshot();
    await dev.testClient.increaseTime({ seconds: 600 });
    await dev.testClient.mine({ blocks: 1 });
    const jumped = await dev.publicClient.getBlock();
    assert.ok(jumped.timestamp >= start + 600n);
    await dev.testClient.revert({ id: snapshot });
    // The blocks since the snapshot are gone (the idle chain may have mined a new one since).
    const reverted = await dev.publicClient.getBlock({ blockNumber: jumped.number }).catch(() => undefined);
    assert.notEqual(reverted?.hash, jumped.hash);
  });
});

describe("startDevChain({ blockTime: 0 })", () => {
  let dev: DevChain;
  before(async () => {
    dev = await startDevChain({ blockTime: 0 });
  });
  after(() => dev.close());

  it("mines only on transactions: the idle chain's clock stands still", async () => {
    const start = await dev.publicClient.getBlock();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(await dev.publicClient.getBlockNumber(), start.number);
  });

  it("refuses a block time that is not a whole number of seconds", async () => {
    await assert.rejects(startDevChain({ blockTime: 0.5 }), RangeError);
  });
});

describe("spawnAnvil", () => {
  it("stops anvil on close() and resolves once it has exited", async () => {
    const anvil = await spawnAnvil({ host: "127.0.0.1", port: 0, args: [] });
    assert.ok(anvil.pid && alive(anvil.pid));
    await anvil.close();
    assert.equal(alive(anvil.pid), false);
    await anvil.close();
  });

  it("takes a host name and serves on its address", async () => {
    const anvil = await spawnAnvil({ host: "localhost", port: 0, args: [] });
    try {
      assert.match(anvil.url, /^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/);
    } finally {
      await anvil.close();
    }
  });

  it("kills anvil when the process that started it exits without closing it", async () => {
    const script = `import { spawnAnvil } from ${JSON.stringify(SPAWN_ANVIL)};
const anvil = await spawnAnvil({ host: "127.0.0.1", port: 0, args: [] });
console.log(anvil.pid);
process.exit(0);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 0);
    const pid = Number(out.trim());
    assert.ok(Number.isInteger(pid) && pid > 0, `printed ${out}`);
    assert.ok(await gone(pid), `anvil ${pid} outlived its parent`);
  });

  it("reports anvil's own error when it exits before answering", async () => {
    await assert.rejects(spawnAnvil({ host: "127.0.0.1", port: 0, args: ["--no-such-flag"] }), (error: unknown) => {
      assert.ok(error instanceof DevChainError);
      assert.equal(error.code, ErrorCode.devChainFailed);
      assert.match(error.message, /^the dev chain \(anvil\) did not start: error: .*--no-such-flag/);
      return true;
    });
  });

  describe("with the port taken", () => {
    let blocker: Server;
    let port: number;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      port = (blocker.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it("fails with PortInUseError before spawning", async () => {
      await assert.rejects(startDevChain({ listen: { host: "127.0.0.1", port } }), (error: unknown) => {
        assert.ok(error instanceof PortInUseError);
        assert.equal(error.code, ErrorCode.portInUse);
        assert.equal(error.port, port);
        return true;
      });
    });
  });

  it("fails with ListenError on an address that is not this machine's", async () => {
    await assert.rejects(startDevChain({ listen: { host: "192.0.2.1", port: 0 } }), (error: unknown) => {
      assert.ok(error instanceof ListenError);
      assert.equal(error.code, ErrorCode.listenFailed);
      assert.match(error.message, /no such local address/);
      return true;
    });
  });
});

describe("resolveAnvilBinary", () => {
  it("finds this platform's anvil through its package's bin field", () => {
    assert.match(resolveAnvilBinary(), /@foundry-rs[/\\]anvil-[a-z0-9]+-[a-z0-9]+[/\\]bin[/\\]anvil(\.exe)?$/);
  });

  it("says in one line when a platform has no anvil package", () => {
    assert.throws(
      () => resolveAnvilBinary({ platform: "freebsd", arch: "x64" }),
      (error: unknown) => {
        assert.ok(error instanceof AnvilNotFoundError);
        assert.equal(error.code, ErrorCode.anvilNotFound);
        assert.equal(error.platform, "freebsd-x64");
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });

  it("says which package is missing when npm skipped it", () => {
    const other = process.arch === "arm64" ? "x64" : "arm64";
    assert.throws(
      () => resolveAnvilBinary({ platform: "linux", arch: other }),
      (error: unknown) => error instanceof AnvilNotFoundError && /@foundry-rs\/anvil-linux-(amd64|arm64) is not installed/.test(error.message),
    );
  });
});
