// Every role on a host of its own, as on separate machines: a Linux network namespace per host, linked through a
// bridge in a switch namespace (10.77.0.0/24), each with its own LILYPAD_HOME (keys' state, block store, work
// folder), each a real `lilypad` process reached only at the address it advertises. The chain is `lilypad devnet
// chain` on 10.77.0.1; the network file it writes is handed to every other host with the mediator's address added
// and no solver URL, so every role (and the job creator's CLI) finds the solver through the service registry.
// Where namespaces cannot be made (not root), the hosts are distinct loopback addresses instead (the test says so).
//
// Across those hosts: a job with a file input (which travels through the solver), a module published from the job
// creator's host and fetched by the provider from the solver, a container job (its image archive travels the same way;
// the provider's and the mediator's podman run it: one machine's podman storage, shared by the namespaces), a spot
// check the mediator re-runs, an on-chain job requested by a contract and relayed by `lilypad jobcreator` on its own
// host, and (last, since it moves the
// chain's clock) a provider killed mid-job, whose creator gets its refund and the provider's timeout collateral.
import assert from "node:assert/strict";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEther } from "viem";
import { devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { networkFileOf as networkFile, RP1_ACCOUNT, RP2_ACCOUNT, startRoles } from "./multiHost/startRoles.ts";
import { createTestbed, REPO, tail, type ExecResult, type Host, type HostProcess, type Testbed } from "./multiHost/testbed.ts";
import { busyboxImage, containerToolsMissing } from "../sandbox/container/busyboxImage.ts";

const CHAIN_TOOL = join(REPO, "test", "network", "multiHost", "chainTool.ts");
const containerMissing = await containerToolsMissing();
const JC = devAccount(3).address;
const RP1 = devAccount(RP1_ACCOUNT).address;
const RP2 = devAccount(RP2_ACCOUNT).address;
const RELAY = devAccount(8).address;
/** The CLI's default timeout collateral per job (`--timeout-collateral 1`). */
const TIMEOUT_COLLATERAL = parseEther("1");
/** Generous: a loaded 2-core machine starts a lilypad process in seconds, and a role in tens of seconds. */
const START_MS = 120_000;
const JOB_MS = 120_000;

const SALES_CSV = "region,amount\nnorth,10\nsouth,5\nnorth,2.5\n";

interface RunSummary {
  module: string;
  dealId: string;
  provider: string;
  resultCid: string;
  outcome: string;
  savedTo: string;
  paid: string;
  elapsedMs: number;
}

interface Balance {
  address: string;
  wallet: string;
  available: string;
  locked: string;
}

describe("multi-host: every role in its own network namespace", { timeout: 8 * 60_000 }, () => {
  let root: string;
  let bed: Testbed;
  let hosts: Record<"chain" | "solver" | "rp1" | "rp2" | "mediator" | "jc" | "relay", Host>;
  let solverUrl: string;
  const roles: Record<string, HostProcess> = {};
  const timings: Record<string, number> = {};

  /** Runs `body`; on failure adds every process's last output to the error. */
  const withDiagnostics = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      err.message += `\n\n==== processes (${bed?.mode ?? "no testbed"}) ====\n${bed?.diagnostics() ?? ""}`;
      throw err;
    }
  };

  /** `lilypad ...args --network network.json` on `host`; fails with its output unless it exits 0. */
  const lilypadOk = async (host: Host, args: string[], ms = JOB_MS): Promise<ExecResult> => {
    const result = await bed.lilypad(host, [...args, "--network", networkFile(host)], ms);
    assert.equal(result.code, 0, `lilypad ${args.join(" ")} on ${host.name} exited ${result.code}:\n${tail(result.stderr)}\n${tail(result.stdout)}`);
    return result;
  };

  const runJob = async (args: string[], label: string): Promise<RunSummary> => {
    const result = await lilypadOk(hosts.jc, ["run", ...args, "--json"]);
    timings[label] = Math.round(result.ms);
    return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as RunSummary;
  };

  const balanceOf = async (host: Host, privateKey?: string): Promise<Balance> => {
    const { stdout } = await lilypadOk(host, ["balance", "--json", ...(privateKey ? ["--private-key", privateKey] : [])], 60_000);
    return JSON.parse(stdout) as Balance;
  };

  const resultFile = async (summary: RunSummary, path: string) =>
    readFile(join(isAbsolute(summary.savedTo) ? summary.savedTo : join(hosts.jc.home, summary.savedTo), path), "utf8");

  /** The "gathered the job" log line of the provider that ran `dealId`. */
  const gatheredBy = (dealId: string): string[] => {
    for (const role of [roles.rp1, roles.rp2]) {
      for (const line of role?.stderr().split("\n") ?? []) {
        if (!line.includes(dealId) || !line.includes("gathered the job")) continue;
        return (JSON.parse(line) as { fetched: string[] }).fetched;
      }
    }
    return [];
  };

  before(async () => {
    const t0 = performance.now();
    root = await mkdtemp(join(tmpdir(), "lilypad-multihost-"));
    bed = await createTestbed({ names: ["chain", "solver", "rp1", "rp2", "mediator", "jc", "relay"], root, forceLoopback: process.env.LILYPAD_TEST_LOOPBACK_HOSTS === "1" });
    hosts = bed.hosts as typeof hosts;
    if (bed.mode === "netns") console.log(`multi-host: network namespaces ${Object.values(hosts).map((h) => `${h.name}=${h.ip}`).join(" ")}`);
    else console.log(`multi-host: FELL BACK to loopback addresses (${bed.fallbackReason}): ${Object.values(hosts).map((h) => `${h.name}=${h.ip}`).join(" ")}`);
    await withDiagnostics(async () => {
      const started = await startRoles({ bed, hosts, startMs: START_MS });
      solverUrl = started.solverUrl;
      Object.assign(roles, started.roles);
    });
    timings.startAll = Math.round(performance.now() - t0);
  });

  after(async () => {
    const t0 = performance.now();
    await bed?.close();
    if (root) await rm(root, { recursive: true, force: true });
    timings.cleanUp = Math.round(performance.now() - t0);
    console.log(`multi-host (${bed?.mode}): timings in ms ${JSON.stringify(timings)}`);
  });

  it("the hosts are apart: the job creator's host reaches the solver only at its address", async () => {
    await withDiagnostics(async () => {
      // From the job creator's host the solver answers at its advertised address; in namespaces, its loopback
      // reaches nothing of the solver's.
      const probe = (url: string) =>
        bed.node(hosts.jc, ["-e", `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(3000) }).then((r) => console.log(r.status), () => console.log("unreachable"))`], 30_000);
      assert.equal((await probe(`${solverUrl}/api/v1/health`)).stdout.trim(), "200");
      if (bed.mode === "netns") assert.equal((await probe(`http://127.0.0.1:${new URL(solverUrl).port}/api/v1/health`)).stdout.trim(), "unreachable");
    });
  });

  it("a job with a file input: the CSV goes from the job creator's host through the solver to a provider's", async () => {
    await withDiagnostics(async () => {
      await writeFile(join(hosts.jc.home, "sales.csv"), SALES_CSV);
      const summary = await runJob(["etl:v1", "-i", "Data=./sales.csv", "-i", "GroupBy=region", "-i", "Value=amount"], "etl");
      assert.equal(summary.outcome, "accepted");
      assert.ok([RP1, RP2].includes(summary.provider as `0x${string}`), `a provider ran it: ${summary.provider}`);
      assert.match(await resultFile(summary, "stdout"), /3 rows, 2 groups by "region"/);
      const groups = JSON.parse(await resultFile(summary, "outputs/summary.json")) as unknown;
      assert.match(JSON.stringify(groups), /north[^}]*12\.5/, JSON.stringify(groups));
      // The provider had neither the file nor a way to the creator: it took the file from the solver.
      const fetched = gatheredBy(summary.dealId);
      assert.ok(fetched.some((f) => f.startsWith("file input Data from") && f.includes(solverUrl)), `fetched: ${JSON.stringify(fetched)}`);
    });
  });

  it("a module published from the job creator's host runs on a provider that fetched it from the solver", async () => {
    await withDiagnostics(async () => {
      const folder = join(hosts.jc.home, "sheep");
      await cp(join(REPO, "modules", "cowsay"), folder, { recursive: true });
      const manifest = JSON.parse(await readFile(join(folder, "manifest.json"), "utf8")) as Record<string, unknown>;
      await writeFile(join(folder, "manifest.json"), JSON.stringify({ ...manifest, name: "sheep" }, null, 2));
      const published = await lilypadOk(hosts.jc, ["module", "publish", "./sheep", "--private-key", devPrivateKey(3)]);
      timings.publish = Math.round(published.ms);
      assert.match(published.stdout, new RegExp(`^published ${JC}/sheep:v1$`, "m"));
      assert.match(published.stdout, new RegExp(`^stored at +${solverUrl.replace(/\./g, "\\.")}$`, "m"), "left with the solver it found on chain");

      const summary = await runJob([`${JC.toLowerCase()}/sheep:v1`, "-i", "Message=baa"], "sheep");
      assert.equal(summary.outcome, "accepted");
      assert.match(await resultFile(summary, "stdout"), /< baa >/);
      const fetched = gatheredBy(summary.dealId);
      assert.ok(fetched.includes(`module from ${solverUrl}`), `fetched: ${JSON.stringify(fetched)}`);
      assert.ok(fetched.includes(`module artifact from ${solverUrl}`), `fetched: ${JSON.stringify(fetched)}`);
    });
  });

  it("a container job: the image archive goes from the job creator's host through the solver to the provider's podman, and the mediator's", { skip: containerMissing }, async () => {
    await withDiagnostics(async () => {
      const folder = join(hosts.jc.home, "say-box");
      await mkdir(folder, { recursive: true });
      await copyFile((await busyboxImage()).archivePath, join(folder, "image.oci.tar"));
      await writeFile(
        join(folder, "manifest.json"),
        JSON.stringify({
          manifestVersion: 1, name: "say-box", version: "v1", description: "a container module across hosts", author: "tests", engine: "container",
          inputs: [{ name: "Message", type: "string", default: "hello" }],
          invocation: { args: ["sh", "-c", 'echo "the box says $1"; echo "$1" > /outputs/said.txt', "sh", "{{Message}}"] },
          resources: { cpu: 1, ramMiB: 64, gpu: 0, diskMiB: 16 },
          limits: { memoryMiB: 64, timeoutMs: 60_000, outputBytes: 1 << 20 },
          deterministic: true, pricing: "per-run",
        }),
      );
      const summary = await runJob(["./say-box", "-i", "Message=across hosts", "--mediation-chance", "1"], "container");
      assert.equal(summary.outcome, "mediator: provider right");
      assert.match(await resultFile(summary, "stdout"), /^the box says across hosts$/m);
      assert.equal(await resultFile(summary, "outputs/said.txt"), "across hosts\n");
      const fetched = gatheredBy(summary.dealId);
      assert.ok(fetched.includes(`module artifact from ${solverUrl}`), `the provider fetched the image archive from the solver: ${JSON.stringify(fetched)}`);
    });
  });

  it("a spot check: the mediator on its own host re-runs the job and finds for the provider", async () => {
    await withDiagnostics(async () => {
      const summary = await runJob(["cowsay:v1", "-i", "Message=check me", "--mediation-chance", "1"], "mediated");
      assert.equal(summary.outcome, "mediator: provider right");
      assert.match(await resultFile(summary, "stdout"), /< check me >/);
      assert.match(roles.mediator!.stderr(), new RegExp(summary.dealId), "the mediator logged the deal it ruled on");
    });
  });

  it("an on-chain job: a contract requests it, the relay on its own host forwards and judges it, the market calls back", async () => {
    await withDiagnostics(async () => {
      const result = await bed.node(hosts.jc, [CHAIN_TOOL, "onchain-job", networkFile(hosts.jc), RELAY, "from a contract"], JOB_MS);
      assert.equal(result.code, 0, `chainTool onchain-job exited ${result.code}:\n${tail(result.stderr)}`);
      const job = JSON.parse(result.stdout.trim()) as { dealId: string; succeeded: boolean; provider: string; providerUrl: string; stdout: string; callbackMs: number };
      timings.onChainJob = job.callbackMs;
      assert.equal(job.succeeded, true, "the client contract was called back with ok");
      assert.ok([RP1, RP2].includes(job.provider as `0x${string}`), job.provider);
      assert.match(job.providerUrl, /^http:\/\/(10\.77\.0|127\.0\.0)\.\d+:\d+$/);
      assert.match(job.stdout, /< from a contract >/);
      assert.match(roles.relay!.stderr(), new RegExp(job.dealId), "the relay logged the deal it forwarded");
    });
  });

  it("a provider killed once its deal opens: past the result timeout the creator is refunded and paid the timeout collateral", async () => {
    await withDiagnostics(async () => {
      const rp2 = roles.rp2!;
      const rpBefore = await balanceOf(hosts.rp2, devPrivateKey(RP2_ACCOUNT));
      // A sieve to 10^8 keeps the provider busy well past the deal opening; only provider 2 may take it.
      const run = bed.spawnLilypad(hosts.jc, "lilypad run (killed provider)", [
        "run", "compute:v1", "-i", "N=100000000", "--target", RP2, "--result-timeout", "60", "--verbose", "--network", networkFile(hosts.jc),
      ]);
      const t0 = performance.now();
      await run.waitFor(/deal opened on chain with (0x[0-9a-fA-F]{40})/, JOB_MS);
      await rp2.kill();
      assert.match(run.stderr(), new RegExp(`deal opened on chain with ${RP2}`));
      const during = await balanceOf(hosts.jc);
      assert.ok(BigInt(during.locked) > 0n, "the creator's payment is locked in the open deal");

      // The dev chain mines a block a second, so its clock passes the deadline by itself in 60 s; moving it on
      // keeps this test short. The creator's CLI notices at its next look at the chain.
      const warp = await bed.node(hosts.jc, [CHAIN_TOOL, "warp", networkFile(hosts.jc), "61"], 30_000);
      assert.equal(warp.code, 0, warp.stderr);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([run.exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve("timeout"), 60_000)))]);
      clearTimeout(timer);
      timings.killedProvider = Math.round(performance.now() - t0);
      assert.equal(code, 5, `a deal that timed out ends lilypad run with 5; it exited ${code}:\n${tail(run.stderr())}`);
      assert.match(run.stderr(), /posted no result within the deal's 60 s result timeout/);
      assert.match(run.stderr(), /code: RESULT_TIMEOUT/);

      const jcAfter = await balanceOf(hosts.jc);
      assert.equal(jcAfter.locked, "0", "nothing of the creator's stays locked");
      assert.equal(
        BigInt(jcAfter.available),
        BigInt(during.available) + BigInt(during.locked) + TIMEOUT_COLLATERAL,
        "the payment is refunded and the provider's timeout collateral paid to the creator",
      );
      const rpAfter = await balanceOf(hosts.rp1, devPrivateKey(RP2_ACCOUNT));
      assert.equal(
        BigInt(rpAfter.available) + BigInt(rpAfter.locked),
        BigInt(rpBefore.available) + BigInt(rpBefore.locked) - TIMEOUT_COLLATERAL,
        "the killed provider lost exactly its timeout collateral",
      );
    });
  });
});
