import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invocationOf, loadManifest, moduleEntry, moduleWasm, runWasi } from "./runWasi.ts";

/** The reference: count and sum of the primes below n, by a plain sieve. */
function primesBelow(n: number): { count: number; sum: bigint } {
  const composite = new Uint8Array(Math.max(n, 2));
  let count = 0;
  let sum = 0n;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    sum += BigInt(i);
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return { count, sum };
}

async function compute(given: Record<string, number | string>) {
  const { args, env } = invocationOf(loadManifest("compute"), given);
  return runWasi({ wasm: await moduleWasm(moduleEntry("compute")), args, env });
}

describe("compute module", () => {
  it("counts and sums the primes below N, as a JS sieve does", async () => {
    for (const n of [1, 2, 3, 4, 10, 100, 7919, 7920, 65536, 99991, 250_000]) {
      const result = await compute({ N: n });
      const { count, sum } = primesBelow(n);
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout, `primes below ${n}: ${count} (sum ${sum})\n`, `N = ${n}`);
    }
  });

  it("uses N = 1000000 by default, and handles the largest N", async () => {
    assert.equal((await compute({})).stdout, "primes below 1000000: 78498 (sum 37550402023)\n");
    // Known values: pi(10^8) = 5761455, and the sum of the primes below 10^8.
    assert.equal((await compute({ N: 100_000_000 })).stdout, "primes below 100000000: 5761455 (sum 279209790387276)\n");
  });

  it("refuses an N out of range with exit code 2", async () => {
    const wasm = await moduleWasm(moduleEntry("compute"));
    for (const n of ["0", "100000001", "12x", ""]) {
      const result = await runWasi({ wasm, args: ["compute", n] });
      assert.equal(result.exitCode, 2);
      assert.match(result.stderr, /^compute: /);
    }
  });
});
