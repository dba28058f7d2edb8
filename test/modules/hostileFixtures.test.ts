// The hostile fixtures the sandbox tests use, checked here only where they finish on their own (under plain
// node:wasi, without the sandbox); the endless ones are checked for what they import and export.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moduleWasm, runWasi } from "./runWasi.ts";

const fixture = (name: string) => moduleWasm(`test/fixtures/hostile/${name}.ts`);

describe("hostile fixtures", () => {
  it("escape reports every try and never opens a file outside the preopens", async () => {
    const result = await runWasi({ wasm: await fixture("escape"), args: ["escape"] });
    assert.equal(result.exitCode, 0);
    const lines = result.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, -1), [
      'open "/etc/passwd" from /inputs as "/etc/passwd": denied (NOTCAPABLE)',
      'open "/etc/passwd" from /outputs as "/etc/passwd": denied (NOTCAPABLE)',
      'open "../../etc/passwd" from /inputs as "../../etc/passwd": denied (NOTCAPABLE)',
      'open "../../etc/passwd" from /outputs as "../../etc/passwd": denied (NOTCAPABLE)',
      'open "/inputs/../../etc/passwd" from /inputs as "../../etc/passwd": denied (NOTCAPABLE)',
      'open "/inputs/../../etc/passwd" from /outputs as "/inputs/../../etc/passwd": denied (NOTCAPABLE)',
    ]);
    assert.equal(lines.at(-1), "escaped: no");
  });

  it("clock prints the wall clock, the monotonic clock and 16 random bytes", async () => {
    const result = await runWasi({ wasm: await fixture("clock"), args: ["clock"] });
    assert.equal(result.exitCode, 0);
    assert.match(result.stdout, /^realtime \d+\nmonotonic \d+\nrandom [0-9a-f]{32}\n$/);
    const realtimeMs = Number(/^realtime (\d+)/.exec(result.stdout)![1]) / 1e6;
    assert.ok(Math.abs(realtimeMs - Date.now()) < 60_000, "plain node:wasi shows the host's clock");
  });

  it("exitcode exits with its argument", async () => {
    const wasm = await fixture("exitcode");
    for (const code of [0, 1, 7, 255]) assert.equal((await runWasi({ wasm, args: ["exitcode", String(code)] })).exitCode, code);
  });

  it("trap traps with unreachable", async () => {
    await assert.rejects(runWasi({ wasm: await fixture("trap"), args: ["trap"] }), (e: unknown) => e instanceof WebAssembly.RuntimeError && /unreachable/.test(e.message));
  });

  it("the endless ones import what they abuse", async () => {
    const imports = async (name: string) =>
      WebAssembly.Module.imports(await WebAssembly.compile(new Uint8Array(await fixture(name))))
        .map((i) => i.name)
        .sort();
    assert.deepEqual(await imports("loop"), []);
    assert.deepEqual(await imports("membomb"), []);
    assert.ok((await imports("stdoutflood")).includes("fd_write"));
    assert.ok((await imports("fileflood")).includes("path_open"));
    assert.ok((await imports("sleeper")).includes("poll_oneoff"));
    for (const name of ["loop", "membomb", "stdoutflood", "fileflood", "sleeper"]) {
      const exports = WebAssembly.Module.exports(await WebAssembly.compile(new Uint8Array(await fixture(name)))).map((e) => e.name);
      assert.deepEqual(exports.sort(), ["_start", "memory"], name);
    }
  });
});
