// The shipped container modules, run by the container engine as a provider or mediator runs them: real programs on
// Debian's Python, scikit-learn and cowsay, in images built by scripts/build-images.ts (CI runs it before the tests;
// without the images, or without podman, these tests are skipped and say how to get them).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exporter } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import { BUILT_IMAGE_FILE } from "../../src/modules/container/buildContainerImage.ts";
import { SHIPPED_MODULES_DIR } from "../../src/modules/moduleCatalog.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { runModule, type RunModuleResult } from "../../src/modules/runModule.ts";
import { podmanAvailability } from "../../src/sandbox/container/podman.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { readFileBytes } from "../../src/storage/readFileBytes.ts";

const NAMES = ["train-digits", "csv-stats", "cowsay-lilypad"];
const podman = await podmanAvailability();
const unbuilt = NAMES.filter((name) => !existsSync(join(SHIPPED_MODULES_DIR, name, BUILT_IMAGE_FILE)));
const skip = !podman.ok ? podman.reason : unbuilt.length > 0 ? `no image for ${unbuilt.join(", ")}: run node scripts/build-images.ts` : false;

describe("the shipped container modules", { skip, timeout: 10 * 60_000 }, () => {
  let root: string;
  let blockstore: Blockstore;
  let pool: SandboxPool;
  const cids: Record<string, string> = {};

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-container-modules-"));
    blockstore = await createBlockstore({ path: join(root, "blocks") });
    pool = new SandboxPool({ workRoot: join(root, "work"), size: 1 });
    for (const name of NAMES) cids[name] = (await packageModule({ dir: join(SHIPPED_MODULES_DIR, name), blockstore })).cid;
  });

  after(async () => {
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const run = (name: string, given: Record<string, string>, seed = "seed") =>
    runModule({ moduleCid: cids[name]!, given, blockstore, pool, workRoot: join(root, "work"), seed: new TextEncoder().encode(seed) });

  async function file(result: CID, path: string): Promise<string> {
    const entry = await exporter(`${result}/${path}`, blockstore);
    return new TextDecoder().decode(await readFileBytes({ blockstore, cid: entry.cid, maxBytes: 1 << 24 }));
  }

  it("train-digits trains a classifier on scikit-learn's digits: the model and its accuracy, the same bytes for the same seed", async () => {
    const first = await run("train-digits", { Trees: "20" });
    assert.equal(first.exitCode, 0, await file(first.resultCid, "stderr"));
    const metrics = JSON.parse(await file(first.resultCid, "outputs/metrics.json")) as { accuracy: number };
    assert.ok(metrics.accuracy > 0.9, `accuracy ${metrics.accuracy}`);
    assert.match(await file(first.resultCid, "stdout"), /^accuracy 0\.\d+ on \d+ test digits/);
    const again: RunModuleResult = await run("train-digits", { Trees: "20" });
    assert.equal(again.resultCid.toString(), first.resultCid.toString(), "deterministic: a mediator's re-run finds the same CID");
    const otherSeed = await run("train-digits", { Trees: "20" }, "another deal");
    assert.notEqual(otherSeed.resultCid.toString(), first.resultCid.toString(), "seeded by the job");
  });

  it("csv-stats summarises a CSV file input", async () => {
    const csv = join(root, "sales.csv");
    await writeFile(csv, "region,amount\nnorth,10\nsouth,5\nnorth,2.5\nwest,\n");
    const result = await run("csv-stats", { Data: csv });
    assert.equal(result.exitCode, 0, await file(result.resultCid, "stderr"));
    const stats = JSON.stringify(JSON.parse(await file(result.resultCid, "outputs/stats.json")));
    assert.match(stats, /"amount"/);
    assert.match(stats, /"missing":1/);
    assert.match(await file(result.resultCid, "outputs/stats.csv"), /amount/);
    assert.equal((await run("csv-stats", { Data: csv })).resultCid.toString(), result.resultCid.toString());
  });

  it("cowsay-lilypad, a module in Lilypad's own format, runs from its lilypad_module.json.tmpl", async () => {
    const template = await readFile(join(SHIPPED_MODULES_DIR, "cowsay-lilypad", "lilypad_module.json.tmpl"), "utf8");
    assert.match(template, /\{\{ \.Message \}\}/);
    const result = await run("cowsay-lilypad", { Message: "hi from a template" });
    assert.equal(result.manifest.engine, "container");
    assert.match(await file(result.resultCid, "stdout"), /< hi from a template >/);
  });
});
