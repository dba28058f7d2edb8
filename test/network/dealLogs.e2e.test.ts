// The logs of a real network while jobs run, read as the JSON lines they are: every line that names a deal carries
// its deal id as `dealId` (or, for a batch, in `dealIds`), and each role tells its part of the job's story with it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { createLogger } from "../../src/core/logger.ts";
import { shippedModuleId, startTestNetwork, type TestNetwork } from "./helpers.ts";

interface LogLine {
  role?: string;
  msg?: string;
  dealId?: string;
  dealIds?: string[];
  /** fastify's own request lines: the URL may hold a deal id; they are the HTTP layer's, not a deal's story. */
  req?: unknown;
  res?: unknown;
  [key: string]: unknown;
}

describe("the deal id on every log line about a deal", () => {
  let t: TestNetwork;
  const lines: LogLine[] = [];

  before(async () => {
    const log = createLogger({ role: "test", level: "info", write: (line) => void lines.push(JSON.parse(line) as LogLine) });
    t = await startTestNetwork({ providers: [{ account: 4, modules: [shippedModuleId("cowsay:v1")] }], gateway: { port: 0 }, log });
  });
  after(() => t?.close());

  /** The lines of the role that wrote them (children add their role after the test logger's). */
  const about = (dealId: Hex) => lines.filter((l) => JSON.stringify(l).toLowerCase().includes(dealId.slice(2).toLowerCase()));
  const carries = (line: LogLine, dealId: Hex) =>
    line.dealId?.toLowerCase() === dealId.toLowerCase() || (line.dealIds ?? []).some((id) => id.toLowerCase() === dealId.toLowerCase());
  const storyOf = (dealId: Hex, role: string) => lines.filter((l) => l.role === role && carries(l, dealId)).map((l) => l.msg);

  it("a mediated job: the solver, the provider and the mediator each tell their part, every line with the deal id", async () => {
    const client = await t.client();
    const result = await client.run("cowsay:v1", { Message: "logged" }, { mediationChance: 1 });
    const { dealId } = result;
    // The last lines (the provider's and the solver's close) come a poll after the creator's.
    const deadline = Date.now() + 10_000;
    while (storyOf(dealId, "resource-provider").at(-1) !== "deal closed" || storyOf(dealId, "solver").at(-1) !== "job closed") {
      assert.ok(Date.now() < deadline, "the roles saw the deal close");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const line of about(dealId)) {
      if (line.req !== undefined || line.res !== undefined) continue;
      assert.ok(carries(line, dealId), `a line that names the deal carries its id: ${JSON.stringify(line)}`);
    }
    assert.deepEqual(storyOf(dealId, "solver"), ["job queued", "job matched", "job open", "job result-posted", "job challenged", "job closed"]);
    const provider = storyOf(dealId, "resource-provider");
    for (const msg of ["deal open on chain; running the job", "job done", "result posted", "deal closed"]) assert.ok(provider.includes(msg), `provider: ${msg} in ${provider.join(", ")}`);
    const mediator = storyOf(dealId, "mediator");
    for (const msg of ["challenged; mediating", "ruled"]) assert.ok(mediator.includes(msg), `mediator: ${msg} in ${mediator.join(", ")}`);
  });

  it("a job through the gateway: its lines carry the deal id", async () => {
    const submitted = await fetch(`${t.net.gatewayUrl}/api/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ module: "cowsay:v1", inputs: { Message: "logged by the gateway" } }),
    });
    const { id } = (await submitted.json()) as { id: Hex };
    const deadline = Date.now() + 30_000;
    while (!storyOf(id, "gateway").includes("job succeeded")) {
      assert.ok(Date.now() < deadline, `the gateway logged the job's end: ${storyOf(id, "gateway").join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(storyOf(id, "gateway"), ["job submitted", "job succeeded"]);
    for (const line of about(id)) if (line.req === undefined && line.res === undefined) assert.ok(carries(line, id), JSON.stringify(line));
  });
});
