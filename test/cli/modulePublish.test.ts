// `lilypad module publish` against a real dev chain: NAME:VERSION lands in the signer's namespace of the on-chain
// registry, as <signer>/NAME:VERSION, where other users' `lilypad` then finds it by that full name; nobody publishes
// in another's namespace, versions are immutable, and only governance approves bare names.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { zeroAddress } from "viem";
import { devAccount } from "../../src/chain/devAccounts.ts";
import { resolveModuleOnChain } from "../../src/chain/moduleRegistry.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";
import { readOciImage } from "../../src/storage/ociArchive.ts";
import { busyboxImage, containerToolsMissing } from "../sandbox/container/busyboxImage.ts";

const run = promisify(execFile);
const containerMissing = await containerToolsMissing();
const author = devAccount(3).address;
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

  it("registers <signer>/NAME:VERSION on chain, and another user's lilypad resolves that full name from there", async () => {
    const authorHome = join(root, "author-home");
    const { stdout } = await lilypad(authorHome, ["module", "publish", "./sheep", "--network-file", networkFile, "--dev-account", "3"]);
    assert.match(stdout, new RegExp(`^published ${author}/sheep:v1$`, "m"));
    assert.match(stdout, new RegExp(`^run it with: lilypad run ${author}/sheep:v1$`, "m"));
    const digest = /module id +(0x[0-9a-f]{64})/.exec(stdout)![1]!;
    const market = dev.network.contracts.market;
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: author, name: "sheep", version: "v1" }), digest);
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: zeroAddress, name: "sheep", version: "v1" }), undefined, "not the bare name");
    // The author's `module list` shows it under the name others run it by, and on which chain.
    const listed = JSON.parse((await lilypad(authorHome, ["module", "list", "--json"])).stdout) as { module: string; cid: string; source: string; chainId?: number; engine?: string }[];
    const published = listed.find((m) => m.source === "published");
    assert.equal(published?.module, `${author}/sheep:v1`);
    assert.equal(published?.chainId, dev.network.chainId);
    assert.equal(published?.engine, "wasm");
    assert.ok(listed.some((m) => m.module === "sheep:v1" && m.source === "built" && m.cid === published?.cid), "and as built, in the author's catalog");

    // A user with an empty catalog finds the module through the registry of the devnet it is configured with.
    const user = join(root, "user-home");
    await cp(networkFile, join(user, "networks", "devnet.json"));
    // Its manifest and artifact are not in this user's store yet (fetching them over the network is the network
    // roles' job), so inspect stops there; what this checks is that the name resolved through the registry.
    const missing = await lilypad(user, ["module", "inspect", `${author.toLowerCase()}/sheep:v1`]).then(
      () => "",
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(missing, /not in the local store/, "resolved through the registry to a CID this user does not have");
    // The bare name is not the author's: it names no module for this user.
    const bare = await lilypad(user, ["module", "inspect", "sheep:v1"]).then(
      () => "",
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(bare, /no module "sheep:v1"/);
    assert.match(bare, /0x<publisher address>\/sheep:v1/);
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
    const publisher = devAccount(5).address;
    assert.match(stdout, new RegExp(`published ${publisher}/lamb:v1`));
    const digest = /module id +(0x[0-9a-f]{64})/.exec(stdout)![1]!;
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market: dev.network.contracts.market, publisher, name: "lamb", version: "v1" }), digest);
    // What was published is what `module build` gives for the same folder, and the author can run it by name.
    const built = JSON.parse((await lilypad(home, ["module", "build", "./lamb", "--json"])).stdout);
    assert.equal(built.moduleId, digest);
    assert.match((await lilypad(home, ["module", "run", "lamb:v1", "-i", "Message=baa"])).stdout, /< baa >/);
  });

  it("publishes a module in Lilypad's format (lilypad_module.json.tmpl and its image archive), after its two check runs; it runs by name", { skip: containerMissing }, async () => {
    const dir = join(root, "say-lilypad");
    await mkdir(dir, { recursive: true });
    const box = await busyboxImage();
    await copyFile(box.archivePath, join(dir, "image.oci.tar"));
    const { manifestDigest } = await readOciImage(box.archivePath);
    await writeFile(
      join(dir, "lilypad_module.json.tmpl"),
      `{"machine":{"gpu":0,"cpu":1000,"ram":100},"job":{"APIVersion":"V1beta1","Spec":{"Deal":{"Concurrency":1},"Docker":{"Entrypoint":["sh","-c","echo \\"says: $1\\"","sh",{{ .Message }}],"Image":"tests/say-lilypad@${manifestDigest}"},"Engine":"Docker","Network":{"Type":"None"},"PublisherSpec":{"Type":"IPFS"},"Resources":{"GPU":""},"Timeout":60,"Verifier":"Noop"}}}`,
    );
    const home = join(root, "say-home");
    // Message has no default in the template: the check runs need one.
    const missing = await lilypad(home, ["module", "publish", "./say-lilypad", "--network-file", networkFile, "--dev-account", "6"]).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(missing ?? "", /Message/);
    const { stdout, stderr } = await lilypad(home, ["module", "publish", "./say-lilypad", "-i", "Message=check", "--network-file", networkFile, "--dev-account", "6"]);
    assert.match(stderr, /checking that runs agree: run 2 of 2/);
    const publisher = devAccount(6).address;
    assert.match(stdout, new RegExp(`published ${publisher}/say-lilypad:v1`));
    const digest = /module id +(0x[0-9a-f]{64})/.exec(stdout)![1]!;
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market: dev.network.contracts.market, publisher, name: "say-lilypad", version: "v1" }), digest);
    const ran = await lilypad(home, ["module", "run", `${publisher}/say-lilypad:v1`, "-i", "Message=by name", "--network", networkFile]);
    assert.match(ran.stdout, /^says: by name$/m);
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

  it("another publisher of the same name gets its own namespace and leaves the first's alone; versions are immutable", async () => {
    const market = dev.network.contracts.market;
    const first = await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: author, name: "sheep", version: "v1" });
    const other = devAccount(4).address;
    const { stdout } = await lilypad(join(root, "other-home"), ["module", "publish", "./sheep", "--network-file", networkFile, "--dev-account", "4"]);
    assert.match(stdout, new RegExp(`published ${other}/sheep:v1`));
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: author, name: "sheep", version: "v1" }), first);
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: other, name: "sheep", version: "v1" }), first);
    const again = await lilypad(join(root, "author-home"), ["module", "publish", "./sheep", "--network-file", networkFile, "--dev-account", "3"]).then(
      () => assert.fail("a version was published twice"),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(again, new RegExp(`${author}/sheep:v1 is already published; versions are immutable`));
  });

  it("--as-governance approves a bare name: only the market's owner, and never a shipped name for another module", async () => {
    const market = dev.network.contracts.market;
    const dir = join(root, "ewe");
    await cp(join(root, "sheep"), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "ewe" }));
    const home = join(root, "governance-home");
    const notOwner = await lilypad(home, ["module", "publish", "./ewe", "--as-governance", "--network-file", networkFile, "--dev-account", "3"]).then(
      () => assert.fail("a publisher approved a bare name"),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(notOwner, new RegExp(`${author} is not the network's governance`));
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: zeroAddress, name: "ewe", version: "v1" }), undefined);

    const { stdout } = await lilypad(home, ["module", "publish", "./ewe", "--as-governance", "--network-file", networkFile, "--dev-account", "0"]);
    assert.match(stdout, /^approved ewe:v1$/m);
    assert.match(stdout, /^run it with: lilypad run ewe:v1$/m);
    const digest = /module id +(0x[0-9a-f]{64})/.exec(stdout)![1]!;
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: zeroAddress, name: "ewe", version: "v1" }), digest);
    // Another user's lilypad resolves the bare name from governance's namespace.
    const user = join(root, "ewe-user-home");
    await cp(networkFile, join(user, "networks", "devnet.json"));
    const missing = await lilypad(user, ["module", "inspect", "ewe:v1"]).then(
      () => "",
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(missing, /not in the local store/, "resolved through the registry's bare namespace");

    // A shipped name always means the shipped module: governance cannot approve it for another.
    const cow = join(root, "not-the-cow");
    await cp(join(root, "sheep"), cow, { recursive: true });
    await writeFile(join(cow, "manifest.json"), JSON.stringify({ ...manifest, name: "cowsay", description: "not the shipped cow" }));
    const shipped = await lilypad(home, ["module", "publish", "./not-the-cow", "--as-governance", "--network-file", networkFile, "--dev-account", "0"]).then(
      () => assert.fail("governance approved a shipped name for another module"),
      (error: { stderr: string; code: number }) => `${error.code} ${error.stderr}`,
    );
    assert.match(shipped, /^2 .*cowsay:v1 is the name of a module shipped with lilypad/s);
    assert.equal(await resolveModuleOnChain({ publicClient: dev.publicClient, market, publisher: zeroAddress, name: "cowsay", version: "v1" }), undefined);
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
