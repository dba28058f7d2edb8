// The module commands as a user runs them: real child processes, a private LILYPAD_HOME.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { jobSummarySchema } from "../../src/core/jobSummary.ts";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));

describe("lilypad module", () => {
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

  const lilypad = (args: string[]) =>
    run(process.execPath, [join(repo, "bin", "lilypad.js"), ...args], { cwd, env: { ...process.env, LILYPAD_HOME: home }, timeout: 60_000 });
  /** Job folders left behind: under $LILYPAD_HOME/work, and the pools' jobs folders (there or in /dev/shm). */
  const leftovers = async (pid?: number) => {
    const work = existsSync(join(home, "work")) ? await readdir(join(home, "work")) : [];
    const shm = pid !== undefined && existsSync("/dev/shm") ? (await readdir("/dev/shm")).filter((n) => n.startsWith(`lilypad-jobs-${pid}-`)) : [];
    return [...work.filter((n) => n.startsWith("job-") || n.startsWith("lilypad-jobs-")), ...shm];
  };
  /** A copy of modules/cowsay (sources only, never built) named `name`, with manifest fields replaced. */
  const cowFolder = async (name: string, changes: Record<string, unknown> = {}) => {
    const dir = join(cwd, name);
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true, filter: (src) => !src.includes("/build") });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name, ...changes }));
    return dir;
  };
  const fails = async (args: string[]) => {
    try {
      await lilypad(args);
    } catch (error) {
      return error as { code: number; stderr: string };
    }
    assert.fail(`lilypad ${args.join(" ")} succeeded`);
  };

  it("module run: runs cowsay in this machine's sandbox, prints the cow and where the result is", async () => {
    const { stdout, stderr } = await lilypad(["module", "run", "cowsay:v1", "-i", "Message=hi"]);
    assert.match(stdout, /< hi >/);
    assert.match(stdout, /\(oo\)/);
    assert.match(stderr, /result +bafy/);
    assert.match(stderr, /instructions +[\d,]+/);
    assert.deepEqual(await leftovers(), [], "the job's folder is removed");
  });

  it("a job that exits non-zero makes the command exit 3, with the job's stderr shown and in --json", async () => {
    await writeFile(join(cwd, "bad.csv"), "region,amount\nnorth,10\n");
    const args = ["module", "run", "etl:v1", "-i", "Data=./bad.csv", "-i", "GroupBy=nope", "-i", "Value=amount"];
    const failed = await lilypad(args).then(
      () => assert.fail("exited 0"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /nope/, "the job's own stderr is shown");
    assert.match(failed.stderr, /exit code +[1-9]/);
    const json = await lilypad([...args, "--json"]).then(
      () => assert.fail("exited 0"),
      (error: { code: number; stdout: string }) => error,
    );
    assert.equal(json.code, 3);
    const summary = jobSummarySchema.parse(JSON.parse(json.stdout));
    assert.ok(summary.exitCode > 0);
    assert.match(summary.stderr, /nope/);
    assert.equal(typeof summary.stdout, "string");
    assert.equal(typeof summary.elapsedMs, "number");
  });

  it("--json gives one object, and the saved result matches its CID's content", async () => {
    const { stdout } = await lilypad(["module", "run", "cowsay:v1", "-i", "Message=json", "--json"]);
    // The one schema of run, module run and jobs get (docs/job-summary.schema.json).
    const summary = jobSummarySchema.parse(JSON.parse(stdout));
    assert.equal(summary.ranOn, "local");
    assert.equal(summary.dealId, null);
    assert.equal(summary.module, "cowsay:v1");
    assert.equal(summary.exitCode, 0);
    assert.ok(BigInt(summary.instructions) > 0n);
    assert.match(await readFile(join(summary.savedTo, "stdout"), "utf8"), /< json >/);
    assert.equal(await readFile(join(summary.savedTo, "exitCode"), "utf8"), "0\n");
    // The value without a key goes to the module's first input: the same job, so the same result.
    const again = JSON.parse((await lilypad(["module", "run", "cowsay:v1", "json", "--json"])).stdout);
    assert.equal(again.resultCid, summary.resultCid, "the same job gives the same result CID");
    assert.equal(again.instructions, summary.instructions);
    assert.deepEqual(await leftovers(), [], "the job's folders are removed; the saved result stays");
    assert.match(await readFile(join(summary.savedTo, "stdout"), "utf8"), /< json >/);
  });

  it("a job that fails leaves no job folder behind", async () => {
    await cowFolder("tired-cow", { limits: { memoryMiB: 16, instructions: "1000", timeoutMs: 10000, outputBytes: 1048576 } });
    await lilypad(["module", "build", "./tired-cow"]);
    const failed = await fails(["module", "run", "tired-cow:v1", "-i", "Message=hi"]);
    assert.match(failed.stderr, /instruction/i);
    assert.deepEqual(await leftovers(), []);
  });

  it("an interrupted job (SIGINT) stops and leaves no job folder behind", async () => {
    const dir = await cowFolder("endless", {
      inputs: [],
      invocation: { args: ["endless"], env: {} },
      limits: { memoryMiB: 16, instructions: "1000000000000", timeoutMs: 120000, outputBytes: 1048576 },
    });
    await cp(join(repo, "test", "fixtures", "hostile", "loop.ts"), join(dir, "assembly", "index.ts"));
    await rm(join(dir, "assembly", "width.ts"));
    await lilypad(["module", "build", "./endless"]);
    const child = spawn(process.execPath, [join(repo, "bin", "lilypad.js"), "module", "run", "endless:v1"], {
      cwd,
      env: { ...process.env, LILYPAD_HOME: home },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("running…")) resolve();
      });
      child.on("exit", () => reject(new Error(`exited before the job ran: ${stderr}`)));
    });
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /SIGINT: stopping the job/);
    assert.deepEqual(await leftovers(child.pid), []);
  });

  it("refuses bad inputs with an error naming the key, before running anything", async () => {
    const unknown = await fails(["module", "run", "cowsay:v1", "-i", "Mesage=hi"]);
    assert.equal(unknown.code, 2, "an input the module lacks is a usage error, as a malformed one is");
    assert.match(unknown.stderr, /input "Mesage": cowsay:v1 has no such input/);
    assert.match(unknown.stderr, /its inputs are: Message/);
    const long = await fails(["module", "run", "cowsay:v1", "-i", `Message=${"x".repeat(1001)}`]);
    assert.match(long.stderr, /input "Message": is 1001 characters long, the most is 1000/);
    const malformed = await fails(["module", "run", "cowsay:v1", "-i", "Message"]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /is not Key=Value/);
    const missing = await fails(["module", "run", "nosuch:v1"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no module "nosuch:v1"/);
  });

  it("inspect shows the manifest and the module's ids", async () => {
    const { stdout } = await lilypad(["module", "inspect", "compute:v1", "--json"]);
    const inspected = JSON.parse(stdout);
    const catalog = JSON.parse(await readFile(join(repo, "modules", "catalog.json"), "utf8"));
    assert.equal(inspected.cid, catalog["compute:v1"]);
    assert.match(inspected.moduleId, /^0x[0-9a-f]{64}$/);
    assert.equal(inspected.manifest.engine, "wasm");
  });

  it("an author builds a module folder and runs it by folder and by NAME:VERSION", async () => {
    await cowFolder("my-cow");
    const built = JSON.parse((await lilypad(["module", "build", "./my-cow", "--json"])).stdout);
    assert.equal(built.module, "my-cow:v1");
    assert.match((await lilypad(["module", "run", "my-cow:v1", "-i", "Message=mine"])).stdout, /< mine >/);
    assert.match((await lilypad(["module", "run", "./my-cow", "-i", "Message=folder"])).stdout, /< folder >/);
  });

  it("a build named like a shipped module never shadows it: cowsay:v1 stays the shipped cowsay, the build runs by folder", async () => {
    const dir = await cowFolder("cowsay", { invocation: { args: ["cowsay", "impostor {{Message}}"], env: {} } });
    const built = await lilypad(["module", "build", "./cowsay"]);
    assert.match(built.stderr, /note: cowsay:v1 is the name of a module shipped with lilypad, and keeps meaning that one/);
    assert.match(built.stdout, /run it with: lilypad module run \.\/cowsay$/m);
    const catalog = JSON.parse(await readFile(join(home, "catalog.json"), "utf8"));
    assert.equal(catalog["cowsay:v1"], undefined, "not in the user's catalog");
    const shipped = await lilypad(["module", "run", "cowsay:v1", "-i", "Message=moo"]);
    assert.match(shipped.stdout, /< moo >/);
    assert.match(shipped.stderr, /module +cowsay:v1, shipped with lilypad/);
    assert.match((await lilypad(["module", "run", "./cowsay", "-i", "Message=moo"])).stdout, /< impostor moo >/);
    // Even a catalog entry written by hand (or by an older lilypad) does not shadow the shipped name.
    await writeFile(join(home, "catalog.json"), JSON.stringify({ ...catalog, "cowsay:v1": JSON.parse((await lilypad(["module", "build", dir, "--json"])).stdout).cid }));
    assert.match((await lilypad(["module", "run", "cowsay:v1", "-i", "Message=moo"])).stdout, /< moo >/);
  });

  it("bad module names are refused with what is wrong", async () => {
    const handle = await fails(["module", "run", "alice/cowsay:v1"]);
    assert.equal(handle.code, 2);
    assert.match(handle.stderr, /error: "alice\/cowsay:v1" is not a module name: "alice" is not a publisher address/);
    assert.match((await fails(["module", "inspect", "Cowsay:v1"])).stderr, /module names are lower case: cowsay:v1/);
    // A published module's full name needs a network to look it up in: none is configured here.
    const published = await fails(["module", "inspect", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8/sheep:v1"]);
    assert.match(published.stderr, /cannot look up .*: no network is configured/);
  });
});
