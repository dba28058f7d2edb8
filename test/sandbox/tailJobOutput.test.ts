// The sandbox's output tail: what a job appends to its stdout and stderr files is heard while it runs, in order,
// and what is left when it ends is read by stop(); files that never appear cost nothing.
import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runJob } from "../../src/sandbox/runJob.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { tailJobOutput, type OutputStream } from "../../src/sandbox/tailJobOutput.ts";
import { manifestOf } from "./testManifest.ts";
import { wat } from "./watModules.ts";

/** Writes "first" to stdout, counts to `n`, then writes "second" to stderr: output that comes while the job runs. */
const slowWriter = (n: number) =>
  wat(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x200) "first\\n")
  (data (i32.const 0x210) "second\\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x100) (local.get $ptr))
    (i32.store (i32.const 0x104) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0x100) (i32.const 1) (i32.const 0x108))))
  (func (export "_start") (local $i i32)
    (call $write (i32.const 1) (i32.const 0x200) (i32.const 6))
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const ${n}))))
    (call $write (i32.const 2) (i32.const 0x210) (i32.const 7))))`);

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("tailJobOutput", () => {
  it("hears output as it is written, per stream, and the rest on stop()", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tail-"));
    dirs.push(dir);
    const heard: { stream: OutputStream; text: string }[] = [];
    const tail = tailJobOutput({ dir, intervalMs: 10, onOutput: (stream, data) => heard.push({ stream, text: Buffer.from(data).toString() }) });
    await new Promise((resolve) => setTimeout(resolve, 30)); // the files do not exist yet
    await writeFile(join(dir, "stdout"), "one\n");
    await writeFile(join(dir, "stderr"), "warn\n");
    const deadline = Date.now() + 2000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(heard.map((h) => h.text).sort(), ["one\n", "warn\n"], "heard while running");
    await appendFile(join(dir, "stdout"), "two\n");
    await tail.stop();
    const text = (stream: OutputStream) => heard.filter((h) => h.stream === stream).map((h) => h.text).join("");
    assert.equal(text("stdout"), "one\ntwo\n");
    assert.equal(text("stderr"), "warn\n");
    await tail.stop(); // twice is harmless
  });

  it("through runJob: a wasm job's stdout is heard while it still runs, its stderr by the end, the result unchanged", async () => {
    const root = await mkdtemp(join(tmpdir(), "tail-run-"));
    dirs.push(root);
    const pool = new SandboxPool({ workRoot: root, size: 1, log: () => {} });
    try {
      let finished = false;
      const heard: { stream: OutputStream; text: string; whileRunning: boolean }[] = [];
      const run = await runJob({
        pool,
        moduleCid: "slow-writer",
        manifest: manifestOf({ instructions: "100000000000" }),
        artifact: { engine: "wasm", wasm: slowWriter(200_000_000) },
        inputs: {},
        jobDir: join(root, "job"),
        seed: Buffer.from("seed"),
        workRoot: root,
        onOutput: (stream, data) => heard.push({ stream, text: Buffer.from(data).toString(), whileRunning: !finished }),
      });
      finished = true;
      assert.equal(run.exitCode, 0);
      assert.ok(run.durationMs > 400, `the job ran long enough to be watched (${run.durationMs} ms)`);
      assert.deepEqual(heard.map((h) => [h.stream, h.text]), [["stdout", "first\n"], ["stderr", "second\n"]]);
      assert.equal(heard[0]!.whileRunning, true);
    } finally {
      await pool.close();
    }
  });
});
