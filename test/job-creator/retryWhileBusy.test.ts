// The SDK sends a submission again while the solver answers SOLVER_BUSY, with growing waits, and gives up with
// that error after its last try; any other error is the caller's at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { retryWhileBusy } from "../../src/job-creator/retryWhileBusy.ts";
import { SolverRequestError } from "../../src/net/solverClient.ts";

const busy = () => new SolverRequestError({ code: "SOLVER_BUSY", message: "the solver is saturated", status: 503 });

/** A send that fails with `errors` in turn, then answers "queued"; it counts its calls. */
function sender(errors: Error[]) {
  const calls: number[] = [];
  const send = async () => {
    calls.push(performance.now());
    const error = errors.shift();
    if (error) throw error;
    return "queued";
  };
  return { send, calls };
}

describe("retryWhileBusy", () => {
  it("sends again after waits that double, until the solver takes it", async () => {
    const { send, calls } = sender([busy(), busy()]);
    const waits: number[] = [];
    assert.equal(await retryWhileBusy(send, { firstDelayMs: 20, onBusy: (_attempt, delayMs) => waits.push(delayMs) }), "queued");
    assert.equal(calls.length, 3);
    assert.deepEqual(waits, [20, 40]);
    assert.ok(calls[1]! - calls[0]! >= 18 && calls[2]! - calls[1]! >= 38, `waited ${calls[1]! - calls[0]!} and ${calls[2]! - calls[1]!} ms`);
  });

  it("gives up with SOLVER_BUSY after its last try", async () => {
    const { send, calls } = sender([busy(), busy(), busy()]);
    await assert.rejects(retryWhileBusy(send, { attempts: 3, firstDelayMs: 1 }), (error: unknown) => error instanceof SolverRequestError && error.code === "SOLVER_BUSY");
    assert.equal(calls.length, 3);
  });

  it("does not retry any other error", async () => {
    const { send, calls } = sender([new SolverRequestError({ code: "LANE_BUSY", message: "lane taken", status: 400 })]);
    await assert.rejects(retryWhileBusy(send, { firstDelayMs: 1 }), /lane taken/);
    assert.equal(calls.length, 1);
  });
});
