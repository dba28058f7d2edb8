// Every shipped module, run through the same path a resource provider uses (resolve, load, check inputs,
// sandbox, store the result), twice: identical result CIDs and instruction counts. And the committed catalog is
// what packaging the sources gives today, i.e. the builds are reproducible.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { packageShippedModules } from "../../scripts/package-modules.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { resolveModuleRef } from "../../src/modules/resolveModuleRef.ts";
import { runModule, type RunModuleResult } from "../../src/modules/runModule.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { extractDirectory } from "../../src/storage/extractDirectory.ts";

const images = new URL("../fixtures/images/", import.meta.url);

type Ran = RunModuleResult & { resultDir: string };

describe("shipped modules", () => {
  let root: string;
  let blockstore: Blockstore;
  let pool: SandboxPool;
  let csv: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-shipped-"));
    blockstore = await createBlockstore({ path: join(root, "blocks") });
    pool = new SandboxPool({ workRoot: join(root, "work"), size: 2 });
    csv = join(root, "sales.csv");
    await writeFile(csv, 'region,product,amount\nnorth,apple,10.5\nsouth,"pear, green",4\nnorth,plum,2\neast,apple,7.25\n');
  });
  after(async () => {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Runs a job and writes its result directory out of the block store (the job's own folder is removed). */
  const run = async (ref: string, given: Record<string, string>, seed = "deal-1"): Promise<Ran> => {
    const { cid } = await resolveModuleRef({ ref, blockstore, catalogs: [readShippedCatalog()] });
    const result = await runModule({ moduleCid: cid, given, blockstore, pool, workRoot: join(root, "work"), seed: Buffer.from(seed) });
    const resultDir = join(root, "results", `${ref.replace(":", "-")}-${seed}`);
    await rm(resultDir, { recursive: true, force: true });
    await mkdir(dirname(resultDir), { recursive: true });
    await extractDirectory({ blockstore, root: result.resultCid, path: resultDir });
    return { ...result, resultDir };
  };

  const cases: [string, Record<string, string>, (r: Ran) => Promise<void>][] = [
    ["cowsay:v1", { Message: "hello" }, async (r) => assert.match(await readFile(join(r.resultDir, "stdout"), "utf8"), /< hello >/)],
    ["compute:v1", { N: "100000" }, async (r) => assert.ok(r.instructions > 100_000n)],
    ["etl:v1", { Data: "", GroupBy: "region", Value: "amount" }, async (r) => {
      const json = await readFile(join(r.resultDir, "outputs", "summary.json"), "utf8");
      assert.match(json, /north/);
      assert.match(await readFile(join(r.resultDir, "outputs", "summary.csv"), "utf8"), /^.*\n/);
    }],
    ["image:v1", { Prompt: "lilypads at dawn", Seed: "7" }, async (r) => {
      const png = await readFile(join(r.resultDir, "outputs", "image.png"));
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    }],
    ["ocr:v1", { Image: fileURLToPathString(new URL("hello.png", images)) }, async (r) =>
      assert.equal(await readFile(join(r.resultDir, "outputs", "text.txt"), "utf8"), "HELLO LILYPAD 42\n")],
    ["classify:v1", { Image: fileURLToPathString(new URL("pattern.png", images)) }, async (r) =>
      assert.ok(JSON.parse(await readFile(join(r.resultDir, "outputs", "labels.json"), "utf8")).length > 0)],
  ];

  for (const [ref, given, check] of cases) {
    it(`${ref}: twice, the same result CID and instruction count`, async () => {
      const inputs = ref === "etl:v1" ? { ...given, Data: csv } : given;
      const first = await run(ref, inputs);
      assert.equal(first.exitCode, 0, await readFile(join(first.resultDir, "stderr"), "utf8"));
      await check(first);
      const second = await run(ref, inputs);
      assert.equal(second.resultCid.toString(), first.resultCid.toString());
      assert.equal(second.instructions, first.instructions);
      if (first.manifest.pricing === "metered") assert.ok(first.instructions > 0n, "a metered module reports its instructions");
    });
  }

  it("another seed changes nothing for modules that do not read randomness", async () => {
    const a = await run("cowsay:v1", { Message: "seeded" }, "deal-1");
    const b = await run("cowsay:v1", { Message: "seeded" }, "deal-2");
    assert.equal(a.resultCid.toString(), b.resultCid.toString());
  });

  it("the committed catalog is what building the modules gives today (reproducible builds)", async () => {
    const committed = JSON.parse(readFileSync(new URL("../../modules/catalog.json", import.meta.url), "utf8"));
    assert.deepEqual(await packageShippedModules(), committed);
  });
});

function fileURLToPathString(url: URL): string {
  return decodeURIComponent(url.pathname);
}
