// `lilypad module publish` against a real dev chain: NAME:VERSION lands in the on-chain registry, where other
// users' `lilypad` then finds it; names belong to their first publisher and versions are immutable.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveModuleOnChain } from "../../src/chain/moduleRegistry.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));

describe("lilypad module publish", () => {
  let dev: DevChain;
  let root: string;
  let networkFile: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-publish-"));
    networkFile = join(root, "devnet.json");
    dev = await startDevChain({ listen: { port: 0 }, networkFile });
    const dir = join(root, "sheep");
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "sheep" }));
  });
  after(async () => {
    await dev.close();
    await rm(root, { recursive: true, force: true });
  });

  const lilypad = (home: string, args: string[]) =>
    run(process.execPath, [join(repo, "bin", "lilypad.js"), ...args], { cwd: root, env: { ...process.env, LILYPAD_HOME: home }, timeout: 60_000 });

  it("registers NAME:VERSION on chain, and another user's lilypad resolves it from there", async () => {
    const author = join(root, "author-home");
    const { stdout } = await lilypad(author, ["module", "publish", "./sheep", "--network-file", networkFile, "--dev-account", "3"]);
    assert.match(stdout, /published sheep:v1/);
    const digest = /module id +(0x[0-9a-f]{64})/.exec(stdout)![1]!;
    assert.equal(
      await resolveModuleOnChain({ publicClient: dev.publicClient, market: dev.network.contracts.market, name: "sheep", version: "v1" }),
      digest,
    );

    // A user with an empty catalog finds the module through the registry of the devnet it is configured with.
    const user = join(root, "user-home");
    await cp(networkFile, join(user, "networks", "devnet.json"));
    // Its manifest and artifact are not in this user's store yet (fetching them over the network is the network
    // roles' job), so inspect stops there; what this checks is that the name resolved through the registry.
    const missing = await lilypad(user, ["module", "inspect", "sheep:v1"]).then(
      () => "",
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(missing, /not in the local store/, "resolved through the registry to a CID this user does not have");
  });

  it("publishes a fresh module folder without `module build` first: it builds it as `module build` does", async () => {
    const dir = join(root, "lamb");
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true, filter: (src) => !src.includes("/build") });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "lamb" }));
    assert.equal(existsSync(join(dir, "build")), false, "never built");
    const home = join(root, "lamb-home");
    const { stdout, stderr } = await lilypad(home, ["module", "publish", "./lamb", "--network-file", networkFile, "--dev-account", "5"]);
    assert.match(stderr, /compiling lamb\/assembly\/index\.ts/);
    assert.match(stdout, /published lamb:v1/);
    const digest = /module id +(0x[0-9a-f]{64})/.exec(stdout)![1]!;
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market: dev.network.contracts.market, name: "lamb", version: "v1" }), digest);
    // What was published is what `module build` gives for the same folder, and the author can run it by name.
    const built = JSON.parse((await lilypad(home, ["module", "build", "./lamb", "--json"])).stdout);
    assert.equal(built.moduleId, digest);
    assert.match((await lilypad(home, ["module", "run", "lamb:v1", "-i", "Message=baa"])).stdout, /< baa >/);
  });

  it("a folder that cannot be built automatically: one line says exactly what to do", async () => {
    const dir = join(root, "bare");
    await mkdir(dir);
    const manifest = JSON.parse(await readFile(join(repo, "modules", "cowsay", "manifest.json"), "utf8"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "bare" }));
    const refused = await lilypad(join(root, "bare-home"), ["module", "publish", "./bare", "--network-file", networkFile, "--dev-account", "6"]).then(
      () => assert.fail("published a module without a program"),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(refused, /cannot package .*bare: no build\/module\.wasm or module\.wasm/);
    assert.ok(refused.includes(`compile your module to ${join(dir, "module.wasm")}`), refused);
  });

  it("names belong to their first publisher, and versions are immutable", async () => {
    const other = join(root, "other-home");
    const taken = await lilypad(other, ["module", "publish", "./sheep", "--network-file", networkFile, "--dev-account", "4"]).then(
      () => assert.fail("a second publisher took the name"),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(taken, /the name sheep belongs to 0x/);
    const again = await lilypad(join(root, "author-home"), ["module", "publish", "./sheep", "--network-file", networkFile, "--dev-account", "3"]).then(
      () => assert.fail("a version was published twice"),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(again, /sheep:v1 is already published; versions are immutable/);
  });

  it("needs a signing key and a network", async () => {
    const home = join(root, "keyless-home");
    const noKey = await lilypad(home, ["module", "publish", "./sheep", "--network-file", networkFile]).then(
      () => "",
      (error: { stderr: string; code: number }) => `${error.code} ${error.stderr}`,
    );
    assert.match(noKey, /^2 .*no signing key/s);
    const noNetwork = await lilypad(home, ["module", "publish", "./sheep", "--dev-account", "3", "--network-file", join(root, "nope.json")]).then(
      () => "",
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(noNetwork, /no network file at/);
  });
});
