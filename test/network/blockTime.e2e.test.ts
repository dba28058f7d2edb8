// The whole network on a chain that mines like a public one: a block every 2 s and no instant receipts, so every
// transaction of every role waits for its block. A plain job, a job the mediator re-runs and a job a contract
// requests (relayed, judged by the relay, called back) all settle.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { devAccount, DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { startTestNetwork, type TestNetwork } from "./helpers.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const execFileAsync = promisify(execFile);

describe("a network on a chain with 2-second blocks", { timeout: 300_000 }, () => {
  let t: TestNetwork;
  let networkFile: string;
  before(async () => {
    networkFile = join(await mkdtemp(join(tmpdir(), "lilypad-blocktime-")), "network.json");
    t = await startTestNetwork({ blockTime: 2, instantMining: false, relay: true, networkFile });
  });
  after(async () => {
    await t?.close();
    if (networkFile) await rm(dirname(networkFile), { recursive: true, force: true });
  });

  it("runs a job and a mediated job to their outcomes, every receipt waiting for its block", async () => {
    const client = await t.client();
    const started = performance.now();
    const plain = await client.run("cowsay:v1", { Message: "slow chain" });
    const plainMs = performance.now() - started;
    assert.equal(plain.outcome, Outcome.Accepted);
    assert.match(new TextDecoder().decode(plain.stdout), /< slow chain >/);
    // Opening, posting and accepting each wait for a block: a job cannot take less than about two block times.
    assert.ok(plainMs > 2_000, `a job took ${plainMs.toFixed(0)} ms on 2-second blocks`);
    const mediated = await client.run("cowsay:v1", { Message: "check me" }, { mediationChance: 1 });
    assert.equal(mediated.outcome, Outcome.ProviderRight);
    console.log(`# 2-second blocks: a job took ${plainMs.toFixed(0)} ms`);
  });

  it("runs a job a contract requests: relayed, judged by the relay, and called back", async () => {
    const relay = devAccount(DevAccountIndex.jobRelay).address;
    const { stdout } = await execFileAsync(process.execPath, [join(repo, "test", "network", "multiHost", "chainTool.ts"), "onchain-job", networkFile, relay, "from a contract"], {
      timeout: 150_000,
    });
    const job = JSON.parse(stdout.trim().split("\n").at(-1)!) as { succeeded: boolean; stdout: string; callbackMs: number };
    assert.equal(job.succeeded, true);
    assert.match(job.stdout, /< from a contract >/);
    console.log(`# 2-second blocks: an on-chain job was called back after ${job.callbackMs} ms`);
  });
});
