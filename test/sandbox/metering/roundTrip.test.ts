// A module instrumented with a budget it never reaches behaves exactly like the original.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { meter, plain } from "./helpers.ts";
import { CALLS, PROGRAMS } from "./programs.ts";

describe("round trip", () => {
  it("returns what the original returns, call by call, and counts the same every time", async () => {
    const original = await plain(PROGRAMS);
    const metered = await meter(PROGRAMS);
    const counts: bigint[] = [];
    for (const [name, ...args] of CALLS) {
      const expected = (original[name] as (...a: (number | bigint)[]) => unknown)(...args);
      metered.reset();
      const actual = metered.call(name, ...args);
      assert.deepEqual(actual, expected, `${name}(${args.join(", ")})`);
      counts.push(metered.count());
    }
    // Memory ends up the same too.
    const a = new Uint8Array((original.memory as WebAssembly.Memory).buffer);
    const b = new Uint8Array((metered.exports.memory as WebAssembly.Memory).buffer);
    assert.ok(a.length === b.length && a.every((v, i) => v === b[i]), "memories differ");

    // A fresh instance replaying the same calls counts the same.
    const again = await meter(PROGRAMS);
    const recount = CALLS.map(([name, ...args]) => again.countOf(name, ...args));
    assert.deepEqual(recount, counts);
    assert.ok(counts.every((c) => c > 0n));
  });
});
