// Post-MVP features compiler output uses: each module is instrumented, must validate, and must behave like the
// original; where the control flow is new (exceptions, tail calls) the count is checked by hand as well.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instrument, meter, plain, wat, ALL_FEATURES } from "./helpers.ts";

async function sameResults(bytes: Uint8Array, calls: [string, ...(number | bigint)[]][], imports: WebAssembly.Imports = {}): Promise<void> {
  const original = await plain(bytes, imports);
  const metered = await meter(bytes, { imports });
  for (const [name, ...args] of calls) {
    const expected = (original[name] as (...a: (number | bigint)[]) => unknown)(...args);
    assert.deepEqual(metered.call(name, ...args), expected, `${name}(${args.join(", ")})`);
  }
}

describe("WebAssembly features", () => {
  it("SIMD: loads, stores, lanes, shuffles and arithmetic", async () => {
    const bytes = wat(
      `(module
        (memory 1)
        (data (i32.const 0) "\\01\\00\\00\\00\\02\\00\\00\\00\\03\\00\\00\\00\\04\\00\\00\\00")
        (func (export "dot") (result i32) (local $v v128)
          (local.set $v (i32x4.mul (v128.load (i32.const 0)) (v128.const i32x4 10 20 30 40)))
          (v128.store offset=16 (i32.const 0) (local.get $v))
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
                   (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32.load offset=28 (i32.const 0)))))
        (func (export "shuffle") (result i32)
          (i8x16.extract_lane_u 0
            (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (v128.load (i32.const 0)) (v128.const i64x2 0 0))))
        (func (export "lanes") (result i64)
          (i64x2.extract_lane 1 (v128.load64_lane 1 (i32.const 8) (v128.load32_zero (i32.const 4)))))
        (func (export "splat") (param f32) (result f32)
          (f32x4.extract_lane 3 (f32x4.sqrt (f32x4.splat (local.get 0))))))`,
      { simd: true },
    );
    await sameResults(bytes, [["dot"], ["shuffle"], ["lanes"], ["splat", 16]]);
  });

  it("bulk memory, passive data segments and the data count section", async () => {
    const bytes = wat(
      `(module
        (memory (export "memory") 1)
        (data $greeting "hello, world")
        (data (i32.const 100) "active")
        (func (export "run") (result i32)
          (memory.init $greeting (i32.const 200) (i32.const 0) (i32.const 12))
          (data.drop $greeting)
          (memory.copy (i32.const 300) (i32.const 200) (i32.const 12))
          (memory.fill (i32.const 305) (i32.const 95) (i32.const 2))
          (i32.load8_u (i32.const 306)))
        (func (export "initAfterDrop")
          (memory.init $greeting (i32.const 0) (i32.const 0) (i32.const 1))))`,
    );
    const m = await meter(bytes);
    assert.equal(m.call("run"), 95);
    const memory = new Uint8Array((m.exports.memory as WebAssembly.Memory).buffer);
    assert.equal(new TextDecoder().decode(memory.subarray(300, 312)), "hello__world");
    assert.equal(new TextDecoder().decode(memory.subarray(100, 106)), "active");
    assert.throws(() => m.call("initAfterDrop"), WebAssembly.RuntimeError);
    assert.equal(m.exhausted(), false);
  });

  it("reference types, tables and element segments of every kind", async () => {
    const bytes = wat(
      `(module
        (type $unary (func (param i32) (result i32)))
        (table $t0 4 funcref)
        (table $t1 4 8 funcref)
        (table $ext 2 externref)
        (func $a (type $unary) (i32.add (local.get 0) (i32.const 1)))
        (func $b (type $unary) (i32.mul (local.get 0) (i32.const 2)))
        (func $c (type $unary) (i32.sub (local.get 0) (i32.const 3)))
        (elem (i32.const 0) $a $b)                                   ;; active, table 0, function indices
        (elem $passive func $c $a)                                   ;; passive, function indices
        (elem (table $t1) (i32.const 1) func $b)                     ;; active, explicit table
        (elem declare func $c)                                       ;; declarative
        (elem (table $t0) (i32.const 2) funcref (ref.func $c))       ;; active, expressions
        (elem $exprs funcref (ref.func $b) (ref.null func))          ;; passive, expressions
        (func (export "callAt") (param $i i32) (param $x i32) (result i32)
          (call_indirect $t0 (type $unary) (local.get $x) (local.get $i)))
        (func (export "tables") (result i32)
          (table.init $t1 $passive (i32.const 2) (i32.const 0) (i32.const 2))
          (elem.drop $passive)
          (table.copy $t0 $t1 (i32.const 3) (i32.const 2) (i32.const 1))
          (drop (table.grow $t1 (ref.func $c) (i32.const 2)))
          (table.fill $t1 (i32.const 4) (ref.null func) (i32.const 2))
          (i32.add
            (i32.add (table.size $t1) (call_indirect $t0 (type $unary) (i32.const 10) (i32.const 3)))
            (ref.is_null (table.get $t1 (i32.const 5)))))
        (func (export "externs") (param externref) (result i32)
          (table.set $ext (i32.const 0) (local.get 0))
          (ref.is_null (select (result externref) (table.get $ext (i32.const 0)) (ref.null extern) (i32.const 1))))
        (func (export "funcref") (result i32)
          (ref.is_null (ref.func $c))))`,
      { reference_types: true, bulk_memory: true },
    );
    await sameResults(bytes, [["callAt", 0, 5], ["callAt", 1, 5], ["callAt", 2, 5], ["tables"], ["funcref"]]);
    const m = await meter(bytes);
    assert.equal((m.exports.externs as (x: unknown) => number)({}), 0);
    assert.equal((m.exports.externs as (x: unknown) => number)(null), 1);
  });

  it("multi-value blocks, loops with parameters and functions with several results", async () => {
    const bytes = wat(
      `(module
        (type $pair (func (result i32 i32)))
        (type $step (func (param i32 i32) (result i32 i32)))
        (func $divmod (param $a i32) (param $b i32) (result i32 i32)
          (i32.div_u (local.get $a) (local.get $b))
          (i32.rem_u (local.get $a) (local.get $b)))
        (func (export "combine") (param $a i32) (param $b i32) (result i32)
          (block (type $pair) (call $divmod (local.get $a) (local.get $b)))
          (i32.mul (i32.const 1000))
          (i32.add))
        (func (export "fib") (param $n i32) (result i32)
          (i32.const 0) (i32.const 1)
          (loop $next (type $step)
            (if (param i32 i32) (result i32 i32) (i32.eqz (local.get $n))
              (then)
              (else
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (call $advance)
                (br $next))))
          (drop))
        (func $advance (param i32 i32) (result i32 i32)
          (local.get 1) (i32.add (local.get 0) (local.get 1))))`,
      { multi_value: true },
    );
    await sameResults(bytes, [["combine", 17, 5], ["fib", 0], ["fib", 30]]);
  });

  it("runs the start function metered, with indices unchanged", async () => {
    const bytes = wat(`(module
      (global $g (mut i32) (i32.const 0))
      (func $init (global.set $g (i32.const 42)))          ;; i32.const, global.set, end: 3
      (start $init)
      (func (export "get") (result i32) (global.get $g)))`);
    const result = instrument(bytes);
    const { instance } = await WebAssembly.instantiate(result.wasm);
    assert.equal((instance.exports.__lilypad_instructions as WebAssembly.Global).value, 3n);
    assert.equal((instance.exports.get as () => number)(), 42);
  });

  it("numbers its globals after imported and defined ones", async () => {
    const bytes = wat(`(module
      (import "env" "base" (global $base i32))
      (import "env" "scale" (global $scale (mut i32)))
      (global $own i32 (i32.const 5))
      (func (export "f") (result i32) (i32.add (global.get $base) (i32.mul (global.get $own) (global.get $scale)))))`);
    const imports = { env: { base: 1, scale: new WebAssembly.Global({ value: "i32", mutable: true }, 3) } };
    await sameResults(bytes, [["f"]], imports);
    const m = await meter(bytes, { imports });
    assert.equal(m.countOf("f"), 6n);
  });

  it("exceptions: try, catch, catch_all, rethrow and delegate", async () => {
    const bytes = wat(
      `(module
        (tag $e (param i32))
        (func $thrower (param i32) (throw $e (local.get 0)))          ;; local.get, throw: 2
        (func $quiet (param i32))                                     ;; end: 1
        (func (export "catchIt") (param $x i32) (result i32)
          try (result i32)                                            ;; try, local.get, call: 3
            local.get $x
            call $thrower
            i32.const 0                                               ;; i32.const, catch: 2 (only without a throw)
          catch $e
            i32.const 1                                               ;; handler: i32.const, i32.add, end: 3
            i32.add
          end)                                                        ;; final end: 1
        (func (export "noThrow") (param $x i32) (result i32)
          try (result i32)
            local.get $x
            call $quiet
            i32.const 0
          catch $e
            i32.const 1
            i32.add
          end)
        (func (export "nested") (param $x i32) (result i32)
          (try (result i32)
            (do
              (try (result i32)
                (do (call $thrower (local.get $x)) (i32.const -1))
                (catch_all (rethrow 0))))
            (catch $e (i32.mul (i32.const 3)))))
        (func (export "delegated") (param $x i32) (result i32)
          (try $outer (result i32)
            (do
              (try (result i32)
                (do (call $thrower (local.get $x)) (i32.const -1))
                (delegate $outer)))
            (catch $e (i32.add (i32.const 100))))))`,
      { exceptions: true },
    );
    await sameResults(bytes, [["catchIt", 41], ["noThrow", 41], ["nested", 5], ["delegated", 5]]);
    const m = await meter(bytes);
    assert.equal(m.countOf("catchIt", 41), 3n + 2n + 3n + 1n);
    // Without a throw: 3, the callee's 1, then i32.const and catch (which jumps past the end), and the final end.
    assert.equal(m.countOf("noThrow", 41), 3n + 1n + 2n + 1n);
  });

  it("exceptions: try_table and throw_ref", async () => {
    const bytes = wat(
      `(module
        (tag $e (param i32))
        (func $thrower (param i32) (throw $e (local.get 0)))
        (func (export "f") (param $x i32) (result i32)
          (block $caught (result i32)
            (try_table (catch $e $caught) (call $thrower (local.get $x)))
            (i32.const -1))
          (i32.const 2)
          (i32.mul))
        (func (export "g") (param $x i32) (result i32) (local $exn exnref)
          (block $outer (result i32)
            (local.set $exn
              (block $h (result exnref)
                (try_table (catch_all_ref $h) (call $thrower (local.get $x)))
                (return (i32.const 0))))
            (try_table (catch $e $outer) (throw_ref (local.get $exn)))
            (i32.const -5))))`,
      ALL_FEATURES,
    );
    assert.ok(WebAssembly.validate(bytes), "the engine should accept try_table");
    assert.ok(WebAssembly.validate(instrument(bytes).wasm));
    await sameResults(bytes, [["f", 21], ["g", 9]]);
  });

  it("tail calls", async () => {
    const bytes = wat(
      `(module
        (type $t (func (param i64 i64) (result i64)))
        (table 1 funcref)
        (elem (i32.const 0) $loop)
        (func $loop (param $n i64) (param $acc i64) (result i64)
          (if (result i64) (i64.eqz (local.get $n))
            (then (local.get $acc))
            (else (return_call_indirect (type $t)
              (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n)) (i32.const 0)))))
        (func (export "sum") (param $n i64) (result i64)
          (return_call $loop (local.get $n) (i64.const 0))))`,
      { tail_call: true },
    );
    // A million tail calls would overflow the stack if they were not tail calls.
    await sameResults(bytes, [["sum", 10n], ["sum", 1_000_000n]]);
  });

  it("typed function references (call_ref, ref.as_non_null), assembled by hand", async () => {
    // wabt cannot write call_ref; this is (func (result i32) ref.func 0 ref.as_non_null call_ref 1) calling
    // (func (result i32) i32.const 7), with the function declared by an elem segment.
    const bytes = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type 0: () -> i32
      0x03, 0x03, 0x02, 0x00, 0x00, // two functions of type 0
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, // export "f" = func 1
      0x09, 0x05, 0x01, 0x03, 0x00, 0x01, 0x00, // declarative elem: func 0
      0x0a, 0x0e, 0x02,
      0x04, 0x00, 0x41, 0x07, 0x0b, // func 0: i32.const 7
      0x07, 0x00, 0xd2, 0x00, 0xd4, 0x14, 0x00, 0x0b, // func 1: ref.func 0, ref.as_non_null, call_ref 0
    ]);
    assert.ok(WebAssembly.validate(bytes), "the engine should accept typed function references");
    const m = await meter(bytes);
    assert.equal(m.countOf("f"), 4n + 2n);
    assert.equal(m.call("f"), 7);
  });

  it("adds the global and export sections a module lacks, in the right place", async () => {
    const empty = instrument(wat(`(module)`));
    const { instance } = await WebAssembly.instantiate(empty.wasm);
    assert.deepEqual(Object.keys(instance.exports), ["__lilypad_instructions", "__lilypad_exhausted", "__lilypad_memory_denied", "__lilypad_host_refused"]);
    // Sections that must follow the new ones: start, element, data count, code, data.
    const late = wat(`(module
      (table 1 funcref) (memory 1)
      (func $s) (start $s) (elem (i32.const 0) $s) (data "x")
      (func (param i32) (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1))))`);
    assert.equal((await meter(late)).count(), 1n); // the start function's end
  });

  it("keeps custom sections, including the name section", () => {
    const bytes = wat(`(module (func $named (export "f")))`);
    const withNames = Uint8Array.from([...bytes, 0x00, 0x05, 0x04, 0x6e, 0x6f, 0x74, 0x65]);
    const out = instrument(withNames).wasm;
    assert.deepEqual(out.subarray(out.length - 7), Uint8Array.of(0x00, 0x05, 0x04, 0x6e, 0x6f, 0x74, 0x65));
    assert.ok(WebAssembly.validate(out));
  });
});
