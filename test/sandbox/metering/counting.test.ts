// Exact instruction counts, computed by hand from the counting rule in meterFunctionBody.ts: every original
// instruction that executes counts 1 (block, loop, if, else, end and the function's final end included); else,
// end and the like count only when reached by falling through. Comments give each function's count per path.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { meter, wat } from "./helpers.ts";

describe("instruction counts", () => {
  it("counts straight-line code, including the final end", async () => {
    const m = await meter(
      wat(`(module
        (func (export "arith") (result i32)
          i32.const 1
          i32.const 2
          i32.add
          i32.const 3
          i32.mul)           ;; 5 + end = 6
        (func (export "empty"))  ;; just the end: 1
        (func (export "nops") nop nop nop nop nop nop nop nop nop nop))`), // 10 + end = 11
    );
    assert.equal(m.countOf("arith"), 6n);
    assert.equal(m.countOf("empty"), 1n);
    assert.equal(m.countOf("nops"), 11n);
  });

  it("counts a top-tested loop as 12n + 7", async () => {
    const m = await meter(
      wat(`(module
        (func (export "sum") (param $n i32) (result i32) (local $acc i32)
          block $done                       ;; block, loop: 2
            loop $top
              local.get $n                  ;; header: 3 per test
              i32.eqz
              br_if $done
              local.get $acc                ;; body: 9 per iteration
              local.get $n
              i32.add
              local.set $acc
              local.get $n
              i32.const 1
              i32.sub
              local.set $n
              br $top
            end
          end
          local.get $acc))`), // after the exit: local.get, end = 2
    );
    for (const n of [0, 1, 2, 10, 1000, 100_000]) {
      assert.equal(m.countOf("sum", n), BigInt(12 * n + 7), `n = ${n}`);
    }
    assert.equal(m.call("sum", 100), 5050);
  });

  it("counts a bottom-tested loop as 7n + 4", async () => {
    const m = await meter(
      wat(`(module
        (func (export "count") (param $n i32) (result i32) (local $i i32)
          loop $again            ;; 1
            local.get $i         ;; 7 per iteration
            i32.const 1
            i32.add
            local.tee $i
            local.get $n
            i32.lt_u
            br_if $again
          end                    ;; loop end, local.get, end: 3
          local.get $i))`),
    );
    for (const n of [1, 2, 3, 50, 12345]) {
      assert.equal(m.countOf("count", n), BigInt(7 * n + 4), `n = ${n}`);
    }
  });

  it("counts both arms of if/else, and an if without else", async () => {
    const m = await meter(
      wat(`(module
        (func (export "abs") (param $x i32) (result i32)
          local.get $x          ;; 4 on every path
          i32.const 0
          i32.lt_s
          if (result i32)
            i32.const 0         ;; then: 4 (the else it falls into counts; it jumps past the if's end)
            local.get $x
            i32.sub
          else
            local.get $x        ;; else: 2 (local.get, end)
          end)                  ;; the function's end: 1
        (func (export "clamp") (param $x i32) (result i32)
          local.get $x          ;; 4
          i32.const 100
          i32.gt_s
          if
            i32.const 100       ;; then: 3 (with the if's end)
            local.set $x
          end
          local.get $x))`), // 2
    );
    assert.equal(m.countOf("abs", -5), 9n);
    assert.equal(m.countOf("abs", 5), 7n);
    assert.equal(m.countOf("clamp", 500), 9n);
    assert.equal(m.countOf("clamp", 5), 6n);
  });

  it("refunds the fall-through of early exits exactly", async () => {
    // The three br_ifs leave the same block, so their segments are charged as one and refunded on each exit.
    const m = await meter(
      wat(`(module
        (func (export "firstZero") (param $a i32) (param $b i32) (param $c i32) (result i32)
          block $found         ;; 4 up to the first br_if
            local.get $a
            i32.eqz
            br_if $found
            local.get $b       ;; 3
            i32.eqz
            br_if $found
            local.get $c       ;; 3
            i32.eqz
            br_if $found
            i32.const -1       ;; 2
            return
          end
          i32.const 1))`), // 2 after an exit: i32.const, end
    );
    assert.equal(m.countOf("firstZero", 0, 1, 1), 6n);
    assert.equal(m.countOf("firstZero", 1, 0, 1), 9n);
    assert.equal(m.countOf("firstZero", 1, 1, 0), 12n);
    assert.equal(m.countOf("firstZero", 1, 1, 1), 12n);
  });

  it("counts a loop with a branch inside as 8 + 14n + 5 * ceil(n/2)", async () => {
    const m = await meter(
      wat(`(module
        (func (export "evens") (param $n i32) (result i32) (local $i i32) (local $c i32)
          block $exit                   ;; 2
            loop $next
              local.get $i              ;; 4 per test
              local.get $n
              i32.ge_u
              br_if $exit
              local.get $i              ;; 5
              i32.const 1
              i32.and
              i32.eqz
              if
                local.get $c            ;; 5 for even i
                i32.const 1
                i32.add
                local.set $c
              end
              local.get $i              ;; 5
              i32.const 1
              i32.add
              local.set $i
              br $next
            end
          end
          local.get $c))`), // 2
    );
    for (const n of [0, 1, 2, 7, 100, 9999]) {
      assert.equal(m.countOf("evens", n), BigInt(8 + 14 * n + 5 * Math.ceil(n / 2)), `n = ${n}`);
    }
  });

  it("counts calls: the callee's instructions plus one for the call", async () => {
    const m = await meter(
      wat(`(module
        (func $square (param i32) (result i32)
          local.get 0 local.get 0 i32.mul)            ;; 4
        (func (export "sumOfSquares") (param $a i32) (param $b i32) (result i32)
          local.get $a
          call $square
          local.get $b
          call $square
          i32.add))`), // 6 + 2 * 4
    );
    assert.equal(m.countOf("sumOfSquares", 3, 4), 14n);
    assert.equal(m.call("sumOfSquares", 3, 4), 25);
  });

  it("counts recursion: C(n) = 15 + C(n-1) + C(n-2), C(0) = C(1) = 7", async () => {
    const m = await meter(
      wat(`(module
        (func $fib (export "fib") (param $n i32) (result i32)
          local.get $n             ;; 4
          i32.const 2
          i32.lt_u
          if (result i32)
            local.get $n           ;; then: 2 (local.get, else)
          else
            local.get $n           ;; else: 4 + 4 + 2 (i32.add, end)
            i32.const 1
            i32.sub
            call $fib
            local.get $n
            i32.const 2
            i32.sub
            call $fib
            i32.add
          end))`), // final end: 1
    );
    const expected: bigint[] = [7n, 7n];
    for (let n = 2; n <= 20; n++) expected.push(15n + expected[n - 1]! + expected[n - 2]!);
    for (const n of [0, 1, 2, 5, 20]) {
      assert.equal(m.countOf("fib", n), expected[n], `n = ${n}`);
    }
  });

  it("counts call_indirect with the count of whichever function the table holds", async () => {
    const m = await meter(
      wat(`(module
        (type $unary (func (param i32) (result i32)))
        (table 2 funcref)
        (elem (i32.const 0) $inc $double)
        (func $inc (param i32) (result i32)
          local.get 0 i32.const 1 i32.add)                 ;; 4
        (func $double (param i32) (result i32)
          local.get 0 local.get 0 i32.add nop nop)         ;; 6
        (func (export "apply") (param $which i32) (param $x i32) (result i32)
          local.get $x
          local.get $which
          call_indirect (type $unary)))`), // 4
    );
    assert.equal(m.countOf("apply", 0, 10), 8n);
    assert.equal(m.call("apply", 0, 10), 11);
    assert.equal(m.countOf("apply", 1, 10), 10n);
    assert.equal(m.call("apply", 1, 10), 20);
  });

  it("counts br_table arms", async () => {
    const m = await meter(
      wat(`(module
        (func (export "classify") (param $x i32) (result i32)
          block $b2                         ;; 5 up to the br_table
            block $b1
              block $b0
                local.get $x
                br_table $b0 $b1 $b2
              end
              i32.const 10                  ;; arm 0: 2
              return
            end
            i32.const 5                     ;; arm 1: 4
            i32.const 15
            i32.add
            return
          end
          i32.const 30                      ;; default: 5 with the final end
          nop
          nop
          nop))`),
    );
    assert.equal(m.countOf("classify", 0), 7n);
    assert.equal(m.countOf("classify", 1), 9n);
    assert.equal(m.countOf("classify", 2), 10n);
    assert.equal(m.countOf("classify", 99), 10n);
    assert.deepEqual([0, 1, 2].map((x) => m.call("classify", x)), [10, 20, 30]);
  });

  it("counts one per prefixed instruction (0xfc, 0xfd), plus a bulk instruction's size", async () => {
    const m = await meter(
      wat(
        `(module
          (memory 1)
          (func (export "mixed") (result i32)
            f32.const 3.7
            i32.trunc_sat_f32_s                         ;; 0xfc 0x00
            i32.const 0 i32.const 7 i32.const 16
            memory.fill                                 ;; 0xfc 0x0b
            v128.const i32x4 1 2 3 4
            i32x4.extract_lane 2                        ;; 0xfd
            i32.add))`, // 9 + end, + 16 / 8 for the fill's 16 bytes (bulkMemory.test.ts)
        { simd: true },
      ),
    );
    assert.equal(m.countOf("mixed"), 10n + 2n);
    assert.equal(m.call("mixed"), 6);
  });

  it("gives the same count on every run and in every instance", async () => {
    const bytes = wat(`(module
      (func $fib (export "fib") (param $n i32) (result i32)
        (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
          (then (local.get $n))
          (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`);
    const a = await meter(bytes);
    const b = await meter(bytes, { budget: 10n ** 12n });
    const counts = new Set<bigint>();
    for (let i = 0; i < 5; i++) {
      counts.add(a.countOf("fib", 22));
      counts.add(b.countOf("fib", 22));
    }
    assert.equal(counts.size, 1, `counts differ: ${[...counts]}`);
  });

  const DIVIDE = wat(`(module
    (func $divide (export "divide") (param $d i32)
      i32.const 1
      local.get $d
      i32.div_u
      drop
      nop
      nop)
    (func (export "loopThenDivide") (param $n i32) (param $d i32)
      (loop $again
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $again (local.get $n)))
      (call $divide (local.get $d))))`);

  it("with exactOnTrap, charges a segment in full when the module traps inside it", async () => {
    // The division traps; the segment (div, drop, nop, nop, end) had been charged on entry.
    const m = await meter(DIVIDE, { exactOnTrap: true });
    assert.equal(m.countOf("divide", 1), 7n);
    m.reset();
    assert.throws(() => m.call("divide", 0), WebAssembly.RuntimeError);
    assert.equal(m.count(), 7n);
    assert.equal(m.exhausted(), false);
  });

  it("without it, counts every run that returns alike, and leaves a trap's count short only by the trapping frames", async () => {
    const fast = await meter(DIVIDE);
    const exact = await meter(DIVIDE, { exactOnTrap: true });
    const returned = exact.countOf("loopThenDivide", 1000, 1);
    assert.equal(fast.countOf("loopThenDivide", 1000, 1), returned);
    fast.reset();
    exact.reset();
    assert.throws(() => fast.call("loopThenDivide", 1000, 0), WebAssembly.RuntimeError);
    assert.throws(() => exact.call("loopThenDivide", 1000, 0), WebAssembly.RuntimeError);
    // The trap skips the final end only (the division's segment was charged in full).
    assert.equal(exact.count(), returned - 1n);
    // The caller stored its count before the call; the divide frame's 7 were still in its local at the trap.
    assert.equal(fast.count(), returned - 1n - 7n);
  });
});
