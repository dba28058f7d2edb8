// Building a module twice gives the same bytes, in this process and in another one started elsewhere: the artifact
// CID a manifest names can be recomputed from the sources by anyone.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { compileModule } from "../../src/modules/compileAssemblyScript.ts";

const entries = [
  "modules/compute/assembly/index.ts",
  "modules/cowsay/assembly/index.ts",
  "modules/etl/assembly/index.ts",
  "modules/image/assembly/index.ts",
];

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("reproducible module builds", () => {
  it("compiles every module to the same bytes here and in another process started in another folder", async () => {
    const first: Record<string, string> = {};
    for (const entry of entries) first[entry] = sha256(await compileModule({ entry }));
    const compiler = fileURLToPath(new URL("../../src/modules/compileAssemblyScript.ts", import.meta.url));
    const script = `
      import { createHash } from "node:crypto";
      import { compileModule } from ${JSON.stringify(compiler)};
      const out = {};
      for (const entry of ${JSON.stringify(entries)}) out[entry] = createHash("sha256").update(await compileModule({ entry })).digest("hex");
      process.stdout.write(JSON.stringify(out));`;
    const other = JSON.parse(execFileSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], { cwd: tmpdir(), encoding: "utf8" }));
    assert.deepEqual(other, first);
  });
});
