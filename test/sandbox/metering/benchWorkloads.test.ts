// The metering benchmark's programs (bench/workloads/, built by bench/buildWorkloads.ts), at a small size: each
// prints the same output unmetered, metered and under the naive oracle (oracle.ts), and the metered count equals
// the oracle's exactly. Together with differential.test.ts this checks the counting rule on real compiler output
// (clang with wasi-libc, rustc's std), not only on hand-written WAT. Built programs are cached outside the
// repository; a workload whose compiler is missing here is skipped with the reason.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { buildWorkload, SOURCE_WORKLOADS } from "../../../bench/buildWorkloads.ts";
import { runWasiCommand, type WasiRun } from "../../../bench/wasiCommand.ts";
import { instrumentModule } from "../../../src/sandbox/metering/instrumentModule.ts";
import { C_TOOLCHAIN_MISSING, RUST_TOOLCHAIN_MISSING } from "../../toolchains.ts";
import { instrumentEveryInstruction, ORACLE_EXPORT } from "./oracle.ts";

const BUDGET = 1n << 62n;

interface Counted {
  run: WasiRun;
  instructions: bigint;
}

function run(wasm: Uint8Array, args: string[], counter?: string): Counted {
  const result = runWasiCommand(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), args);
  const global = counter === undefined ? undefined : (result.instance.exports[counter] as WebAssembly.Global | undefined);
  if (counter !== undefined) assert.ok(global, `no ${counter} export`);
  return { run: result, instructions: global === undefined ? 0n : BigInt.asUintN(64, global.value as bigint) };
}

/** Unmetered, metered (twice) and under the oracle: same output, and the same count. */
function checkCounts(name: string, wasm: Uint8Array, args: string[]): void {
  const plain = run(wasm, args);
  assert.equal(plain.run.exitCode, 0, `${name} exited with ${plain.run.exitCode}: ${plain.run.stderr}`);
  assert.match(plain.run.stdout, /checksum|crc|primes/, `${name} printed ${JSON.stringify(plain.run.stdout)}`);

  const instrumented = instrumentModule({ wasm, instructionBudget: BUDGET, maxMemoryPages: 16384 }).wasm;
  const metered = run(instrumented, args, "__lilypad_instructions");
  assert.equal(metered.run.exitCode, 0, metered.run.stderr);
  assert.equal(metered.run.stdout, plain.run.stdout);
  assert.equal(metered.run.stderr, plain.run.stderr);
  assert.ok(metered.instructions > 10_000n, `${name} counted only ${metered.instructions} instructions`);
  assert.equal(run(instrumented, args, "__lilypad_instructions").instructions, metered.instructions, "a second metered run counted differently");

  const oracle = run(instrumentEveryInstruction(wasm), args, ORACLE_EXPORT);
  assert.equal(oracle.run.exitCode, 0, oracle.run.stderr);
  assert.equal(oracle.run.stdout, plain.run.stdout);
  assert.equal(metered.instructions, oracle.instructions, `${name}: the metering pass counted ${metered.instructions}, the oracle ${oracle.instructions}`);
}

describe("the metering benchmark's workloads", () => {
  for (const workload of SOURCE_WORKLOADS) {
    const missing = workload.language === "C" ? C_TOOLCHAIN_MISSING : RUST_TOOLCHAIN_MISSING;
    it(`${workload.name} (${workload.language}, ${workload.testArgs.join(" ")}): same output metered, and the oracle's count`, { skip: missing }, async (t) => {
      const built = await buildWorkload(workload);
      if ("skipped" in built) {
        t.skip(built.skipped);
        return;
      }
      checkCounts(workload.name, built.wasm, [workload.name, ...workload.testArgs]);
    });
  }

  const sieve = new URL("../../../modules/compute/build/module.wasm", import.meta.url);
  it("the prime sieve of modules/compute (AssemblyScript, below 100,000)", { skip: existsSync(sieve) ? undefined : "modules/compute is not built" }, () => {
    checkCounts("sieve", new Uint8Array(readFileSync(sieve)), ["compute", "100000"]);
  });
});
