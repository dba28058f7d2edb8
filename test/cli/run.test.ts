// `lilypad run` as a user runs it: real child processes, a private LILYPAD_HOME, the whole protocol.
import assert from "node:assert/strict";
import { exec, execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { devPrivateKey } from "../../src/chain/devAccounts.ts";
import { createLogger } from "../../src/core/logger.ts";
import { lilypadPaths } from "../../src/core/paths.ts";
import { jobSummarySchema } from "../../src/core/jobSummary.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";

const execFileAsync = promisify(execFile);
const execAsync = promisify(exec);
const repo = fileURLToPath(new URL("../../", import.meta.url));

/** The README's first command block: the install, then the first job. */
async function readmeFirstJob(): Promise<string> {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const block = /```sh\n([^`]+)```/.exec(readme)?.[1];
  const first = block?.split("\n")[0];
  assert.ok(first, "the README opens with a sh code block");
  const [install, job] = first.split(" && ");
  assert.equal(install, "npx -y -p node@22 -- npm ci");
  assert.ok(job);
  return job;
}

describe("lilypad run", () => {
  let home: string;
  let cwd: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    cwd = await mkdtemp(join(tmpdir(), "lilypad-cwd-"));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  const lilypad = (args: string[], env: Record<string, string> = {}) =>
    execFileAsync(process.execPath, [join(repo, "bin", "lilypad.js"), ...args], { cwd, env: { ...process.env, LILYPAD_HOME: home, ...env }, timeout: 90_000 });
  const fails = async (args: string[]) => {
    try {
      await lilypad(args);
    } catch (error) {
      return error as { code: number; stderr: string };
    }
    assert.fail(`lilypad ${args.join(" ")} succeeded`);
  };

  it("the README's first job, exactly as written: an embedded network runs cowsay through the whole protocol", async () => {
    const command = await readmeFirstJob();
    assert.equal(command, "npx lilypad run cowsay:v1 -i Message=hi");
    // Run from the repository, as a user who just installed it does, from a plain shell: the system's PATH (no
    // node_modules/.bin, so `node` is the machine's, 20 here) and an npm cache that never saw this folder. The
    // result lands in ./lilypad-results.
    const userHome = await mkdtemp(join(tmpdir(), "lilypad-user-"));
    const plainShell = { HOME: userHome, PATH: "/usr/local/bin:/usr/bin:/bin", LILYPAD_HOME: home };
    const { stdout, stderr } = await execAsync(command, { cwd: repo, env: plainShell, timeout: 180_000 }).finally(() =>
      rm(userHome, { recursive: true, force: true }),
    );
    assert.match(stdout, /< hi >/);
    assert.match(stdout, /\(oo\)/);
    for (const step of ["starting an embedded network", "matched", "deal opened on chain", "result posted on chain", "downloaded and verified", "accepted"]) {
      assert.ok(stderr.includes(step), `progress shows "${step}":\n${stderr}`);
    }
    assert.match(stderr, /deal +0x[0-9a-f]{64}/);
    const resultCid = /result +(bafy\w+)/.exec(stderr)?.[1];
    assert.ok(resultCid, stderr);
    assert.match(stderr, /instructions +[\d,]+/);
    assert.match(stderr, /paid +0\.0\d+ LP/);
    const savedTo = /saved to +(\S+)/.exec(stderr)?.[1];
    assert.equal(savedTo, join(repo, "lilypad-results", resultCid));
    assert.match(await readFile(join(savedTo, "stdout"), "utf8"), /< hi >/);
    await rm(savedTo, { recursive: true, force: true });
  });

  it("--json prints one object with the deal, the result CID, the instruction count and the payment", async () => {
    // The value without a key goes to the module's first input, as in Lilypad's `lilypad run sdxl:v0.9-lilypad1 "a prompt"`.
    const { stdout } = await lilypad(["run", "cowsay:v1", "json", "--json"]);
    const summary = JSON.parse(stdout) as Record<string, string>;
    assert.match(summary.dealId ?? "", /^0x[0-9a-f]{64}$/);
    assert.match(summary.resultCid ?? "", /^bafy/);
    assert.ok(BigInt(summary.instructions ?? "0") > 0n);
    assert.ok(BigInt(summary.paid ?? "0") > 0n);
    assert.equal(summary.outcome, "accepted");
    assert.match(await readFile(join(summary.savedTo ?? "", "stdout"), "utf8"), /< json >/);
    assert.equal(Number(summary.exitCode), 0);
    assert.match(summary.stdout ?? "", /< json >/);
    assert.equal(summary.stderr, "");
    // The one schema of run, module run and jobs get (docs/job-summary.schema.json).
    const checked = jobSummarySchema.parse(summary);
    assert.equal(checked.ranOn, "network");
    assert.ok(checked.metered);
    assert.ok(checked.files.includes("stdout"), checked.files.join(","));
  });

  it("a job that runs and exits non-zero ends the command with 3, its stderr and exit code shown", async () => {
    await writeFile(join(cwd, "bad.csv"), "region,amount\nnorth,10\n");
    const failed = await fails(["run", "etl:v1", "-i", "Data=./bad.csv", "-i", "GroupBy=nope", "-i", "Value=amount"]);
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /column "nope" not found/);
    assert.match(failed.stderr, /exit code +[1-9]/);
    // With --json too: the summary is printed, and the command still ends with 3.
    const json = await fails(["run", "etl:v1", "-i", "Data=./bad.csv", "-i", "GroupBy=nope", "-i", "Value=amount", "--json"]);
    assert.equal(json.code, 3);
    const summary = jobSummarySchema.parse(JSON.parse((json as unknown as { stdout: string }).stdout));
    assert.notEqual(summary.exitCode, 0);
    assert.match(summary.stderr, /column "nope" not found/);
  });

  it("refuses bad flags with a usage error before starting anything", async () => {
    assert.equal((await fails(["run", "cowsay:v1", "--mediation-chance", "2"])).code, 2);
    const noNetwork = await fails(["run", "cowsay:v1", "--network", "nosuch"]);
    assert.equal(noNetwork.code, 2);
    assert.match(noNetwork.stderr, /no network "nosuch"/);
    assert.match((await fails(["run", "cowsay:v1", "-i", "Nope=1"])).stderr, /input "Nope"/);
    assert.equal((await fails(["run", "cowsay:v1", "--private-key", "0x12"])).code, 2);
  });

  it("checks the module, the inputs and the files before any network starts", async () => {
    const big = join(cwd, "big.png");
    await writeFile(big, Buffer.alloc(20 << 20));
    const cases: [string[], RegExp][] = [
      [["run", "nosuch:v1"], /no module "nosuch:v1"/],
      [["run", "cowsay:v1", "-i", "Nope=1"], /input "Nope": cowsay:v1 has no such input/],
      [["run", "cowsay:v1", "-i", "Message"], /input "Message" is not Key=Value/],
      [["run", "cowsay:v1", "one", "two"], /only one input may be given without a key/],
      [["run", "cowsay:v1", "hi", "-i", "Message=hi"], /input "Message" is given twice/],
      [["run", "ocr:v1", "-i", "Image=./missing.png"], /no such file/],
      [["run", "ocr:v1", "-i", `Image=${big}`], /is 20971520 bytes \(20\.0 MiB\).*\n.*ocr:v1 takes at most 16777216 bytes/],
      [["run", "compute:v1", "-i", "N=many"], /input "N": must be an integer/],
    ];
    for (const [args, message] of cases) {
      const failed = await fails(args);
      assert.match(failed.stderr, message, args.join(" "));
      assert.doesNotMatch(failed.stderr, /starting an embedded network/, `${args.join(" ")}: checked before the network starts`);
    }
  });

  describe("with a devnet running", () => {
    let net: EmbeddedNetwork;
    let devnetHome: string;
    before(async () => {
      devnetHome = await mkdtemp(join(tmpdir(), "lilypad-devnet-"));
      net = await startNetwork({
        home: devnetHome,
        chainListen: { host: "127.0.0.1", port: 0 },
        networkFile: lilypadPaths({ env: { LILYPAD_HOME: home }, homedir: home }).devnetNetworkFile,
        log: createLogger({ role: "test", level: "silent" }),
      });
    });
    after(async () => {
      await net.close();
      await rm(devnetHome, { recursive: true, force: true });
    });

    it("uses it, and the job shows in `jobs list|show|logs`, the payment in `balance`", async () => {
      const { stderr, stdout } = await lilypad(["run", "cowsay:v1", "-i", "Message=devnet"]);
      assert.match(stderr, /network +devnet/);
      assert.doesNotMatch(stderr, /embedded/);
      assert.match(stdout, /< devnet >/);
      const dealId = /deal +(0x[0-9a-f]{64})/.exec(stderr)?.[1];
      assert.ok(dealId);
      const list = await lilypad(["jobs", "list"]);
      assert.match(list.stdout, new RegExp(`${dealId} +cowsay:v1 +closed`));
      const show = JSON.parse((await lilypad(["jobs", "show", dealId, "--json"])).stdout) as { record: { status: string; provider: string } };
      assert.equal(show.record.status, "closed");
      assert.equal(show.record.provider, net.providers[0]?.address);
      assert.match((await lilypad(["jobs", "logs", dealId])).stderr, /\[status\] .*finished: exit code 0/);
      const balance = JSON.parse((await lilypad(["balance", "--json"])).stdout) as { available: string; locked: string };
      assert.equal(balance.locked, "0");
      assert.ok(BigInt(balance.available) > 0n);
      const withdrawn = JSON.parse((await lilypad(["withdraw", "1", "--json"])).stdout) as { available: string };
      assert.equal(BigInt(withdrawn.available), BigInt(balance.available) - 10n ** 18n);
      assert.equal((await fails(["withdraw", "-5"])).code, 2);
    });

    it("another address cannot read the job", async () => {
      const { stdout } = await lilypad(["run", "cowsay:v1", "-i", "Message=private", "--json"]);
      const { dealId } = JSON.parse(stdout) as { dealId: string };
      const stranger = devPrivateKey(12);
      const denied = await lilypad(["jobs", "show", dealId, "--private-key", stranger]).catch((e: { stderr: string }) => e);
      assert.match(String((denied as { stderr: string }).stderr), /not a party/);
    });
  });
});
