// The sandbox's output tail: what a job appends to its stdout and stderr files is heard while it runs, in order,
// and what is left when it ends is read by stop(); files that never appear cost nothing.
import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tailJobOutput, type OutputStream } from "../../src/sandbox/tailJobOutput.ts";

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
});
