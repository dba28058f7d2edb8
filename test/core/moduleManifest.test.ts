import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { z } from "zod";
import { canonicalJson } from "../../src/core/canonicalJson.ts";
import { InvalidInputError, InvalidManifestError } from "../../src/core/errors.ts";
import { moduleCidOfDigest, moduleIdOf, parseManifest, parseSourceManifest } from "../../src/core/moduleId.ts";
import { fillTemplate, inputsHashOf, resolveInputs } from "../../src/core/moduleInputs.ts";
import { PLACEHOLDER_ARTIFACT_CID, sourceManifestSchema, type ModuleManifestInput } from "../../src/core/moduleManifest.ts";

const base: ModuleManifestInput = {
  manifestVersion: 1,
  name: "cowsay",
  version: "v1",
  description: "A cow says your message",
  author: "Lilypad",
  engine: "wasm",
  artifact: { cid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am" },
  inputs: [
    { name: "Message", type: "string", maxLength: 10, default: "moo" },
    { name: "Count", type: "integer", min: 1, max: 5 },
    { name: "Loud", type: "boolean" },
    { name: "Data", type: "file", fileName: "data.csv" },
  ],
  invocation: { args: ["cowsay", "{{Message}}"], env: { COUNT: "{{Count}}" } },
  deterministic: true,
  pricing: "metered",
};

describe("module manifest", () => {
  it("parses, applies defaults, and names the module by the CID of its canonical JSON", async () => {
    const m = parseManifest(base, "test");
    assert.equal(m.limits.timeoutMs, 60_000);
    assert.equal(m.resources.gpu, 0);
    const id = await moduleIdOf(m);
    assert.match(id.cid, /^bafkrei/);
    assert.equal(moduleCidOfDigest(id.digest), id.cid, "the on-chain digest maps back to the CID");
    const reordered = parseManifest(JSON.parse(canonicalJson(JSON.parse(JSON.stringify(base)))), "test");
    assert.equal((await moduleIdOf(reordered)).cid, id.cid, "key order does not change the id");
    const changed = parseManifest({ ...base, description: "A cow says your message!" }, "test");
    assert.notEqual((await moduleIdOf(changed)).cid, id.cid, "any change is a new module");
  });

  it("names every problem of a bad manifest", () => {
    const check = (bad: unknown, ...patterns: RegExp[]) =>
      assert.throws(
        () => parseManifest(bad, "bad.json"),
        (e: unknown) => {
          assert.ok(e instanceof InvalidManifestError);
          assert.equal(e.code, "INVALID_MANIFEST");
          for (const p of patterns) assert.match(e.issues.join("\n"), p);
          return true;
        },
      );
    check({ ...base, name: "Cow Say", engine: "lambda" }, /^name:/m, /^engine:/m);
    check(
      { ...base, inputs: [...base.inputs!, { name: "Message", type: "string" }], invocation: { args: ["{{Nope}}"] } },
      /duplicate input "Message"/,
      /\{\{Nope\}\} names no input/,
    );
    assert.throws(() => parseManifest({ ...base, engine: "js" }, "js.json"), /js modules name their entry file/);
    // Only wasm is metered exactly: a js module priced by instructions would post counts of 0 as if metered.
    check({ ...base, engine: "js", artifact: { ...base.artifact, entry: "main.mjs" } }, /js modules are not metered exactly, so they are priced per run/);
    check({ ...base, pricing: "per-run" }, /wasm modules are metered/);
    assert.throws(() => parseManifest("not an object", "x"), InvalidManifestError);
  });

  it("a source manifest may leave out artifact or its cid, or carry a placeholder; a packaged one may not", () => {
    const { artifact: _artifact, ...withoutArtifact } = base;
    assert.equal(parseSourceManifest(withoutArtifact, "src.json").artifact, undefined);
    for (const cid of [undefined, "bafkrei...", PLACEHOLDER_ARTIFACT_CID]) {
      assert.equal(parseSourceManifest({ ...base, artifact: cid === undefined ? {} : { cid } }, "src.json").artifact?.cid, cid);
    }
    assert.throws(() => parseManifest(withoutArtifact, "packaged.json"), /artifact/);
    assert.throws(() => parseManifest({ ...base, artifact: { cid: "bafkrei..." } }, "packaged.json"), /artifact\.cid/);
    // A js module still names its entry, the one part of artifact the build cannot guess.
    assert.throws(() => parseSourceManifest({ ...withoutArtifact, engine: "js", pricing: "per-run" }, "js.json"), /js modules name their entry file/);
    assert.equal(parseSourceManifest({ ...withoutArtifact, engine: "js", pricing: "per-run", artifact: { entry: "main.mjs" } }, "js.json").artifact?.entry, "main.mjs");
  });

  it("the committed JSON Schema is the one generated from the zod schema of what authors write", () => {
    const generated = z.toJSONSchema(sourceManifestSchema, { io: "input", unrepresentable: "any" });
    const committed = JSON.parse(readFileSync(new URL("../../docs/module-manifest.schema.json", import.meta.url), "utf8"));
    assert.deepEqual({ ...committed, title: undefined }, { ...JSON.parse(JSON.stringify(generated)), title: undefined });
  });
});

describe("module inputs", () => {
  const m = parseManifest(base, "test");
  const cid = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

  it("converts command-line strings, applies defaults and checks limits", () => {
    assert.deepEqual(resolveInputs({ manifest: m, given: { Count: "3", Loud: "true", Data: cid } }), {
      Message: "moo",
      Count: 3,
      Loud: true,
      Data: cid,
    });
  });

  const rejects = (given: Record<string, string | number | boolean>, key: string, pattern: RegExp) =>
    assert.throws(
      () => resolveInputs({ manifest: m, given }),
      (e: unknown) => e instanceof InvalidInputError && e.key === key && e.code === "INVALID_INPUT" && pattern.test(e.message),
    );

  it("names the key of every bad input", () => {
    rejects({ Mesage: "hi" }, "Mesage", /has no such input/);
    rejects({ Message: "x".repeat(11) }, "Message", /11 characters long, the most is 10/);
    rejects({ Count: "three" }, "Count", /must be an integer/);
    rejects({ Count: "2.5" }, "Count", /must be an integer/);
    rejects({ Count: 9 }, "Count", /between 1 and 5/);
    rejects({ Loud: "yes" }, "Loud", /true or false/);
    rejects({ Data: "/etc/passwd" }, "Data", /CID of a file/);
    rejects({ Message: "a\0b" }, "Message", /NUL/);
    const required = parseManifest({ ...base, inputs: [{ name: "Prompt", type: "string", required: true }], invocation: {} }, "t");
    assert.throws(() => resolveInputs({ manifest: required, given: {} }), /input "Prompt": is required/);
  });

  it("hashes inputs canonically and fills templates", () => {
    const a = resolveInputs({ manifest: m, given: { Count: "3" } });
    const b = resolveInputs({ manifest: m, given: { Count: 3, Message: "moo" } });
    assert.equal(inputsHashOf(a), inputsHashOf(b));
    assert.notEqual(inputsHashOf(a), inputsHashOf({ ...a, Count: 4 }));
    assert.equal(fillTemplate("say {{Message}} x{{Count}}{{Loud}}", a), "say moo x3");
  });
});
