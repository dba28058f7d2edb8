// The mediator's judgement (judgeRerun): a ruling only from a re-run that is a result; a re-run stopped by the wall
// clock or the host is retried with a longer clock, and then abstained on, never ruled against the provider.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import type { Result } from "../../src/core/dealTypes.ts";
import type { SandboxLimitCode } from "../../src/core/sandboxLimits.ts";
import { judgeRerun, RETRY_WALL_CLOCK_FACTOR } from "../../src/mediator/judgeRerun.ts";
import type { DealJobFailed, RunDealJobResult } from "../../src/modules/runDealJob.ts";

const CID_OF_RESULT = CID.parse("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
const honest: Result = { cidDigest: `0x${"11".repeat(32)}` as Hex, outputHash: `0x${"22".repeat(32)}` as Hex, instructions: 1234n };

const completed = (result: Result): RunDealJobResult => ({ kind: "result", resultCid: CID_OF_RESULT, result, exitCode: 0, durationMs: 1 });
const failed = (reason: SandboxLimitCode): RunDealJobResult => ({ kind: "failed", reason, message: `stopped: ${reason}`, durationMs: 1 });

/** A re-run that plays `outcomes` in order, recording the wall-clock factor of each call. */
function scripted(...outcomes: RunDealJobResult[]) {
  const factors: number[] = [];
  return {
    factors,
    rerun: async ({ wallClockFactor }: { wallClockFactor: number }) => {
      factors.push(wallClockFactor);
      const next = outcomes.shift();
      assert.ok(next, "re-run more often than scripted");
      return next;
    },
  };
}

describe("the mediator's judgement of a re-run", () => {
  it("an honest provider's result, reproduced exactly: provider right, after one run", async () => {
    const script = scripted(completed(honest));
    assert.deepEqual(await judgeRerun({ posted: honest, rerun: script.rerun }), { kind: "ruling", providerRight: true });
    assert.deepEqual(script.factors, [1]);
  });

  it("a cheating provider (wrong CID, output hash or count) is ruled wrong, naming each difference", async () => {
    const cases: [Partial<Result>, RegExp][] = [
      [{ cidDigest: `0x${"ab".repeat(32)}` as Hex }, /^result CID digest 0xabab/],
      [{ outputHash: `0x${"cd".repeat(32)}` as Hex }, /^output hash$/],
      [{ instructions: 1235n }, /^instructions 1235 \(re-run: 1234\)$/],
    ];
    for (const [lie, reason] of cases) {
      const verdict = await judgeRerun({ posted: { ...honest, ...lie }, rerun: scripted(completed(honest)).rerun });
      assert.equal(verdict.kind, "ruling");
      assert.equal(verdict.kind === "ruling" && verdict.providerRight, false);
      assert.match(verdict.reason ?? "", reason);
    }
  });

  it("a re-run that ran out of wall clock is tried again with a longer one, and that one decides", async () => {
    const seen: [string, number][] = [];
    const script = scripted(failed("TIMEOUT"), completed(honest));
    const verdict = await judgeRerun({ posted: honest, rerun: script.rerun, onFailedRun: (f: DealJobFailed, attempt) => seen.push([f.reason, attempt]) });
    assert.deepEqual(verdict, { kind: "ruling", providerRight: true });
    assert.deepEqual(script.factors, [1, RETRY_WALL_CLOCK_FACTOR]);
    assert.ok(RETRY_WALL_CLOCK_FACTOR > 1);
    assert.deepEqual(seen, [["TIMEOUT", 1]]);
  });

  it("a re-run the wall clock or the host stops twice decides nothing: the mediator abstains, whatever was posted", async () => {
    for (const reason of ["TIMEOUT", "STACK_OVERFLOW", "HOST_OUT_OF_MEMORY", "SANDBOX_CRASHED"] as const) {
      const script = scripted(failed(reason), failed("TIMEOUT"));
      const verdict = await judgeRerun({ posted: honest, rerun: script.rerun });
      assert.equal(verdict.kind, "abstain", reason);
      assert.match(verdict.kind === "abstain" ? verdict.reason : "", /TIMEOUT/);
      assert.deepEqual(script.factors, [1, RETRY_WALL_CLOCK_FACTOR]);
    }
  });

  it("a posted TIMEOUT record (a provider still posting the wall clock) is wrong when the re-run ends on its own", async () => {
    const timeoutRecord: Result = { cidDigest: `0x${"77".repeat(32)}` as Hex, outputHash: `0x${"88".repeat(32)}` as Hex, instructions: 0n };
    const verdict = await judgeRerun({ posted: timeoutRecord, rerun: scripted(completed(honest)).rerun });
    assert.equal(verdict.kind === "ruling" && verdict.providerRight, false);
  });

  it("a re-run that throws (bad inputs, an unknown module) is not a verdict: the error reaches the caller", async () => {
    await assert.rejects(
      judgeRerun({
        posted: honest,
        rerun: async () => {
          throw new Error("no such module");
        },
      }),
      /no such module/,
    );
  });
});
