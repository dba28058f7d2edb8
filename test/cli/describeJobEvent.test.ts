// The terminal's line for each job event: a saturated solver is said, with when the job goes again; waiting for a
// mediator says nothing of its own (the challenge line said it).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeJobEvent } from "../../src/cli/describeJobEvent.ts";

describe("describeJobEvent", () => {
  it("says the solver is saturated and when the job is submitted again", () => {
    assert.equal(describeJobEvent({ type: "waiting", for: "solver", retryInSeconds: 4 }), "the solver is saturated: submitting again in 4 s");
  });

  it("says nothing for waiting on a mediator, and names the provider's log lines as the provider's", () => {
    assert.equal(describeJobEvent({ type: "waiting", for: "mediator" }), undefined);
    assert.equal(describeJobEvent({ type: "log", line: "compiling" }), "  provider: compiling");
  });
});
