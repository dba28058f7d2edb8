// The budget: a run that returns never exceeds it, a run that would exceed it traps with the exhausted flag set,
// and the module's own traps leave the flag clear.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { meter, wat } from "./helpers.ts";

const LOOPS = wat(`(module
  (func (export "spin") (loop $forever (br $forever)))
  (func (export "spinWithCalls") (loop $forever (call $nothing) (br $forever)))
  (func $nothing)
  (func $recurse (export "recurse") (param i32) (call $recurse (local.get 0)))
  (func (export "trap") (param $x i32) (result i32)
    (if (i32.eqz (local.get $x)) (then unreachable))
    (local.get $x))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    loop $again
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if $again
    end
    local.get $i)
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    block $done
      loop $top
        local.get $n
        i32.eqz
        br_if $done
        local.get $acc
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
    local.get $acc))`);

/** Runs `name`, returning "returned" or "exhausted", and asserting any trap is the budget's. */
function outcome(m: Awaited<ReturnType<typeof meter>>, name: string, ...args: number[]): "returned" | "exhausted" {
  m.reset();
  try {
    m.call(name, ...args);
    return "returned";
  } catch (error) {
    assert.ok(error instanceof WebAssembly.RuntimeError, `expected a trap, got ${String(error)}`);
    assert.equal(m.exhausted(), true, "trapped without the exhausted flag");
    return "exhausted";
  }
}

describe("instruction budget", () => {
  it("stops an infinite loop at the budget, with the flag set", async () => {
    const m = await meter(LOOPS, { budget: 1_000_000n });
    assert.throws(() => m.call("spin"), WebAssembly.RuntimeError);
    assert.equal(m.exhausted(), true);
    assert.ok(m.count() > 1_000_000n);
    // The overshoot is at most the charge that tipped it: one loop iteration here.
    assert.ok(m.count() <= 1_000_000n + 2n, `count ${m.count()}`);
  });

  it("stops an infinite loop of calls", async () => {
    const m = await meter(LOOPS, { budget: 50_000n });
    assert.equal(outcome(m, "spinWithCalls"), "exhausted");
    assert.ok(m.count() > 50_000n && m.count() < 50_010n);
  });

  it("stops unbounded recursion by budget before the stack overflows, when the budget is small", async () => {
    const m = await meter(LOOPS, { budget: 1000n });
    assert.equal(outcome(m, "recurse", 0), "exhausted");
  });

  it("tells the module's own unreachable apart from budget exhaustion", async () => {
    const m = await meter(LOOPS, { budget: 1000n });
    m.reset();
    assert.throws(() => m.call("trap", 0), WebAssembly.RuntimeError);
    assert.equal(m.exhausted(), false);
    assert.ok(m.count() <= 1000n);
    assert.equal(m.call("trap", 3), 3);
  });

  it("lets a run whose count equals the budget finish, and stops it one instruction short", async () => {
    // count(n) costs exactly 7n + 4 (see counting.test.ts); its only br_if is a loop's back edge.
    for (const n of [1, 10, 1000]) {
      const exact = BigInt(7 * n + 4);
      const enough = await meter(LOOPS, { budget: exact });
      assert.equal(outcome(enough, "count", n), "returned");
      assert.equal(enough.count(), exact);
      const short = await meter(LOOPS, { budget: exact - 1n });
      assert.equal(outcome(short, "count", n), "exhausted");
    }
  });

  it("never returns above the budget and never traps below the count minus one segment chain", async () => {
    // sum(n) costs 12n + 7. Its loop header charges 12 ahead (the test and the body, refunding 9 on exit), so the
    // last test may stop a run that would have needed up to 9 instructions less than the budget allows.
    const instances = new Map<bigint, Awaited<ReturnType<typeof meter>>>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -30, max: 30 }), async (n, slack) => {
        const count = BigInt(12 * n + 7);
        const budget = count + BigInt(slack) < 0n ? 0n : count + BigInt(slack);
        let m = instances.get(budget);
        if (m === undefined) {
          m = await meter(LOOPS, { budget });
          instances.set(budget, m);
        }
        const result = outcome(m, "sum", n);
        if (result === "returned") {
          assert.ok(m.count() <= budget);
          assert.equal(m.count(), count);
        }
        if (budget < count) assert.equal(result, "exhausted");
        if (budget >= count + 9n) assert.equal(result, "returned");
      }),
      { numRuns: 200 },
    );
  });

  it("stops at once with a budget of zero", async () => {
    const m = await meter(LOOPS, { budget: 0n });
    assert.equal(outcome(m, "trap", 1), "exhausted");
  });
});
