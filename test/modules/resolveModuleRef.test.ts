// What a name resolves to, and where it is looked up (issue 11, attack 14: module names could be squatted). A bare
// name means a shipped module, the user's own, or one governance approved, and never a stranger's registry entry;
// `0x<publisher>/NAME:VERSION` is looked up only in that publisher's namespace; and a module found by name must
// bear that name. The registry here is a table; test/cli/moduleNames.test.ts does the same against a real chain.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { getAddress, keccak256, toHex, zeroAddress, type Hex } from "viem";
import { moduleCidOfDigest, moduleIdOf } from "../../src/core/moduleId.ts";
import { LilypadError } from "../../src/core/errors.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { GOVERNANCE_NAMESPACE } from "../../src/core/moduleName.ts";
import { checkModuleName, describeModuleOrigin } from "../../src/modules/moduleOrigin.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { resolveModuleRef, type ModuleRegistryLookup } from "../../src/modules/resolveModuleRef.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { loadModule } from "../../src/modules/loadModule.ts";

const owner = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
const squatter = getAddress("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
const digestOf = (label: string): Hex => keccak256(toHex(label));
const shipped = readShippedCatalog();

/** A registry as a table of `<publisher>/name:version` -> digest, recording every question it is asked. */
function tableRegistry(entries: Record<string, Hex>): { lookup: ModuleRegistryLookup; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: async ({ publisher, name, version }) => {
      const key = `${publisher}/${name}:${version}`;
      asked.push(key);
      return entries[key];
    },
  };
}

async function rejects(promise: Promise<unknown>, code: string): Promise<LilypadError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LilypadError, String(error));
    assert.equal(error.code, code, `${error.message} | ${error.hint}`);
    return error;
  }
  assert.fail(`resolved; expected ${code}`);
}

describe("resolveModuleRef: names say whose module it is", () => {
  let root: string;
  let blockstore: Blockstore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-names-"));
    blockstore = await createBlockstore({ path: join(root, "blocks") });
  });
  after(() => rm(root, { recursive: true, force: true }));

  // The squatter has published every familiar name in its own namespace, and some the owner has not.
  const squatted = {
    [`${squatter}/cowsay:v1`]: digestOf("squatter's cowsay"),
    [`${squatter}/sheep:v1`]: digestOf("squatter's sheep"),
    [`${owner}/sheep:v1`]: digestOf("owner's sheep"),
  };

  it("a shipped name is the shipped module, whatever the user's catalog and the registry hold; the registry is not even asked", async () => {
    const registry = tableRegistry({ ...squatted, [`${zeroAddress}/cowsay:v1`]: digestOf("approved cowsay") });
    const found = await resolveModuleRef({ ref: "cowsay:v1", blockstore, catalogs: [{ "cowsay:v1": moduleCidOfDigest(digestOf("mine")) }], registry: registry.lookup });
    assert.deepEqual(found, { cid: shipped["cowsay:v1"], source: "shipped", name: { publisher: undefined, name: "cowsay", version: "v1" } });
    assert.deepEqual(registry.asked, []);
  });

  it("a bare name the user built is theirs; an unknown bare name asks only governance's namespace, never picks a publisher's", async () => {
    const mine = moduleCidOfDigest(digestOf("my lamb"));
    const registry = tableRegistry(squatted);
    const found = await resolveModuleRef({ ref: "lamb:v1", blockstore, catalogs: [{ "lamb:v1": mine }], registry: registry.lookup });
    assert.equal(found.cid, mine);
    assert.equal(found.source, "catalog");

    const error = await rejects(resolveModuleRef({ ref: "sheep:v1", blockstore, catalogs: [{ "lamb:v1": mine }], registry: registry.lookup }), "UNKNOWN_MODULE");
    assert.deepEqual(registry.asked, [`${GOVERNANCE_NAMESPACE}/sheep:v1`], "only the bare namespace was asked");
    assert.equal(error.message, 'no module "sheep:v1"');
    assert.match(error.hint ?? "", /a bare name is a module shipped with lilypad, one you built, or one the network's governance approved/);
    assert.match(error.hint ?? "", /known here: .*cowsay:v1.*lamb:v1/);
    assert.match(error.hint ?? "", /0x<publisher address>\/sheep:v1; ask its author for the full name/);
    assert.ok(!(error.hint ?? "").includes(squatter) && !(error.hint ?? "").includes(owner), "no publisher is suggested");
  });

  it("a bare name governance approved resolves from the registry's bare namespace", async () => {
    const registry = tableRegistry({ ...squatted, [`${zeroAddress}/sheep:v2`]: digestOf("approved sheep") });
    const found = await resolveModuleRef({ ref: "sheep:v2", blockstore, catalogs: [], registry: registry.lookup });
    assert.deepEqual(found, { cid: moduleCidOfDigest(digestOf("approved sheep")), source: "approved", name: { publisher: undefined, name: "sheep", version: "v2" } });
  });

  it("0x<publisher>/NAME:VERSION is looked up in that publisher's namespace only", async () => {
    const registry = tableRegistry(squatted);
    const ours = await resolveModuleRef({ ref: `${owner.toLowerCase()}/sheep:v1`, blockstore, catalogs: [], registry: registry.lookup });
    assert.deepEqual(ours, { cid: moduleCidOfDigest(digestOf("owner's sheep")), source: "registry", name: { publisher: owner, name: "sheep", version: "v1" } });
    const theirs = await resolveModuleRef({ ref: `${squatter}/cowsay:v1`, blockstore, catalogs: [], registry: registry.lookup });
    assert.equal(theirs.cid, moduleCidOfDigest(digestOf("squatter's cowsay")), "asked for by its full name, the squatter's module is the squatter's");
    assert.deepEqual(registry.asked, [`${owner}/sheep:v1`, `${squatter}/cowsay:v1`]);

    const missing = await rejects(resolveModuleRef({ ref: `${owner}/cowsay:v1`, blockstore, catalogs: [], registry: registry.lookup }), "UNKNOWN_MODULE");
    assert.equal(missing.hint, `${owner} has not published cowsay:v1 on this network: check the address and the version`);
  });

  it("a published name with no registry to ask, or one that does not answer, says so", async () => {
    const none = await rejects(resolveModuleRef({ ref: `${owner}/sheep:v1`, blockstore, catalogs: [] }), "MODULE_REGISTRY_UNAVAILABLE");
    assert.match(none.message, /no network is configured/);
    const down: ModuleRegistryLookup = async () => {
      throw new Error("ECONNREFUSED");
    };
    const silent = await rejects(resolveModuleRef({ ref: `${owner}/sheep:v1`, blockstore, catalogs: [], registry: down }), "MODULE_REGISTRY_UNAVAILABLE");
    assert.match(silent.message, /the module registry did not answer/);
    assert.equal((silent.cause as Error).message, "ECONNREFUSED");
    // A bare name still resolves locally, and an unknown one says the registry was not heard.
    assert.equal((await resolveModuleRef({ ref: "cowsay:v1", blockstore, catalogs: [], registry: down })).source, "shipped");
    const bare = await rejects(resolveModuleRef({ ref: "sheep:v1", blockstore, catalogs: [], registry: down }), "UNKNOWN_MODULE");
    assert.match(bare.hint ?? "", /the module registry did not answer/);
  });

  it("bad names are refused before anything is asked; a word or a CID is not a name", async () => {
    const registry = tableRegistry(squatted);
    for (const ref of ["alice/sheep:v1", "0x1234/sheep:v1", `${owner}/sheep`, "Sheep:v1", `${zeroAddress}/cowsay:v1`]) {
      await rejects(resolveModuleRef({ ref, blockstore, catalogs: [], registry: registry.lookup }), "INVALID_MODULE_NAME");
    }
    assert.deepEqual(registry.asked, []);
    const word = await rejects(resolveModuleRef({ ref: "cowsay", blockstore, catalogs: [] }), "UNKNOWN_MODULE");
    assert.equal(word.hint, "a name needs a version, e.g. cowsay:v1");
    const cid = shipped["cowsay:v1"]!;
    assert.deepEqual(await resolveModuleRef({ ref: cid, blockstore, catalogs: [] }), { cid, source: "cid" });
  });

  it("a name runs only the module that bears it, and the user is told whose module it is", async () => {
    const cowsay = (await loadModule({ cid: shipped["cowsay:v1"]!, blockstore, artifactsDir: join(root, "artifacts") })).manifest;
    const { digest } = await moduleIdOf(cowsay);
    // The squatter bound `sheep:v1` in its namespace to the shipped cowsay, and `cowsay:v1` too.
    const registry = tableRegistry({ [`${squatter}/sheep:v1`]: digest, [`${squatter}/cowsay:v1`]: digest });
    const resolve = createModuleResolver({ blockstore, workDir: root, registry: registry.lookup });
    const error = await rejects(resolve(`${squatter}/sheep:v1`), "MODULE_NAME_MISMATCH");
    assert.equal(error.message, `"${squatter}/sheep:v1" is bound to a module whose manifest calls it cowsay:v1`);

    const published = await resolve(`${squatter}/cowsay:v1`);
    assert.equal(published.id.digest, digest);
    assert.equal(describeModuleOrigin(published.origin, published.manifest), `cowsay:v1, published by ${squatter}`);
    const ours = await resolve("cowsay:v1");
    assert.equal(describeModuleOrigin(ours.origin, ours.manifest), "cowsay:v1, shipped with lilypad");
    const byCid = await resolve(ours.id.cid);
    assert.equal(describeModuleOrigin(byCid.origin, byCid.manifest), `${ours.id.cid}, by CID (its manifest calls it cowsay:v1; no one vouches for that name)`);
    // A CID or a folder claims no name, so nothing is checked against the manifest's.
    assert.doesNotThrow(() => checkModuleName(byCid.origin, byCid.manifest));
    assert.throws(() => checkModuleName({ cid: ours.id.cid, source: "catalog", name: { name: "lamb", version: "v1" } }, ours.manifest), /calls it cowsay:v1/);
  });
});
