// Malformed input: every way the bytes can be wrong must end in one of the typed errors, never a RangeError or
// TypeError from deep inside the decoder.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError, LilypadError } from "../../../src/core/errors.ts";
import { InvalidWasmError, ReservedExportError } from "../../../src/sandbox/metering/errors.ts";
import { instrumentModule } from "../../../src/sandbox/metering/instrumentModule.ts";
import { instrument, wat } from "./helpers.ts";

const SAMPLE = wat(`(module
  (type $t (func (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (table 1 funcref)
  (elem (i32.const 0) $f)
  (func $f (export "f") (type $t)
    (local i64 f64)
    (call $log (local.get 0))
    (block $b (br_if $b (i32.eqz (local.get 0))) (global.set $g (i32.const 1)))
    (i32.add (local.get 0) (i32.load offset=4 (i32.const 0))))
  (data (i32.const 16) "abc"))`);

const invalid = (error: unknown) => error instanceof InvalidWasmError && error.code === "INVALID_WASM";

describe("malformed modules", () => {
  it("rejects garbage, an empty array and a missing magic number", () => {
    assert.throws(() => instrument(new Uint8Array(0)), invalid);
    assert.throws(() => instrument(new TextEncoder().encode("#!/bin/sh\necho hello\n")), invalid);
    assert.throws(() => instrument(Uint8Array.of(0x00, 0x61, 0x73)), invalid);
  });

  it("rejects other binary format versions (including components)", () => {
    const version2 = SAMPLE.slice();
    version2[4] = 2;
    assert.throws(() => instrument(version2), (e: unknown) => invalid(e) && /version 2/.test((e as Error).message));
    const component = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);
    assert.throws(() => instrument(component), invalid);
  });

  it("rejects every truncation with InvalidWasmError (or accepts it when it ends on a section boundary)", () => {
    for (let length = 0; length < SAMPLE.length; length++) {
      try {
        instrument(SAMPLE.subarray(0, length));
      } catch (error) {
        assert.ok(invalid(error), `length ${length}: ${String(error)}`);
      }
    }
  });

  it("rejects a section whose size runs past the end of the module", () => {
    const bytes = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7f, 0x00);
    assert.throws(() => instrument(bytes), invalid);
  });

  it("rejects duplicated or out-of-order sections", () => {
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const typeSection = [0x01, 0x01, 0x00];
    assert.throws(() => instrument(Uint8Array.from([...header, ...typeSection, ...typeSection])), invalid);
    assert.throws(() => instrument(Uint8Array.from([...header, 0x03, 0x01, 0x00, ...typeSection])), invalid);
  });

  it("rejects a function body with bytes after its final end, or without one", () => {
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
    const functions = [0x03, 0x02, 0x01, 0x00];
    const trailing = [0x0a, 0x05, 0x01, 0x03, 0x00, 0x0b, 0x01]; // end, then a nop
    const unterminated = [0x0a, 0x04, 0x01, 0x02, 0x00, 0x01]; // a nop, no end
    assert.throws(() => instrument(Uint8Array.from([...header, ...types, ...functions, ...trailing])), invalid);
    assert.throws(() => instrument(Uint8Array.from([...header, ...types, ...functions, ...unterminated])), invalid);
  });

  it("only ever throws typed errors on corrupted bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: SAMPLE.length - 1 }), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const bytes = SAMPLE.slice();
          for (const { at, value } of edits) bytes[at] = value;
          try {
            const result = instrument(bytes);
            // Whatever we accept and emit must still be a module the engine can judge (valid or not), never
            // a crash; most corruptions are caught by the engine's validation, which the runner applies.
            WebAssembly.validate(result.wasm);
          } catch (error) {
            assert.ok(error instanceof LilypadError, `threw ${String(error)}`);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("refuses a module that already exports a metering name", () => {
    for (const name of ["__lilypad_instructions", "__lilypad_exhausted", "__lilypad_anything"]) {
      const bytes = wat(`(module (global (export "${name}") (mut i64) (i64.const 0)))`);
      assert.throws(() => instrument(bytes), (e: unknown) => e instanceof ReservedExportError && e.code === "RESERVED_EXPORT" && e.exportName === name);
    }
  });

  it("refuses code or exports naming a global the module does not have (it would be the counter)", () => {
    // Invalid as they stand, but once the pass appends its globals, index 0 or 1 would name the counter.
    const resetsCounter = wat(`(module (func (export "reset") (global.set 0 (i64.const 0))))`);
    assert.ok(!WebAssembly.validate(resetsCounter));
    assert.throws(() => instrument(resetsCounter), (e: unknown) => invalid(e) && /global index 0/.test((e as Error).message));
    const readsFlag = wat(`(module (global i32 (i32.const 1)) (func (export "peek") (result i32) (global.get 1)))`);
    assert.throws(() => instrument(readsFlag), invalid);
    const exportsCounter = wat(`(module (export "count" (global 0)))`);
    assert.throws(() => instrument(exportsCounter), invalid);
  });

  it("checks its parameters", () => {
    const argument = (name: string) => (e: unknown) => e instanceof InvalidArgumentError && e.argument === name;
    assert.throws(() => instrumentModule({ wasm: SAMPLE, instructionBudget: -1n, maxMemoryPages: 1 }), argument("instructionBudget"));
    assert.throws(() => instrumentModule({ wasm: SAMPLE, instructionBudget: 1n << 63n, maxMemoryPages: 1 }), argument("instructionBudget"));
    assert.throws(() => instrumentModule({ wasm: SAMPLE, instructionBudget: 5 as unknown as bigint, maxMemoryPages: 1 }), argument("instructionBudget"));
    assert.throws(() => instrumentModule({ wasm: SAMPLE, instructionBudget: 1n, maxMemoryPages: 1.5 }), argument("maxMemoryPages"));
    assert.throws(() => instrumentModule({ wasm: SAMPLE, instructionBudget: 1n, maxMemoryPages: 65537 }), argument("maxMemoryPages"));
    assert.throws(() => instrumentModule({ wasm: [0] as unknown as Uint8Array, instructionBudget: 1n, maxMemoryPages: 1 }), argument("wasm"));
  });

  it("does not modify its input", () => {
    const copy = SAMPLE.slice();
    instrument(SAMPLE);
    assert.deepEqual(SAMPLE, copy);
  });
});
