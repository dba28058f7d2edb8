// The pass's counts against the naive oracle (oracle.ts: +1 in front of every instruction) on programs with every
// control-flow shape the segmentation, folding and dead-code logic must get right, over many inputs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ALL_FEATURES, meter, wat, type Metered } from "./helpers.ts";
import { instrumentEveryInstruction, ORACLE_EXPORT } from "./oracle.ts";
import { CALLS, PROGRAMS } from "./programs.ts";

interface Oracle {
  countOf(name: string, ...args: (number | bigint)[]): bigint;
}

async function oracle(bytes: Uint8Array): Promise<Oracle> {
  const { instance } = await WebAssembly.instantiate(instrumentEveryInstruction(bytes));
  const counter = instance.exports[ORACLE_EXPORT] as WebAssembly.Global;
  return {
    countOf(name, ...args) {
      counter.value = 0n;
      (instance.exports[name] as (...a: (number | bigint)[]) => unknown)(...args);
      return counter.value as bigint;
    },
  };
}

const ZOO = wat(
  `(module
    (global $g (mut i32) (i32.const 0))
    (tag $e (param i32))
    (func $maybeThrow (param $x i32) (result i32)
      (if (i32.eq (i32.rem_u (local.get $x) (i32.const 3)) (i32.const 0)) (then (throw $e (local.get $x))))
      (i32.add (local.get $x) (i32.const 1)))

    ;; Loops with several exits (folded br_if chains), a br_if back to the loop, and a conditional return.
    (func (export "exits") (param $x i32) (param $y i32) (result i32) (local $i i32)
      (block $out
        (loop $again
          (br_if $out (i32.ge_u (local.get $i) (local.get $x)))
          (br_if $out (i32.eq (local.get $i) (local.get $y)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if 2 (local.get $i) (i32.eq (local.get $i) (i32.const 77)))
          (br_if $again (i32.and (local.get $i) (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $again)))
      (local.get $i))

    ;; br_table into blocks with results, and an if with results inside a loop.
    (func (export "table") (param $x i32) (param $y i32) (result i32) (local $acc i32)
      (loop $next
        (local.set $acc
          (i32.add (local.get $acc)
            (block $b3 (result i32)
              (block $b2 (result i32)
                (block $b1 (result i32)
                  (block $b0 (result i32)
                    (i32.mul (local.get $y) (i32.const 2))
                    (br_table $b0 $b1 $b2 $b3 (i32.rem_u (local.get $x) (i32.const 5))))
                  (return (i32.const -1)))
                (i32.add (i32.const 10)))
              (if (result i32) (i32.gt_u (local.get $x) (i32.const 50)) (then (i32.const 1)) (else (i32.const 2)))
              (i32.add))))
        (local.set $x (i32.sub (local.get $x) (i32.const 1)))
        (br_if $next (i32.gt_s (local.get $x) (i32.const 0))))
      (local.get $acc))

    ;; Dead code after unconditional transfers, with nested blocks and a loop inside it.
    (func (export "dead") (param $x i32) (result i32)
      (block $b
        (br_if $b (local.get $x))
        (return (i32.const 5))
        (block (loop (br 0)))
        (drop (i32.const 1)))
      (block $c (result i32)
        (i32.const 7)
        (br $c)
        (unreachable))
      (if (result i32) (i32.eqz (local.get $x)) (then (unreachable)) (else (i32.const 3)))
      (i32.add))

    ;; Ends that are joins and ends that are not: untargeted blocks, a loop without a back edge, and an
    ;; untargeted block whose fall-through is dead.
    (func (export "joins") (param $x i32) (result i32) (local $r i32)
      (block (local.set $r (i32.const 1)) (nop))
      (loop (local.set $r (i32.add (local.get $r) (i32.const 1))))
      (block (br_if 0 (local.get $x)) (local.set $r (i32.const 7)))
      (block (if (i32.eqz (local.get $x)) (then (return (local.get $r)))) (local.set $r (i32.mul (local.get $r) (i32.const 3))))
      (block (block (br 1)) (local.set $r (i32.const 100)))
      (local.get $r))

    ;; Ifs: with and without else, nested, with branches to their own label, with parameters, with arms that
    ;; never fall through, and an if in dead code.
    (type $pairToPair (func (param i32 i32) (result i32 i32)))
    (func (export "ifs") (param $x i32) (result i32) (local $r i32)
      (if (i32.and (local.get $x) (i32.const 1)) (then (local.set $r (i32.const 10))))
      (if (i32.and (local.get $x) (i32.const 2))
        (then (br_if 0 (i32.and (local.get $x) (i32.const 4))) (local.set $r (i32.add (local.get $r) (i32.const 1))))
        (else (if (i32.and (local.get $x) (i32.const 8)) (then (local.set $r (i32.const 5))) (else (nop)))))
      (if (i32.and (local.get $x) (i32.const 16)) (then (return (i32.const -1))))
      (local.get $r) (local.get $x)
      (if (type $pairToPair) (param i32 i32) (result i32 i32) (i32.and (local.get $x) (i32.const 32))
        (then (drop) (i32.const 3)))
      (local.set $r (i32.add))
      (if (i32.and (local.get $x) (i32.const 64)) (then (br 1 (local.get $r))))
      (block (br_if 0 (i32.and (local.get $x) (i32.const 128))) (return (local.get $r)) (if (local.get $x) (then (drop (i32.const 9)))))
      (i32.mul (local.get $r) (i32.const 7)))

    ;; Multi-value blocks and a br_if whose label carries values (not folded).
    (func (export "values") (param $x i32) (result i32)
      (block $b (result i32 i32)
        (i32.const 1) (i32.const 2)
        (br_if $b (local.get $x))
        (drop) (drop)
        (i32.const 3) (local.get $x))
      (i32.add))

    ;; Exceptions: legacy try/catch, catch_all, rethrow, delegate; and try_table.
    (func (export "exceptions") (param $x i32) (result i32) (local $sum i32)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get $x)))
          (local.set $sum
            (i32.add (local.get $sum)
              (try (result i32)
                (do (call $maybeThrow (local.get $x)))
                (catch $e (i32.mul (i32.const 2))))))
          (local.set $sum
            (i32.add (local.get $sum)
              (try $outer (result i32)
                (do
                  (try (result i32)
                    (do (call $maybeThrow (i32.add (local.get $x) (i32.const 1))))
                    (delegate $outer)))
                (catch_all (i32.const 100)))))
          (local.set $sum
            (i32.add (local.get $sum)
              (block $caught (result i32)
                (try_table (result i32) (catch $e $caught) (call $maybeThrow (i32.add (local.get $x) (i32.const 2))))
                (i32.const 1000)
                (i32.add))))
          ;; A try body that always throws: its handlers follow dead code.
          (local.set $sum
            (i32.add (local.get $sum)
              (try (result i32)
                (do (throw $e (local.get $x)))
                (catch $e (i32.add (i32.const 5))))))
          (local.set $sum
            (i32.add (local.get $sum)
              (try (result i32)
                (do (throw $e (local.get $x)))
                (catch_all (i32.const 9)))))
          (local.set $x (i32.sub (local.get $x) (i32.const 1)))
          (br $next)))
      (global.set $g (local.get $sum))
      (local.get $sum)))`,
  ALL_FEATURES,
);

let compared = 0;
let trapped = 0;

function compareOn(ours: Metered, reference: Oracle, name: string, ...args: (number | bigint)[]): void {
  let expected: bigint;
  try {
    expected = reference.countOf(name, ...args);
  } catch {
    trapped++; // the rule promises exact counts for runs that return
    return;
  }
  assert.equal(ours.countOf(name, ...args), expected, `${name}(${args.join(", ")})`);
  compared++;
}

describe("counts match the naive oracle", () => {
  it("on the round-trip programs", async () => {
    const ours = await meter(PROGRAMS);
    const reference = await oracle(PROGRAMS);
    for (const [name, ...args] of CALLS) compareOn(ours, reference, name, ...args);
  });

  it("on every control-flow shape, over random inputs", async () => {
    const ours = await meter(ZOO);
    const reference = await oracle(ZOO);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 120 }), (x, y) => {
        compareOn(ours, reference, "exits", x, y);
        compareOn(ours, reference, "table", x, y);
        compareOn(ours, reference, "exceptions", x);
      }),
      { numRuns: 300 },
    );
    for (let x = 0; x < 256; x++) {
      compareOn(ours, reference, "ifs", x);
      compareOn(ours, reference, "dead", x % 2);
      compareOn(ours, reference, "values", x % 2);
      compareOn(ours, reference, "joins", x % 2);
    }
    assert.ok(compared > 0 && trapped === 0, `compared ${compared}, trapped ${trapped}`);
  });
});
