import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteWriter } from "../../../src/sandbox/metering/byteWriter.ts";
import { ImportedMemoryError, MemoryLimitError, UnsupportedWasmError } from "../../../src/sandbox/metering/errors.ts";
import { HOST_REFUSED_EXPORT, MEMORY_DENIED_EXPORT } from "../../../src/sandbox/metering/instrumentModule.ts";
import { capMemorySection } from "../../../src/sandbox/metering/memorySection.ts";
import { readSections, sectionReader, writeSection } from "../../../src/sandbox/metering/moduleSections.ts";
import { SectionId } from "../../../src/sandbox/metering/opcodes.ts";
import { instrument, meter, wat } from "./helpers.ts";

/**
 * An instrumented binary whose memory maximum is lowered to `pages` afterwards, while its grow checks still know
 * the cap it was instrumented with: the engine then refuses growth the cap allows, as a host out of memory would.
 */
function withHostShortOfMemory(instrumented: Uint8Array, pages: number): Uint8Array<ArrayBuffer> {
  const out = new ByteWriter(instrumented.length + 16);
  out.bytes(instrumented.subarray(0, 8));
  for (const section of readSections(instrumented)) {
    if (section.id === SectionId.memory) writeSection(out, SectionId.memory, capMemorySection(sectionReader(instrumented, section), pages).payload);
    else out.bytes(instrumented.subarray(section.start, section.payloadEnd));
  }
  return out.toBytes();
}

async function flagsAfter(wasm: Uint8Array<ArrayBuffer>, grows: number[]): Promise<{ results: number[]; denied: number; hostRefused: number }> {
  const { instance } = await WebAssembly.instantiate(wasm);
  const grow = instance.exports.grow as (pages: number) => number;
  const results = grows.map((pages) => grow(pages));
  return {
    results,
    denied: (instance.exports[MEMORY_DENIED_EXPORT] as WebAssembly.Global).value as number,
    hostRefused: (instance.exports[HOST_REFUSED_EXPORT] as WebAssembly.Global).value as number,
  };
}

const growable = (memory: string) =>
  wat(`(module
    ${memory}
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size)))`);

describe("memory cap", () => {
  it("makes memory.grow fail at the cap on a memory without a maximum", async () => {
    const m = await meter(growable("(memory 1)"), { maxMemoryPages: 4 });
    assert.equal(m.call("grow", 2), 1);
    assert.equal(m.call("grow", 1), 3);
    assert.equal(m.call("grow", 1), -1);
    assert.equal(m.call("grow", 1000), -1);
    assert.equal(m.call("size"), 4);
    assert.equal(instrument(growable("(memory 1)"), 1n, 4).memoryMaxPages, 4);
  });

  it("lowers a larger declared maximum and keeps a smaller one", async () => {
    assert.equal(instrument(growable("(memory 1 100)"), 1n, 4).memoryMaxPages, 4);
    const small = await meter(growable("(memory 1 2)"), { maxMemoryPages: 4 });
    assert.equal(small.call("grow", 1), 1);
    assert.equal(small.call("grow", 1), -1);
    assert.equal(instrument(growable("(memory 1 2)"), 1n, 4).memoryMaxPages, 2);
  });

  it("accepts a memory that starts exactly at the cap", async () => {
    const m = await meter(growable("(memory 4)"), { maxMemoryPages: 4 });
    assert.equal(m.call("grow", 1), -1);
  });

  it("refuses a memory that starts above the cap", () => {
    assert.throws(
      () => instrument(growable("(memory 5)"), 1n, 4),
      (error: unknown) => error instanceof MemoryLimitError && error.code === "MEMORY_LIMIT" && error.initialPages === 5,
    );
  });

  it("refuses an imported memory", () => {
    const imported = wat(`(module (import "env" "memory" (memory 1)) (func (export "f")))`);
    assert.throws(
      () => instrument(imported),
      (error: unknown) => error instanceof ImportedMemoryError && error.code === "IMPORTED_MEMORY" && error.importName === "env.memory",
    );
  });

  it("refuses a shared memory", () => {
    const shared = wat(`(module (memory 1 2 shared))`, { threads: true });
    assert.throws(() => instrument(shared), (error: unknown) => error instanceof UnsupportedWasmError && /shared/.test(error.message));
  });

  it("accepts a module without memory", async () => {
    const bytes = wat(`(module (func (export "f") (result i32) (i32.const 7)))`);
    assert.equal(instrument(bytes).memoryMaxPages, undefined);
    assert.equal((await meter(bytes)).call("f"), 7);
  });

  it("tells a growth refused at the limit (reproducible) from one the host refused under the limit (not)", async () => {
    const capped = instrument(growable("(memory 1)"), 1n << 40n, 8).wasm;
    // Past the cap: the limit refused it, the same on every machine.
    assert.deepEqual(await flagsAfter(capped, [3, 5]), { results: [1, -1], denied: 1, hostRefused: 0 });
    // A module's own smaller maximum refuses the same way.
    assert.deepEqual(await flagsAfter(instrument(growable("(memory 1 2)"), 1n << 40n, 8).wasm, [2]), { results: [-1], denied: 1, hostRefused: 0 });
    // Growth within the cap that the engine refuses anyway: a fact about the host, not the job.
    assert.deepEqual(await flagsAfter(withHostShortOfMemory(capped, 4), [2, 2]), { results: [1, -1], denied: 0, hostRefused: 1 });
    // Growing by an amount whose sum with the size passes 2^32 pages is the limit's refusal, not the host's.
    assert.deepEqual(await flagsAfter(capped, [-1]), { results: [-1], denied: 1, hostRefused: 0 });
  });

  it("keeps an exported memory exported, with its data", async () => {
    const m = await meter(wat(`(module (memory (export "memory") 1) (data (i32.const 8) "hello"))`), { maxMemoryPages: 1 });
    const memory = m.exports.memory as WebAssembly.Memory;
    assert.equal(new TextDecoder().decode(new Uint8Array(memory.buffer, 8, 5)), "hello");
    assert.throws(() => memory.grow(1), RangeError);
  });
});
