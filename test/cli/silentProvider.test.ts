// A provider that takes a deal and never answers, as a user meets it from the command line: `lilypad run` waits
// for the result deadline, finalizes the deal itself and fails with the refund; `lilypad jobs finalize` settles a
// deal whose `lilypad run` was stopped. The devnet's chain keeps its own clock: nothing here moves it.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { formatEther, parseEther, type Hex } from "viem";
import { devAccount, devPrivateKey, DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { depositToEscrow, escrowBalance } from "../../src/chain/market/escrow.ts";
import { laneStatus } from "../../src/chain/market/laneStatus.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { DealState, TIMEOUT_LIMITS, type Deal } from "../../src/core/dealTypes.ts";
import { createLogger } from "../../src/core/logger.ts";
import { lilypadPaths } from "../../src/core/paths.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";
import { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const execFileAsync = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(repo, "bin", "lilypad.js");

/** The result timeout asked for: the protocol's floor, the shortest any deal may have. */
const RESULT_TIMEOUT = TIMEOUT_LIMITS.resultTimeout.min;
/** The result timeout of the deals walked away from: long enough for the checks made before it passes. */
const WALKED_AWAY_RESULT_TIMEOUT = Math.max(RESULT_TIMEOUT, 20);
/** How long a wait for a deadline may take: the longest result timeout the protocol might impose, and slack. */
const DEADLINE_WAIT_MS = (WALKED_AWAY_RESULT_TIMEOUT + 60) * 1000;

/** A creator that stops `lilypad run` once its deal is open, and one that is neither party to that deal. */
const WALKS_AWAY = 13;
const STRANGER = 12;
const SILENT = devAccount(DevAccountIndex.firstResourceProvider).address;

describe("a silent provider, from the command line", () => {
  let home: string;
  let devnetHome: string;
  let net: EmbeddedNetwork;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    devnetHome = await mkdtemp(join(tmpdir(), "lilypad-devnet-"));
    net = await startNetwork({
      home: devnetHome,
      providers: [{ faults: { neverAnswer: true } }],
      networkFile: lilypadPaths({ env: { LILYPAD_HOME: home }, homedir: home }).devnetNetworkFile,
      log: createLogger({ role: "test", level: "silent" }),
    });
    // Enough in escrow up front that `lilypad run` deposits nothing: the escrow moves only by the deals.
    for (const index of [DevAccountIndex.jobCreator, WALKS_AWAY]) await depositToEscrow(net.connect(index), parseEther("200"));
  });
  after(async () => {
    await net.close();
    await rm(devnetHome, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  const lilypad = (args: string[], timeout = 60_000) =>
    execFileAsync(process.execPath, [BIN, ...args], { cwd: home, env: { ...process.env, LILYPAD_HOME: home }, timeout });
  const fails = async (args: string[]) => {
    try {
      await lilypad(args);
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
    assert.fail(`lilypad ${args.join(" ")} succeeded`);
  };
  const termsOf = async (dealId: Hex): Promise<Deal> => {
    const onChain = await readDeal(net.connect(DevAccountIndex.jobCreator), dealId);
    assert.ok(onChain, `deal ${dealId} is on chain`);
    return unpackDeal(onChain.deal);
  };
  const lp = (amount: bigint) => `${formatEther(amount)} LP`;

  it("`lilypad run` waits out the result deadline, finalizes the deal and fails with the timeout and the refund", async () => {
    const conn = net.connect(DevAccountIndex.jobCreator);
    const before = await escrowBalance(conn);
    const started = performance.now();
    const failure = await lilypad(["run", "cowsay:v1", "-i", "Message=anyone there?", "--result-timeout", String(RESULT_TIMEOUT)], DEADLINE_WAIT_MS).then(
      () => assert.fail("lilypad run succeeded against a silent provider"),
      (error: { code: number; stderr: string }) => error,
    );
    const tookMs = performance.now() - started;
    const { stderr } = failure;
    assert.equal(failure.code, 5, `a deal that timed out ends with 5\n${stderr}`);
    const dealId = /submitted job (0x[0-9a-f]{64})/.exec(stderr)?.[1] as Hex | undefined;
    assert.ok(dealId, stderr);
    const deal = await termsOf(dealId);
    assert.equal(deal.provider, SILENT);
    assert.ok(deal.resultTimeout >= RESULT_TIMEOUT);
    assert.ok(tookMs >= deal.resultTimeout * 1000, `gave up after ${tookMs.toFixed(0)} ms, before the ${deal.resultTimeout} s deadline`);

    // Progress while waiting, then the deal closing, then one clear error naming the timeout and the amounts.
    assert.match(stderr, /deal opened on chain with /);
    assert.match(stderr, /waiting for the result: deadline in \d+ s/);
    assert.match(stderr, /deal closed: result timeout/);
    const error = stderr.split("\n").find((line) => line.startsWith("error: "));
    assert.equal(
      error,
      `error: the provider ${SILENT} posted no result within the deal's ${deal.resultTimeout} s result timeout; the deal was finalized: ` +
        `your ${lp(deal.paymentCollateral)} payment collateral was refunded and the provider's ${lp(deal.timeoutCollateral)} timeout collateral paid to you`,
    );
    assert.match(stderr, /hint: the provider may be down/);

    // Nothing stays locked: the escrow is exactly as before, plus the provider's timeout collateral.
    const after = await escrowBalance(conn);
    assert.equal(after.locked, before.locked);
    assert.equal(after.available, before.available + deal.timeoutCollateral);
    assert.equal(after.wallet, before.wallet);
    const balance = JSON.parse((await lilypad(["balance", "--json"])).stdout) as { available: string; locked: string };
    assert.equal(balance.locked, "0");
    assert.equal(BigInt(balance.available), after.available);
  });

  describe("`lilypad jobs finalize` after `lilypad run` was stopped", () => {
    const as = (index: number) => ["--private-key", devPrivateKey(index)];
    /** The deal whose `lilypad run` was stopped, and one the SDK opened and walked away from. */
    let stopped: { dealId: Hex; deal: Deal };
    let dropped: { dealId: Hex; deal: Deal };
    let start: Awaited<ReturnType<typeof escrowBalance>>;

    before(async () => {
      const conn = net.connect(WALKS_AWAY);
      start = await escrowBalance(conn);
      // The user runs a job and presses Ctrl-C once its deal is open: the deal goes on, with the payment locked.
      const child = spawn(process.execPath, [BIN, "run", "cowsay:v1", "-i", "Message=bye", "--result-timeout", String(WALKED_AWAY_RESULT_TIMEOUT), ...as(WALKS_AWAY)], {
        cwd: home,
        env: { ...process.env, LILYPAD_HOME: home },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no deal opened within 60 s:\n${stderr}`)), 60_000);
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          stderr += chunk;
          if (/deal opened on chain/.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill("SIGINT");
      await exited;
      const stoppedId = /submitted job (0x[0-9a-f]{64})/.exec(stderr)?.[1] as Hex | undefined;
      assert.ok(stoppedId, stderr);
      stopped = { dealId: stoppedId, deal: await termsOf(stoppedId) };

      // An app on the SDK does the same: its deal opens, and the app closes its client.
      const blockstore = await createBlockstore({ path: join(devnetHome, "walks-away", "blocks") });
      const client = new LilypadClient({
        conn,
        solverUrl: net.solver.url,
        blockstore,
        resolveModule: createModuleResolver({ blockstore, workDir: join(devnetHome, "walks-away", "work") }),
        mediators: [net.mediatorAddress],
      });
      const handle = await client.submit("cowsay:v1", { Message: "bye too" }, { terms: { resultTimeout: WALKED_AWAY_RESULT_TIMEOUT } });
      handle.result.catch(() => {});
      await new Promise<void>((resolve) => handle.events.on((e) => e.type === "deal-opened" && resolve()));
      await client.close();
      dropped = { dealId: handle.dealId, deal: await termsOf(handle.dealId) };
      const locked = stopped.deal.paymentCollateral + dropped.deal.paymentCollateral;
      assert.equal((await escrowBalance(conn)).locked, start.locked + locked, "both payments are locked in open deals");
    });

    it("refuses a deal that is not overdue yet, saying when it will be", async () => {
      const early = await fails(["jobs", "finalize", stopped.dealId, ...as(WALKS_AWAY)]);
      assert.equal(early.code, 1);
      assert.match(
        early.stderr,
        new RegExp(`error: deal ${stopped.dealId} is not overdue: its deadline is \\S+ by the chain's clock, \\d+ s from now, and the provider has until then to post a result`),
      );
      assert.match(early.stderr, /hint: run this again after the deadline/);
      // With no id, nothing is due yet, and the deals waiting are listed.
      const none = await lilypad(["jobs", "finalize", ...as(WALKS_AWAY)]);
      assert.match(none.stdout, /^no overdue deals to finalize$/m);
      for (const { dealId } of [stopped, dropped]) assert.match(none.stdout, new RegExp(`${dealId}  open, not overdue yet: deadline in \\d+ s`));
    });

    it("refuses a deal id that is malformed, unknown, or someone else's", async () => {
      const malformed = await fails(["jobs", "finalize", "0x12"]);
      assert.equal(malformed.code, 2);
      assert.match(malformed.stderr, /error: a deal id is 0x followed by 64 hex digits/);
      const unknown = `0x${"ab".repeat(32)}`;
      const missing = await fails(["jobs", "finalize", unknown]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`error: no deal ${unknown} was opened on network devnet`));
      const stranger = await fails(["jobs", "finalize", stopped.dealId, ...as(STRANGER)]);
      assert.equal(stranger.code, 1);
      assert.match(stranger.stderr, new RegExp(`error: deal ${stopped.dealId} is not yours: its creator is ${stopped.deal.creator} and its provider ${stopped.deal.provider}`));
    });

    it("past the deadline, settles one deal by id, then every overdue deal of the account, saying what each party got", async () => {
      // Wait for the chain's own clock to pass both deadlines (nobody mines or moves time here).
      const conn = net.connect(WALKS_AWAY);
      const until = Date.now() + DEADLINE_WAIT_MS;
      for (const { deal } of [stopped, dropped]) {
        for (;;) {
          const lane = await laneStatus(conn, deal.creator, deal.lane);
          assert.equal(lane.state, DealState.Open);
          if ((await conn.publicClient.getBlock()).timestamp > BigInt(lane.deadline)) break;
          assert.ok(Date.now() < until, "the chain's clock passes the deadline");
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }

      const one = await lilypad(["jobs", "finalize", stopped.dealId, ...as(WALKS_AWAY)]);
      const { deal } = stopped;
      assert.match(one.stdout, /^finalized 1 deal \(tx 0x[0-9a-f]{64}\)\n/);
      const lines = one.stdout.split("\n");
      assert.equal(lines[1], `${stopped.dealId}  result timeout`);
      assert.match(lines[2] ?? "", new RegExp(`^  creator  ${deal.creator} \\(you\\)  \\+${lp(deal.paymentCollateral + deal.timeoutCollateral)} available, -${lp(deal.paymentCollateral)} locked: net \\+${lp(deal.timeoutCollateral)}$`));
      assert.match(lines[3] ?? "", new RegExp(`^  provider ${deal.provider}  \\+0 LP available, -${lp(deal.timeoutCollateral)} locked: net -${lp(deal.timeoutCollateral)}$`));
      assert.match(lines[4] ?? "", new RegExp(`^  mediator ${deal.mediator}  nothing$`));

      const { stdout } = await lilypad(["jobs", "finalize", "--json", ...as(WALKS_AWAY)]);
      type Payout = { address: string; unlock: string; credit: string };
      const settled = JSON.parse(stdout) as {
        txHash: string;
        finalized: { dealId: string; outcome: string; creator: Payout; provider: Payout; mediator: Payout; payment: string }[];
        notYetDue: unknown[];
      };
      assert.match(settled.txHash, /^0x[0-9a-f]{64}$/);
      assert.deepEqual(settled.notYetDue, []);
      const other = dropped.deal;
      assert.deepEqual(settled.finalized, [
        {
          dealId: dropped.dealId,
          outcome: "result timeout",
          creator: { address: other.creator, unlock: String(other.paymentCollateral), credit: String(other.paymentCollateral + other.timeoutCollateral) },
          provider: { address: other.provider, unlock: String(other.timeoutCollateral), credit: "0" },
          mediator: { address: other.mediator, unlock: "0", credit: "0" },
          payment: "0",
        },
      ]);

      // Nothing stays locked: the escrow is as before, plus both providers' timeout collateral.
      const after = await escrowBalance(conn);
      assert.equal(after.locked, start.locked, "nothing stays locked");
      assert.equal(after.available, start.available + deal.timeoutCollateral + other.timeoutCollateral);

      // Once closed, a deal is named as such; the account has nothing left to finalize.
      const again = await fails(["jobs", "finalize", stopped.dealId, ...as(WALKS_AWAY)]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, new RegExp(`error: deal ${stopped.dealId} is already closed \\(result timeout\\)`));
      const none = await lilypad(["jobs", "finalize", ...as(WALKS_AWAY)]);
      assert.equal(none.stdout, "no overdue deals to finalize\n");
    });
  });
});
