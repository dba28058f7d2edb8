// The provider's live output forwarding: chunks of at most MAX_OUTPUT_CHUNK characters, at most one per stream per
// interval while the job runs, at most `maxChars` per job with one status line saying the rest is in the result,
// and characters split across reads kept whole.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_OUTPUT_CHUNK, type JobLogMessage, type JobOutputMessage } from "../../src/core/api/solverProtocol.ts";
import { forwardJobOutput } from "../../src/resource-provider/forwardJobOutput.ts";

const DEAL = `0x${"12".repeat(32)}` as const;

describe("forwardJobOutput", () => {
  it("sends one bounded chunk per stream per interval, and everything buffered on close", async () => {
    const sent: (JobOutputMessage | JobLogMessage)[] = [];
    const forward = forwardJobOutput({ dealId: DEAL, send: (m) => sent.push(m), flushMs: 20 });
    forward.onOutput("stdout", new TextEncoder().encode("a".repeat(MAX_OUTPUT_CHUNK * 2 + 10)));
    forward.onOutput("stderr", new TextEncoder().encode("oops\n"));
    assert.equal(sent.length, 0, "nothing is sent between intervals");
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(sent.map((m) => (m.type === "job.output" ? [m.stream, m.data.length] : [m.type])), [["stdout", MAX_OUTPUT_CHUNK], ["stderr", 5]]);
    forward.close();
    const stdout = sent.filter((m): m is JobOutputMessage => m.type === "job.output" && m.stream === "stdout");
    assert.equal(stdout.map((m) => m.data).join(""), "a".repeat(MAX_OUTPUT_CHUNK * 2 + 10));
    assert.ok(stdout.every((m) => m.data.length <= MAX_OUTPUT_CHUNK));
  });

  it("stops at maxChars with one status line, and keeps a character split across reads whole", () => {
    const sent: (JobOutputMessage | JobLogMessage)[] = [];
    const forward = forwardJobOutput({ dealId: DEAL, send: (m) => sent.push(m), maxChars: 10, flushMs: 60_000 });
    const bytes = new TextEncoder().encode("é");
    forward.onOutput("stdout", bytes.subarray(0, 1));
    forward.onOutput("stdout", bytes.subarray(1));
    forward.onOutput("stdout", new TextEncoder().encode("123456789abc"));
    forward.onOutput("stderr", new TextEncoder().encode("more"));
    forward.close();
    const output = sent.filter((m): m is JobOutputMessage => m.type === "job.output");
    assert.equal(output.map((m) => m.data).join(""), "é123456789");
    const notes = sent.filter((m): m is JobLogMessage => m.type === "job.log");
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.line, /not shown live; it is all in the result/);
  });
});
