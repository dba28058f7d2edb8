// The one catalogue of sandbox limit codes: which stops are results (every honest run reaches them identically)
// and which are not (the wall clock, the host), and that every error the sandbox throws carries a code from it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moduleEngineSchema } from "../../src/core/moduleManifest.ts";
import { limitIsResult, SANDBOX_LIMITS, sandboxLimitCodeSchema, type SandboxLimitCode } from "../../src/core/sandboxLimits.ts";
import {
  HostOutOfMemoryError,
  InstructionBudgetExceededError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  SandboxCrashError,
  SandboxLimitError,
  StackOverflowError,
  WallClockTimeoutError,
} from "../../src/sandbox/errors.ts";

describe("sandbox limit codes", () => {
  it("only the limits enforced inside the metered module are results; the wall clock and the host never are", () => {
    const results = sandboxLimitCodeSchema.options.filter((code) => limitIsResult(code, "wasm"));
    assert.deepEqual(results, ["INSTRUCTION_BUDGET_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "OUTPUT_LIMIT_EXCEEDED"]);
    for (const code of ["TIMEOUT", "STACK_OVERFLOW", "HOST_OUT_OF_MEMORY", "SANDBOX_CRASHED"] as const) {
      assert.equal(SANDBOX_LIMITS[code].reproducible, false, code);
      assert.equal(limitIsResult(code, "wasm"), false, code);
    }
  });

  it("no stop of an engine that is not metered exactly is a result, however it was enforced", () => {
    for (const engine of moduleEngineSchema.options.filter((e) => e !== "wasm")) {
      for (const code of sandboxLimitCodeSchema.options) assert.equal(limitIsResult(code, engine), false, `${engine} ${code}`);
    }
  });

  it("every sandbox error carries its code from the catalogue, and says whether it is reproducible", () => {
    const errors: [SandboxLimitError, SandboxLimitCode][] = [
      [new InstructionBudgetExceededError({ budget: 10n }), "INSTRUCTION_BUDGET_EXCEEDED"],
      [new MemoryLimitExceededError({ memoryMiB: 4, detail: "x" }), "MEMORY_LIMIT_EXCEEDED"],
      [new OutputLimitExceededError({ outputBytes: 5 }), "OUTPUT_LIMIT_EXCEEDED"],
      [new WallClockTimeoutError({ timeoutMs: 5 }), "TIMEOUT"],
      [new StackOverflowError({ detail: "x" }), "STACK_OVERFLOW"],
      [new HostOutOfMemoryError({ detail: "x" }), "HOST_OUT_OF_MEMORY"],
      [new SandboxCrashError({ detail: "x" }), "SANDBOX_CRASHED"],
    ];
    assert.deepEqual(new Set(errors.map(([, code]) => code)), new Set(sandboxLimitCodeSchema.options), "one error per code");
    for (const [error, code] of errors) {
      assert.ok(error instanceof SandboxLimitError);
      assert.equal(error.code, code);
      assert.equal(error.limit, code);
      assert.equal(error.reproducible, SANDBOX_LIMITS[code].reproducible);
    }
  });

  it("a code from elsewhere (a record, a message) is refused, not taken for a limit", () => {
    assert.equal(sandboxLimitCodeSchema.safeParse("TIMEOUT").success, true);
    for (const bad of ["timeout", "INVALID_MODULE", "LANE_BUSY", "", 137, undefined]) {
      assert.equal(sandboxLimitCodeSchema.safeParse(bad).success, false, String(bad));
    }
  });
});
