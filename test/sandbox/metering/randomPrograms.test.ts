// Random structured programs (nested blocks, loops, ifs with and without else or with results, br, br_if with
// and without values, br_table, return, calls, exceptions with try/catch and try_table, dead code after
// branches), run on random inputs: the pass must count exactly what the naive oracle counts, and the metered
// module must compute what the original computes. RANDOM_PROGRAM_RUNS=10000 fuzzes harder.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ALL_FEATURES, instrument, wat } from "./helpers.ts";
import { instrumentEveryInstruction, ORACLE_EXPORT } from "./oracle.ts";

/** A small deterministic PRNG, so a failing seed reproduces the same program. */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

/** A data-dependent condition: steps a per-call LCG in $r and tests one of its bits. */
const condition = (bit: number) =>
  `(i32.and (local.tee $r (i32.add (i32.mul (local.get $r) (i32.const 1103515245)) (i32.const 12345))) (i32.const ${1 << (bit + 8)}))`;

/**
 * Statements in a context whose enclosing labels are `labels`, innermost first: true for a label a branch may
 * target (it carries no values), false for one that carries a value.
 */
function statements(random: (n: number) => number, labels: boolean[], nesting: number, helpers: number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(statement(random, labels, nesting, helpers));
  return out.join(" ");
}

/** A random label that carries no values, or -1 if there is none. */
function target(random: (n: number) => number, labels: boolean[]): number {
  const usable = labels.flatMap((plain, depth) => (plain ? [depth] : []));
  return usable.length === 0 ? -1 : usable[random(usable.length)]!;
}

function statement(random: (n: number) => number, labels: boolean[], nesting: number, helpers: number): string {
  /** Statements nested inside new labels (innermost first). */
  const deeper = (...inner: boolean[]) => statements(random, [...inner, ...labels], nesting + 1, helpers, 1 + random(3));
  const choice = random(nesting > 3 ? 5 : 17);
  switch (choice) {
    case 0:
      return `(local.set $a (i32.add (local.get $a) (i32.const ${random(100)})))`;
    case 1:
      return `(local.set $a (i32.xor (local.get $a) (local.get $r)))`;
    case 2: {
      const depth = target(random, labels);
      return depth >= 0 ? `(br_if ${depth} ${condition(random(8))})` : "(nop)";
    }
    case 3: {
      const depth = target(random, labels);
      return depth >= 0 && random(3) === 0 ? `(br ${depth})` : "(nop)";
    }
    case 4:
      return random(6) === 0 ? "(return (local.get $a))" : "(drop (local.get $r))";
    case 5:
      return `(if ${condition(random(8))} (then ${deeper(true)}))`;
    case 6:
      return `(if ${condition(random(8))} (then ${deeper(true)}) (else ${deeper(true)}))`;
    case 7:
      return `(block ${deeper(true)})`;
    case 8:
      // Bounded by $fuel, which every iteration of every loop of this call spends.
      return `(block (loop (br_if 1 (i32.eqz (local.get $fuel))) (local.set $fuel (i32.sub (local.get $fuel) (i32.const 1))) ${deeper(true, true)} (br_if 0 ${condition(random(8))})))`;
    case 9: {
      const depths = Array.from({ length: 2 + random(3) }, () => target(random, labels));
      if (depths.includes(-1)) return "(nop)";
      return `(br_table ${depths.join(" ")} (i32.and (local.get $r) (i32.const 3)))`;
    }
    case 10:
      return helpers > 0 ? `(local.set $a (i32.add (local.get $a) (call $f${random(helpers)} (local.get $r))))` : "(nop)";
    case 11:
      return `(try (do ${deeper(true)} ${random(2) === 0 ? `(if ${condition(random(8))} (then (throw $e (local.get $a))))` : ""}) (catch $e (local.set $a (i32.add (local.get $a)))))`;
    case 12:
      return random(4) === 0 ? "(throw $e (local.get $a))" : "(nop)";
    case 13:
      // try_table whose catch_all leaves through the block around it.
      return `(block (try_table (catch_all 0) ${deeper(true, true)} ${random(2) === 0 ? `(if ${condition(random(8))} (then (throw $e (local.get $r))))` : ""}))`;
    case 14:
      // A br_if whose label carries a value (not folded); the statements inside must not branch to it.
      return `(local.set $a (i32.add (local.get $a) (block (result i32) (br_if 0 (local.get $r) ${condition(random(8))}) (drop) ${deeper(false)} (local.get $a))))`;
    case 15:
      return `(local.set $a (if (result i32) ${condition(random(8))} (then ${deeper(false)} (local.get $r)) (else ${deeper(false)} (local.get $a))))`;
    default:
      return `(if ${condition(random(8))} (then (block ${deeper(true, true)} (br_if 0 ${condition(random(8))}) ${deeper(true, true)})))`;
  }
}

function program(seed: number): string {
  const random = prng(seed);
  const functions: string[] = [];
  const count = 1 + random(4);
  for (let f = 0; f < count; f++) {
    functions.push(`(func $f${f} (param $a i32) (result i32) (local $r i32) (local $fuel i32)
      (local.set $r (local.get $a))
      (local.set $fuel (i32.const 40))
      ${statements(random, [], 0, f, 3 + random(6))}
      (local.get $a))`);
  }
  // The entry point catches whatever escapes, so that every run returns.
  return `(module
    (global $unused (mut i32) (i32.const 0))
    (tag $e (param i32))
    ${functions.join("\n")}
    (func (export "run") (param $a i32) (result i32)
      (try (result i32) (do (call $f${count - 1} (local.get $a))) (catch $e (drop) (i32.const -1)))))`;
}

describe("random programs", () => {
  it("count exactly what the naive oracle counts, and compute the same", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const text = program(seed);
        const original = wat(text, ALL_FEATURES);
        const plain = (await WebAssembly.instantiate(original)).instance.exports;
        const metered = (await WebAssembly.instantiate(instrument(original).wasm)).instance.exports;
        const oracle = (await WebAssembly.instantiate(instrumentEveryInstruction(original))).instance.exports;
        const counter = metered.__lilypad_instructions as WebAssembly.Global;
        const reference = oracle[ORACLE_EXPORT] as WebAssembly.Global;
        for (const input of [0, 1, 7, 12345, seed]) {
          counter.value = 0n;
          reference.value = 0n;
          const expected = (plain.run as (a: number) => number)(input);
          assert.equal((metered.run as (a: number) => number)(input), expected, `seed ${seed}, input ${input}`);
          assert.equal((oracle.run as (a: number) => number)(input), expected);
          assert.equal(counter.value, reference.value, `seed ${seed}, input ${input}\n${text}`);
        }
      }),
      { numRuns: Number(process.env.RANDOM_PROGRAM_RUNS ?? 400) },
    );
  });
});
