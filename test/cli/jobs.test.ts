// `lilypad jobs list|show|logs|get` and `lilypad run --detach` as a user runs them: real child processes, a private
// LILYPAD_HOME, a devnet with an honest provider and one that posts a tampered result.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { devAccount } from "../../src/chain/devAccounts.ts";
import { createLogger } from "../../src/core/logger.ts";
import { lilypadPaths } from "../../src/core/paths.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";
import { jobSummarySchema } from "../../src/core/jobSummary.ts";

const execFileAsync = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
/** A provider that posts a result whose CID is not its result's. */
const TAMPERER = devAccount(5).address;

describe("lilypad jobs and run --detach", () => {
  let home: string;
  let cwd: string;
  let devnetHome: string;
  let net: EmbeddedNetwork;
  let honest: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    cwd = await mkdtemp(join(tmpdir(), "lilypad-cwd-"));
    devnetHome = await mkdtemp(join(tmpdir(), "lilypad-devnet-"));
    net = await startNetwork({
      home: devnetHome,
      chainListen: { host: "127.0.0.1", port: 0 },
      providers: [{}, { account: 5, faults: { wrongResult: true } }],
      networkFile: lilypadPaths({ env: { LILYPAD_HOME: home }, homedir: home }).devnetNetworkFile,
      log: createLogger({ role: "test", level: "silent" }),
    });
    honest = net.providers[0]!.address;
  });
  after(async () => {
    await net.close();
    await rm(devnetHome, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  const lilypad = (args: string[], env: Record<string, string> = {}) =>
    execFileAsync(process.execPath, [join(repo, "bin", "lilypad.js"), ...args], { cwd, env: { ...process.env, LILYPAD_HOME: home, ...env }, timeout: 120_000 });
  const fails = async (args: string[], env: Record<string, string> = {}) => {
    try {
      await lilypad(args, env);
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
    assert.fail(`lilypad ${args.join(" ")} succeeded`);
  };

  it("run --detach prints only the deal id; jobs get collects, verifies and accepts the result; show, list and logs speak in names and CIDs", async () => {
    const detached = await lilypad(["run", "cowsay:v1", "-i", "Message=later", "--detach", "--target", honest]);
    assert.match(detached.stdout, /^0x[0-9a-f]{64}\n$/);
    const dealId = detached.stdout.trim();

    const got = await lilypad(["jobs", "get", dealId, "--out", "moo"]);
    assert.match(got.stdout, /< later >/);
    assert.match(got.stderr, /accepted: the provider is paid/);
    assert.match(got.stderr, /exit code +0/);
    assert.match(await readFile(join(cwd, "moo", "stdout"), "utf8"), /< later >/);
    const resultCid = /result +(bafy\w+)/.exec(got.stderr)?.[1];
    assert.ok(resultCid, got.stderr);

    // Collecting again finds the deal closed: verified, not judged again, the same files.
    // The one summary schema of run, module run and jobs get.
    const again = jobSummarySchema.parse(JSON.parse((await lilypad(["jobs", "get", dealId, "--json"])).stdout));
    assert.deepEqual([again.resultCid, again.outcome, again.exitCode], [resultCid, "accepted", 0]);
    assert.match(again.stdout, /< later >/);

    const show = (await lilypad(["jobs", "show", dealId])).stdout;
    assert.match(show, /module +cowsay:v1 \(bafk\w+\)/);
    assert.match(show, new RegExp(`result +${resultCid} \\([\\d,]+ instructions\\)`));
    assert.match(show, /outcome +accepted/);
    assert.match(show, /Message = "later"/);
    const steps = ["submitted", "matched with a provider", "deal opened on chain +tx 0x", "result posted", "closed: accepted"];
    let at = 0;
    for (const step of steps) {
      const found = show.slice(at).search(new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z  ${step}`));
      assert.ok(found >= 0, `timeline shows "${step}" in order:\n${show}`);
      at += found;
    }
    const json = JSON.parse((await lilypad(["jobs", "show", dealId, "--json"])).stdout) as {
      record: { status: string };
      module: { name: string; cid: string };
      resultCid: string;
      outcomeName: string;
      timeline: { event: string; at: number }[];
    };
    assert.equal(json.record.status, "closed");
    assert.equal(json.module.name, "cowsay:v1");
    assert.equal(json.resultCid, resultCid);
    assert.equal(json.outcomeName, "accepted");
    assert.deepEqual(
      json.timeline.map((s) => s.event),
      ["submitted", "matched", "open", "result-posted", "closed"],
    );

    const list = (await lilypad(["jobs", "list", "--status", "closed", "--module", "cowsay:v1", "--since", "1h"])).stdout;
    assert.match(list, /^DEAL +MODULE +STATUS +CREATED +NOTE\n/);
    assert.match(list, new RegExp(`${dealId}  cowsay:v1 +closed +\\d{4}-[\\d-]+T[\\d:]+Z  accepted`));
    assert.equal((await lilypad(["jobs", "list", "--status", "failed"])).stdout, "no jobs match\n");
    assert.equal((await lilypad(["jobs", "list", "--module", "etl:v1"])).stdout.includes(dealId), false);
    const listed = JSON.parse((await lilypad(["jobs", "list", "--json"])).stdout) as { dealId: string; status: string }[];
    assert.ok(listed.some((r) => r.dealId === dealId && r.status === "closed"));

    const logs = await lilypad(["jobs", "logs", dealId]);
    assert.match(logs.stdout, /< later >/);
    assert.equal((logs.stdout.match(/< later >/g) ?? []).length, 1, "the output is printed once, live or from the result");
    assert.match(logs.stderr, /\[status\] .*running/);
    assert.match(logs.stderr, /\[status\] .*finished: exit code 0/);
    assert.match(logs.stderr, new RegExp(`\\[status\\] result ${resultCid} verified: exit code 0`));
    const quiet = await lilypad(["jobs", "logs", dealId, "--no-status"]);
    assert.equal(quiet.stderr, "");
    const lines = (await lilypad(["jobs", "logs", dealId, "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { stream: string; text: string; from: string });
    // The provider forwarded the output as the job wrote it: the result added nothing to it.
    assert.ok(lines.some((l) => l.stream === "stdout" && l.from === "provider" && l.text.includes("< later >")), JSON.stringify(lines));
    assert.ok(!lines.some((l) => l.stream === "stdout" && l.from === "result"));
    assert.ok(lines.some((l) => l.stream === "status"));
  });

  it("a job that writes stderr and exits non-zero: logs -f shows its stderr and ends with the job, jobs get ends with 3", async () => {
    await writeFile(join(cwd, "bad.csv"), "region,amount\nnorth,10\n");
    const json = JSON.parse(
      (await lilypad(["run", "etl:v1", "-i", "Data=./bad.csv", "-i", "GroupBy=nope", "-i", "Value=amount", "--detach", "--json", "--target", honest])).stdout,
    ) as { dealId: string; status: string; moduleCid: string };
    assert.match(json.dealId, /^0x[0-9a-f]{64}$/);
    assert.match(json.moduleCid, /^bafk/);

    const followed = await lilypad(["jobs", "logs", json.dealId, "-f"]);
    assert.match(followed.stderr, /column "nope" not found/);
    assert.doesNotMatch(followed.stdout, /column "nope" not found/);
    assert.match(followed.stderr, /\[status\] result bafy\w+ verified: exit code 1\n\[status\] the job's output is complete; its deal is result-posted/);

    const got = await fails(["jobs", "get", json.dealId]);
    assert.equal(got.code, 3, got.stderr);
    assert.match(got.stderr, /column "nope" not found/);
    assert.match(got.stderr, /exit code +[1-9]/);
  });

  it("jobs get refuses a result its provider tampered with: challenged, ruled wrong, exit 5 (the deal failed)", async () => {
    const dealId = (await lilypad(["run", "cowsay:v1", "-i", "Message=tampered", "--detach", "--target", TAMPERER])).stdout.trim();
    const refused = await fails(["jobs", "get", dealId]);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /challenged \(the result could not be downloaded or verified\)/);
    assert.match(refused.stderr, /deal closed: mediator: provider wrong/);
    assert.match(refused.stderr, /error: the provider's result could not be downloaded/);
    assert.match((await lilypad(["jobs", "show", dealId])).stdout, /outcome +mediator: provider wrong/);
  });

  it("bad deal ids are usage errors (2); an unknown deal is one line with a hint (1)", async () => {
    for (const command of [["show"], ["logs"], ["get"]]) {
      const bad = await fails(["jobs", ...command, "0x1234"]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /^error: a deal id is 0x followed by 64 hex digits, not "0x1234"\nhint: /);
      const unknown = await fails(["jobs", ...command, `0x${"ab".repeat(32)}`]);
      assert.equal(unknown.code, 1, unknown.stderr);
      assert.match(unknown.stderr, new RegExp(`^error: no job 0x${"ab".repeat(32)} on this network's solver\nhint: check the deal id with \`lilypad jobs list\``));
    }
    assert.equal((await fails(["jobs", "list", "--status", "done"])).code, 2);
    assert.equal((await fails(["jobs", "list", "--since", "yesterday"])).code, 2);
    assert.equal((await fails(["jobs", "list", "--module", "nosuch:v9"])).code, 2);
  });

  it("run --detach without a running network is refused: an embedded one would die with the command", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    try {
      const refused = await fails(["run", "cowsay:v1", "--detach"], { LILYPAD_HOME: elsewhere });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--detach needs a running network/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
