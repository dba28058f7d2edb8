// Issue 11, attack 14: module names could be squatted (`publishModule` was first come, first served, and the CLI
// fell back to the registry for any name it did not know). Here, against a real devnet and the real CLI: a
// squatter publishes familiar names, with modules whose output gives them away and that every party has the blocks
// of, so that nothing but name resolution stands between the user and the squatter's module. `lilypad run` of a
// familiar name never runs it; the owner's full name, 0x<owner>/NAME:VERSION, runs the owner's module and says
// whose it is; bad names are refused with what to do, before anything is offered.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createWalletClient, http, type Hex } from "viem";
import { devAccount } from "../../src/chain/devAccounts.ts";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { createLogger } from "../../src/core/logger.ts";
import { lilypadPaths } from "../../src/core/paths.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const execFileAsync = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const OWNER = 11;
const SQUATTER = 12;
const owner = devAccount(OWNER).address;
const squatter = devAccount(SQUATTER).address;
const shippedCowsay = readShippedCatalog()["cowsay:v1"]!;

describe("module names say whose module it is (attack 14)", () => {
  let root: string;
  let net: EmbeddedNetwork;
  /** Homes of three users, all configured with the devnet, and a stranger's, who has no devnet file and no modules. */
  const home = { user: "", owner: "", squatter: "", stranger: "" };
  let devnetFile: string;
  let squattedSheepId: Hex;

  const lilypad = (who: keyof typeof home, args: string[]) =>
    execFileAsync(process.execPath, [join(repo, "bin", "lilypad.js"), ...args], { cwd: root, env: { ...process.env, LILYPAD_HOME: home[who] }, timeout: 120_000 });
  const fails = async (who: keyof typeof home, args: string[]) => {
    try {
      await lilypad(who, args);
    } catch (error) {
      return error as { code: number; stderr: string; stdout: string };
    }
    assert.fail(`lilypad ${args.join(" ")} succeeded`);
  };

  /** A cowsay build named `name`; `says` prefixes every message, so the output tells whose module ran. */
  const folder = async (dir: string, name: string, says = "") => {
    const path = join(root, dir);
    await mkdir(path, { recursive: true });
    await cp(join(repo, "modules", "cowsay", "build", "module.wasm"), join(path, "module.wasm"));
    const manifest = JSON.parse(await readFile(join(repo, "modules", "cowsay", "manifest.json"), "utf8"));
    manifest.name = name;
    manifest.invocation.args = ["cowsay", `${says}{{Message}}`];
    await writeFile(join(path, "manifest.json"), JSON.stringify(manifest));
    return path;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-names-"));
    for (const who of Object.keys(home) as (keyof typeof home)[]) home[who] = join(root, `${who}-home`);
    const networkFile = lilypadPaths({ env: { LILYPAD_HOME: home.user }, homedir: root }).devnetNetworkFile;
    devnetFile = networkFile;
    const devnetBlocks = await createBlockstore({ path: join(root, "devnet-blocks") });
    net = await startNetwork({ home: join(root, "devnet"), networkFile, blockstore: devnetBlocks, log: createLogger({ role: "test", level: "silent" }) });
    for (const who of ["owner", "squatter"] as const) await cp(networkFile, lilypadPaths({ env: { LILYPAD_HOME: home[who] }, homedir: root }).devnetNetworkFile);

    const folders = [await folder("sheep", "sheep"), await folder("squat-sheep", "sheep", "squatted "), await folder("squat-cow", "cowsay", "squatted ")];
    await lilypad("owner", ["module", "publish", "./sheep", "--dev-account", String(OWNER)]);
    await lilypad("squatter", ["module", "publish", "./squat-sheep", "--dev-account", String(SQUATTER)]);
    await lilypad("squatter", ["module", "publish", "./squat-cow", "--dev-account", String(SQUATTER)]);
    // Every party already holds every one of these modules (as if fetched from IPFS): the user's lilypad and the
    // devnet's provider could run the squatter's as readily as the owner's.
    const userBlocks = await createBlockstore({ path: lilypadPaths({ env: { LILYPAD_HOME: home.user }, homedir: root }).blocksDir });
    for (const dir of folders) {
      await packageModule({ dir, blockstore: devnetBlocks });
      const packaged = await packageModule({ dir, blockstore: userBlocks });
      if (dir.endsWith("squat-sheep")) squattedSheepId = packaged.digest;
    }
    userBlocks.close();
  });
  after(async () => {
    await net?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("module inspect and module run take --network: a stranger's machine resolves the name there and fetches the module from its solver", async () => {
    const { stdout: inspected } = await lilypad("stranger", ["module", "inspect", `${owner}/sheep:v1`, "--network", devnetFile, "--json"]);
    assert.equal((JSON.parse(inspected) as { publisher: string }).publisher, owner);
    const { stdout } = await lilypad("stranger", ["module", "run", `${owner}/sheep:v1`, "baa", "--network", devnetFile]);
    assert.match(stdout, /< baa >/);
    // Without it, that machine knows no network, and says where a published name would be looked up.
    const unnamed = await fails("stranger", ["module", "inspect", `${owner}/sheep:v1`]);
    assert.match(unnamed.stderr, /^error: /m);
  });

  it("the squatter's names are on chain, each in the squatter's own namespace", async () => {
    const { stdout } = await lilypad("squatter", ["module", "inspect", `${squatter}/cowsay:v1`, "--json"]);
    const inspected = JSON.parse(stdout) as { source: string; publisher: string; cid: string };
    assert.equal(inspected.source, "registry");
    assert.equal(inspected.publisher, squatter);
    assert.notEqual(inspected.cid, shippedCowsay);
  });

  it("`lilypad run cowsay:v1` runs the shipped cowsay, not the squatter's, and says so", async () => {
    const { stdout, stderr } = await lilypad("user", ["run", "cowsay:v1", "-i", "Message=moo"]);
    assert.match(stdout, /< moo >/);
    assert.doesNotMatch(stdout, /squatted/);
    assert.ok(stderr.includes(`module   cowsay:v1, shipped with lilypad (${shippedCowsay})`), stderr);
    assert.ok(!stderr.includes(squatter), stderr);
  });

  it("a name the user does not know is never picked from the registry: a clear error with the fix, nothing offered", async () => {
    const refused = await fails("user", ["run", "sheep:v1", "-i", "Message=baa"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error: no module "sheep:v1"$/m);
    assert.match(refused.stderr, /^hint: a bare name is a module shipped with lilypad, one you built, or one the network's governance approved/m);
    assert.match(refused.stderr, /0x<publisher address>\/sheep:v1; ask its author for the full name/);
    assert.ok(!refused.stderr.includes(squatter) && !refused.stderr.includes(owner), "no publisher is suggested");
    assert.doesNotMatch(refused.stderr, /submitted|deal opened/);
    assert.equal(refused.stdout, "");
  });

  it("the owner's full name runs the owner's module, and says whose it is", async () => {
    const { stdout, stderr } = await lilypad("user", ["run", `${owner}/sheep:v1`, "-i", "Message=baa"]);
    assert.match(stdout, /< baa >/);
    assert.doesNotMatch(stdout, /squatted/);
    assert.match(stderr, new RegExp(`module +sheep:v1, published by ${owner} \\(bafkrei\\w+\\)`));
    assert.match(stderr, new RegExp(`^module +${owner}/sheep:v1 \\(bafkrei\\w+\\)$`, "m"));
    const summary = JSON.parse((await lilypad("user", ["run", owner.toLowerCase() + "/sheep:v1", "-i", "Message=baa", "--json"])).stdout) as Record<string, string>;
    assert.equal(summary.module, `${owner}/sheep:v1`);
    assert.equal(summary.publisher, owner);
    assert.equal(summary.outcome, "accepted");
  });

  it("the squatter's module runs only when asked for by the squatter's full name, and is labelled the squatter's", async () => {
    const { stdout, stderr } = await lilypad("user", ["module", "run", `${squatter}/sheep:v1`, "-i", "Message=baa"]);
    assert.match(stdout, /< squatted baa >/);
    assert.match(stderr, new RegExp(`module +sheep:v1, published by ${squatter}`));
  });

  it("a name bound to a module that calls itself something else is refused", async () => {
    // The squatter binds `lamb:v1` in its namespace to its module named sheep:v1, straight through the contract.
    const wallet = createWalletClient({ account: devAccount(SQUATTER), chain: net.dev.chain, transport: http(net.network.rpcUrl) });
    const hash = await wallet.writeContract({ address: net.network.contracts.market, abi: lilypadMarketAbi, functionName: "publishModule", args: ["lamb", "v1", squattedSheepId] });
    await net.dev.publicClient.waitForTransactionReceipt({ hash });
    const refused = await fails("user", ["run", `${squatter}/lamb:v1`, "-i", "Message=baa"]);
    assert.match(refused.stderr, new RegExp(`error: "${squatter}/lamb:v1" is bound to a module whose manifest calls it sheep:v1`));
    assert.doesNotMatch(refused.stderr, /submitted/);
  });

  it("bad names are refused with what is wrong and what to do, before anything is offered", async () => {
    // The owner's address with the case of one letter flipped: a mistyped checksum.
    const at = [...owner].findIndex((c, i) => i > 1 && /[a-fA-F]/.test(c));
    const flipped = owner[at]! === owner[at]!.toLowerCase() ? owner[at]!.toUpperCase() : owner[at]!.toLowerCase();
    const typo = owner.slice(0, at) + flipped + owner.slice(at + 1);
    const cases: [string, RegExp][] = [
      ["alice/sheep:v1", /"alice" is not a publisher address[\s\S]*hint: a published module's name starts with its publisher's address/],
      ["0x1234/sheep:v1", /"0x1234" is not a publisher address/],
      [`${owner}/sheep`, /it has no version[\s\S]*hint: add one, e\.g\. .*\/sheep:v1/],
      ["Sheep:v1", /its name "Sheep" is not[\s\S]*hint: module names are lower case: sheep:v1/],
      ["0x0000000000000000000000000000000000000000/cowsay:v1", /the zero address publishes nothing[\s\S]*written bare: cowsay:v1/],
      [`${owner}/nosuch:v1`, new RegExp(`no module "${owner}/nosuch:v1"[\\s\\S]*hint: ${owner} has not published nosuch:v1 on this network`)],
      ["goat", /no module "goat"[\s\S]*hint: a name needs a version, e\.g\. goat:v1/],
      [`${typo}/sheep:v1`, /fails its checksum[\s\S]*hint: copy the address exactly/],
    ];
    for (const [ref, expected] of cases) {
      const refused = await fails("user", ["run", ref]);
      assert.equal(refused.code, 2, ref);
      assert.match(refused.stderr, expected, ref);
      assert.doesNotMatch(refused.stderr, /submitted/, ref);
    }
  });
});
