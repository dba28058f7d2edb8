// A js module's run is not metered: its summary says so, and its JSON says `metered: false`, never a measured 0.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { instructionsJson, instructionsPhrase, instructionsText } from "../../src/cli/describeInstructions.ts";
import { runCliInProcess } from "./inProcessCli.ts";

const hello = fileURLToPath(new URL("../fixtures/images/hello.png", import.meta.url));

describe("describeInstructions", () => {
  it("a wasm run shows its count; a js run shows that it was not metered", () => {
    assert.equal(instructionsText({ instructions: 1234567n, engine: "wasm" }), "1,234,567");
    assert.equal(instructionsText({ instructions: 0n, engine: "js" }), "not metered (js engine, priced per run)");
    assert.equal(instructionsPhrase({ instructions: 12n, engine: "wasm" }), "12 instructions");
    assert.equal(instructionsPhrase({ instructions: 0n, engine: "js" }), "not metered");
    assert.deepEqual(instructionsJson({ instructions: 0n, engine: "js" }), { instructions: "0", metered: false });
    assert.deepEqual(instructionsJson({ instructions: 5n, engine: "wasm" }), { instructions: "5", metered: true });
  });

  describe("lilypad module run", () => {
    let home: string;
    before(async () => {
      home = await mkdtemp(join(tmpdir(), "lilypad-instr-"));
    });
    after(async () => {
      await rm(home, { recursive: true, force: true });
    });
    const run = async (argv: string[]) => {
      const { code, stdout, stderr } = await runCliInProcess(argv, { cwd: home, env: { LILYPAD_HOME: home }, homedir: home });
      assert.equal(code, 0, stderr);
      return { out: stdout, err: stderr };
    };

    it("ocr (js): 'instructions not metered' in the summary, metered false in JSON", { timeout: 120_000 }, async () => {
      const text = await run(["module", "run", "ocr:v1", "-i", `Image=${hello}`, "--out", join(home, "a")]);
      assert.match(text.err, /^instructions not metered \(js engine, priced per run\)$/m);
      const json = JSON.parse((await run(["module", "run", "ocr:v1", "-i", `Image=${hello}`, "--out", join(home, "b"), "--json"])).out);
      assert.equal(json.instructions, "0");
      assert.equal(json.metered, false);
    });

    it("compute (wasm): a count, metered true", { timeout: 120_000 }, async () => {
      const json = JSON.parse((await run(["module", "run", "compute:v1", "-i", "N=1000", "--out", join(home, "c"), "--json"])).out);
      assert.ok(BigInt(json.instructions) > 0n);
      assert.equal(json.metered, true);
    });
  });
});
