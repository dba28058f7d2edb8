// A provider's --modules list: ids, CIDs and names (shipped, the operator's own catalog, a publisher's namespace in
// the registry) all become module ids at start; anything that names no module is an error then.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex, type Hex } from "viem";
import { CID } from "multiformats/cid";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import { resolveAllowedModules } from "../../src/modules/allowedModules.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { createBlockstore, type CreateBlockstoreResult } from "../../src/storage/createBlockstore.ts";

const digestOf = (cid: string): Hex => bytesToHex(CID.parse(cid).multihash.digest);
const PUBLISHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("resolveAllowedModules", () => {
  let dir: string;
  let blockstore: CreateBlockstoreResult;
  const cowsay = readShippedCatalog()["cowsay:v1"]!;
  const etl = readShippedCatalog()["etl:v1"]!;
  // A registry holding one published name (the chain's lookup is tested with the contract; here, its answer).
  const registry = async ({ publisher, name, version }: { publisher: string; name: string; version: string }) =>
    publisher.toLowerCase() === PUBLISHER.toLowerCase() && name === "sheep" && version === "v1" ? digestOf(etl) : undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilypad-allowed-"));
    blockstore = await createBlockstore({ path: join(dir, "blocks") });
  });
  after(async () => {
    blockstore.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("turns names, CIDs and ids into module ids, in order, once each", async () => {
    const ids = await resolveAllowedModules({
      entries: ["cowsay:v1", etl, digestOf(cowsay).toUpperCase().replace("0X", "0x"), `${PUBLISHER}/sheep:v1`, "cowsay:v1"],
      blockstore,
      catalogs: [],
      registry,
    });
    assert.deepEqual(ids, [digestOf(cowsay), digestOf(etl)]);
  });

  it("refuses a name that resolves to nothing, a folder, and garbage, naming the flag", async () => {
    for (const entry of ["nosuch:v1", "./my-module", `${PUBLISHER}/goat:v1`, "not a module"]) {
      await assert.rejects(resolveAllowedModules({ entries: [entry], blockstore, catalogs: [], registry }), (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError, `${entry}: ${String(error)}`);
        assert.match(error.message, /--modules|module/);
        return true;
      });
    }
  });
});
