// The module commands as a user runs them: real child processes, a private LILYPAD_HOME.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

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
  });

  it("--json gives one object, and the saved result matches its CID's content", async () => {
    const { stdout } = await lilypad(["module", "run", "cowsay:v1", "-i", "Message=json", "--json"]);
    const summary = JSON.parse(stdout);
    assert.equal(summary.module, "cowsay:v1");
    assert.equal(summary.exitCode, 0);
    assert.ok(BigInt(summary.instructions) > 0n);
    assert.match(await readFile(join(summary.savedTo, "stdout"), "utf8"), /< json >/);
    assert.equal(await readFile(join(summary.savedTo, "exitCode"), "utf8"), "0\n");
    const again = JSON.parse((await lilypad(["module", "run", "cowsay:v1", "-i", "Message=json", "--json"])).stdout);
    assert.equal(again.resultCid, summary.resultCid, "the same job gives the same result CID");
    assert.equal(again.instructions, summary.instructions);
  });

  it("refuses bad inputs with an error naming the key, before running anything", async () => {
    const unknown = await fails(["module", "run", "cowsay:v1", "-i", "Mesage=hi"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /input "Mesage": cowsay:v1 has no such input/);
    assert.match(unknown.stderr, /its inputs are: Message/);
    const long = await fails(["module", "run", "cowsay:v1", "-i", `Message=${"x".repeat(1001)}`]);
    assert.match(long.stderr, /input "Message": is 1001 characters long, the most is 1000/);
    const malformed = await fails(["module", "run", "cowsay:v1", "-i", "Message"]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /is not Key=Value/);
    const missing = await fails(["module", "run", "nosuch:v1"]);
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
    const dir = join(cwd, "my-cow");
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true, filter: (src) => !src.includes("/build") });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await (await import("node:fs/promises")).writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "my-cow" }));
    const built = JSON.parse((await lilypad(["module", "build", "./my-cow", "--json"])).stdout);
    assert.equal(built.module, "my-cow:v1");
    assert.match((await lilypad(["module", "run", "my-cow:v1", "-i", "Message=mine"])).stdout, /< mine >/);
    assert.match((await lilypad(["module", "run", "./my-cow", "-i", "Message=folder"])).stdout, /< folder >/);
  });
});
