// `lilypad module publish` against a real dev chain: NAME:VERSION lands in the on-chain registry, where other
// users' `lilypad` then finds it; names belong to their first publisher and versions are immutable.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveModuleOnChain } from "../../src/chain/moduleRegistry.ts";
import { startDevChain, type DevChain } from "../../src/chain/startDevChain.ts";

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
