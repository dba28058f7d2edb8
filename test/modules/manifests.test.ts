import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../src/modules/compileAssemblyScript.ts";
import { moduleIdOf, parseManifest } from "../../src/core/moduleId.ts";
import { cidStringSchema } from "../../src/core/moduleManifest.ts";

const placeholder = "bafkreiplaceholderplaceholderplaceholderplaceholderplaceholde";
// The WASI modules written in AssemblyScript: modules/<name>/assembly/index.ts next to a manifest.
const names = readdirSync(join(repoRoot, "modules"))
  .filter((n) => existsSync(join(repoRoot, "modules", n, "manifest.json")) && existsSync(join(repoRoot, "modules", n, "assembly", "index.ts")))
  .sort();

describe("AssemblyScript module manifests", () => {
  it("cover the four modules", () => {
    assert.deepEqual(names, ["compute", "cowsay", "etl", "image"]);
  });

  for (const name of names) {
    it(`modules/${name}/manifest.json passes parseManifest`, async () => {
      const raw: unknown = JSON.parse(readFileSync(join(repoRoot, "modules", name, "manifest.json"), "utf8"));
      const manifest = parseManifest(raw, `modules/${name}/manifest.json`);
      assert.equal(manifest.name, name);
      assert.equal(manifest.version, "v1");
      assert.equal(manifest.author, "Lilypad");
      assert.equal(manifest.engine, "wasm");
      assert.equal(manifest.pricing, "metered");
      assert.equal(manifest.deterministic, true);
      assert.equal(manifest.artifact.cid, placeholder, "the build step fills in the real CID");
      assert.ok(cidStringSchema.safeParse(placeholder).success);
      assert.equal(manifest.invocation.args[0], name, "argv[0] is the program name");
      assert.ok(manifest.resources.ramMiB >= manifest.limits.memoryMiB);
      assert.match((await moduleIdOf(manifest)).cid, /^bafkrei/);
    });
  }
});
