// `lilypad jobs revoke`: a creator takes back a signed offer that has not opened a deal, by its deal id (the solver
// says which lane and number it has) or by lane; an opened deal, someone else's job and a number already used are refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseEther } from "viem";
import { devAccount, devPrivateKey, DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { depositToEscrow, escrowBalance } from "../../src/chain/market/escrow.ts";
import { laneStatus } from "../../src/chain/market/laneStatus.ts";
import { DealState } from "../../src/core/dealTypes.ts";
import { createLogger } from "../../src/core/logger.ts";
import { lilypadPaths } from "../../src/core/paths.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";
import { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const execFileAsync = promisify(execFile);
const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "lilypad.js");
const JC = DevAccountIndex.jobCreator;
const STRANGER = 12;
/** No provider has this address: a job targeted at it waits in the solver's queue. */
const NOBODY = devAccount(19).address;
/** A provider that takes deals and never answers: its deals stay open. */
const SILENT = devAccount(5).address;

describe("lilypad jobs revoke", () => {
  let home: string;
  let devnetHome: string;
  let net: EmbeddedNetwork;
  let client: LilypadClient;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    devnetHome = await mkdtemp(join(tmpdir(), "lilypad-devnet-"));
    net = await startNetwork({
      home: devnetHome,
      providers: [{}, { account: 5, faults: { neverAnswer: true } }],
      networkFile: lilypadPaths({ env: { LILYPAD_HOME: home }, homedir: home }).devnetNetworkFile,
      log: createLogger({ role: "test", level: "silent" }),
    });
    await depositToEscrow(net.connect(JC), parseEther("100"));
    const blockstore = await createBlockstore({ path: join(devnetHome, "jc", "blocks") });
    client = new LilypadClient({
      conn: net.connect(JC),
      solverUrl: net.solver.url,
      blockstore,
      resolveModule: createModuleResolver({ blockstore, workDir: join(devnetHome, "jc", "work") }),
      mediators: [net.mediatorAddress],
      keepInEscrow: 0n,
    });
  });
  after(async () => {
    await client.close();
    await net.close();
    await rm(devnetHome, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  const lilypad = (args: string[]) => execFileAsync(process.execPath, [BIN, ...args], { cwd: home, env: { ...process.env, LILYPAD_HOME: home }, timeout: 60_000 });
  const fails = async (args: string[]) => {
    try {
      await lilypad(args);
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
    assert.fail(`lilypad ${args.join(" ")} succeeded`);
  };

  it("revokes a waiting job by its deal id: its lane's number is raised, nothing moves, and the job can no longer open", async () => {
    const conn = net.connect(JC);
    const before = await escrowBalance(conn);
    const handle = await client.submit("cowsay:v1", { Message: "changed my mind" }, { targetProvider: NOBODY });
    handle.result.catch(() => {});
    const stranger = await fails(["jobs", "revoke", handle.dealId, "--private-key", devPrivateKey(STRANGER)]);
    assert.equal(stranger.code, 1);
    assert.match(stranger.stderr, new RegExp(`error: ${devAccount(STRANGER).address} is not a party to job ${handle.dealId}`));

    const { stdout } = await lilypad(["jobs", "revoke", handle.dealId, "--json"]);
    const revoked = JSON.parse(stdout) as { lane: number; seq: number; txHash: string };
    const lane = await laneStatus(conn, conn.address, revoked.lane);
    assert.deepEqual([lane.state, lane.seq], [DealState.None, revoked.seq]);
    assert.deepEqual(await escrowBalance(conn), before);

    const again = await fails(["jobs", "revoke", handle.dealId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`cannot revoke ${handle.dealId}: lane ${revoked.lane}'s offers up to ${revoked.seq} were used or revoked already`));
  });

  it("revokes a lane's offers by number (by default the next one), and refuses a lane whose deal is open", async () => {
    const conn = net.connect(JC);
    const { stdout } = await lilypad(["jobs", "revoke", "--lane", "40"]);
    assert.match(stdout, /^revoked lane 40's offers up to 1 \(tx 0x[0-9a-f]{64}\); the next offer there needs 2 or more\n$/);
    await lilypad(["jobs", "revoke", "--lane", "40", "--seq", "9"]);
    assert.equal((await laneStatus(conn, conn.address, 40)).seq, 9);
    const lower = await fails(["jobs", "revoke", "--lane", "40", "--seq", "3"]);
    assert.match(lower.stderr, /lane 40's offers up to 3 were used or revoked already \(the lane is at 9\)/);

    const usage = await fails(["jobs", "revoke"]);
    assert.equal(usage.code, 2);
    const both = await fails(["jobs", "revoke", `0x${"ab".repeat(32)}`, "--lane", "1"]);
    assert.equal(both.code, 2);
    const badLane = await fails(["jobs", "revoke", "--lane", "-1"]);
    assert.equal(badLane.code, 2);

    const handle = await client.submit("cowsay:v1", { Message: "anyone there?" }, { targetProvider: SILENT });
    handle.result.catch(() => {});
    await new Promise<void>((resolve) => handle.events.on((e) => e.type === "deal-opened" && resolve()));
    const busy = await fails(["jobs", "revoke", handle.dealId]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`cannot revoke ${handle.dealId}: lane \\d+ has a deal in progress, which runs its course`));
  });
});
