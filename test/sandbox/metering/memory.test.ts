import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImportedMemoryError, MemoryLimitError, UnsupportedWasmError } from "../../../src/sandbox/metering/errors.ts";
import { instrument, meter, wat } from "./helpers.ts";

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

  it("keeps an exported memory exported, with its data", async () => {
    const m = await meter(wat(`(module (memory (export "memory") 1) (data (i32.const 8) "hello"))`), { maxMemoryPages: 1 });
    const memory = m.exports.memory as WebAssembly.Memory;
    assert.equal(new TextDecoder().decode(new Uint8Array(memory.buffer, 8, 5)), "hello");
    assert.throws(() => memory.grow(1), RangeError);
  });
});
