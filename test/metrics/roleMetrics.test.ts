// A role's metrics on their own: what each recorder writes, read back through the real /metrics route (fastify on
// a real port) and the relay's metrics-only server, parsed as Prometheus text; two roles' registries share nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { PortInUseError } from "../../src/core/errors.ts";
import { METRICS_PATH, metricsRoutes } from "../../src/metrics/metricsRoutes.ts";
import { createRoleMetrics, errorCodeOf } from "../../src/metrics/roleMetrics.ts";
import { startMetricsServer } from "../../src/metrics/startMetricsServer.ts";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import { PROMETHEUS_CONTENT_TYPE, parsePrometheusText, sampleOf, samplesOf, scrape, valueOf } from "./prometheusText.ts";

describe("role metrics", () => {
  it("records each kind of figure under its lilypad_ name, labelled with the role", async () => {
    const metrics = createRoleMetrics({ role: "resource-provider" });
    metrics.job("running");
    metrics.job("posted", 3);
    metrics.matchLatency(0.3);
    metrics.sandboxRun({ module: "cowsay:v1", engine: "wasm", outcome: "ok", seconds: 0.02 });
    metrics.sandboxRun({ module: "cowsay:v1", engine: "wasm", outcome: "ok", seconds: 0.2 });
    metrics.transaction({ contract: "market", method: "postResults", status: "success", gasUsed: 180_000n });
    metrics.transaction({ contract: "market", method: "postResults", status: "reverted", gasUsed: 40_000n });
    metrics.transaction({ contract: "market", method: "decline", status: "failed" });
    metrics.chainProgress({ reachable: true, head: 120n, lastRead: 117n });
    metrics.error("MARKET_TX_FAILED");
    metrics.error("MARKET_TX_FAILED");
    let running = 2;
    metrics.jobsInState(() => ({ running, posted: 1 }));

    const s = parsePrometheusText(await metrics.registry.metrics());
    const role = { role: "resource-provider" };
    assert.equal(s.types.get("lilypad_jobs_total"), "counter");
    assert.equal(sampleOf(s, "lilypad_jobs_total", { ...role, state: "running" }).value, 1);
    assert.equal(sampleOf(s, "lilypad_jobs_total", { state: "posted" }).value, 3);
    assert.equal(s.types.get("lilypad_jobs"), "gauge");
    assert.equal(sampleOf(s, "lilypad_jobs", { ...role, state: "running" }).value, 2);
    assert.equal(s.types.get("lilypad_match_latency_seconds"), "histogram");
    assert.equal(sampleOf(s, "lilypad_match_latency_seconds_count", role).value, 1);
    assert.equal(sampleOf(s, "lilypad_match_latency_seconds_bucket", { le: "0.25" }).value, 0);
    assert.equal(sampleOf(s, "lilypad_match_latency_seconds_bucket", { le: "0.5" }).value, 1);
    const run = { module: "cowsay:v1", engine: "wasm", outcome: "ok" };
    assert.equal(sampleOf(s, "lilypad_sandbox_run_seconds_count", run).value, 2);
    assert.ok(Math.abs(sampleOf(s, "lilypad_sandbox_run_seconds_sum", run).value - 0.22) < 1e-9);
    assert.equal(sampleOf(s, "lilypad_sandbox_run_seconds_bucket", { ...run, le: "+Inf" }).value, 2);
    assert.equal(sampleOf(s, "lilypad_transactions_total", { contract: "market", method: "postResults", status: "success" }).value, 1);
    assert.equal(sampleOf(s, "lilypad_transactions_total", { method: "postResults", status: "reverted" }).value, 1);
    assert.equal(sampleOf(s, "lilypad_transactions_total", { method: "decline", status: "failed" }).value, 1);
    // Gas is what was mined, reverted or not; a transaction never mined used none.
    assert.equal(sampleOf(s, "lilypad_transaction_gas_used_sum", { method: "postResults" }).value, 220_000);
    assert.equal(sampleOf(s, "lilypad_transaction_gas_used_count", { method: "postResults" }).value, 2);
    assert.equal(samplesOf(s, "lilypad_transaction_gas_used_count", { method: "decline" }).length, 0);
    assert.equal(sampleOf(s, "lilypad_chain_lag_blocks", role).value, 3);
    assert.equal(sampleOf(s, "lilypad_chain_reachable", role).value, 1);
    assert.equal(sampleOf(s, "lilypad_errors_total", { code: "MARKET_TX_FAILED" }).value, 2);
    // Every lilypad_ sample carries the role.
    for (const sample of s.samples) assert.equal(sample.labels.role, "resource-provider", sample.name);
    // No process metrics unless asked for.
    assert.ok(s.samples.every((sample) => sample.name.startsWith("lilypad_")));

    // The gauge is read at each scrape; a state gone empty drops out.
    running = 0;
    metrics.jobsInState(() => ({ posted: 2 }));
    const again = parsePrometheusText(await metrics.registry.metrics());
    assert.equal(samplesOf(again, "lilypad_jobs", { state: "running" }).length, 0);
    assert.equal(sampleOf(again, "lilypad_jobs", { state: "posted" }).value, 2);
  });

  it("says the chain is unreachable, and keeps the last lag it knew", async () => {
    const metrics = createRoleMetrics({ role: "mediator" });
    metrics.chainProgress({ reachable: true, head: 10n, lastRead: 10n });
    metrics.chainProgress({ reachable: false });
    const s = parsePrometheusText(await metrics.registry.metrics());
    assert.equal(sampleOf(s, "lilypad_chain_reachable").value, 0);
    assert.equal(sampleOf(s, "lilypad_chain_lag_blocks").value, 0);
    // A cursor past the head (a chain younger than its confirmations) is no negative lag.
    metrics.chainProgress({ reachable: true, head: 1n, lastRead: 4n });
    assert.equal(sampleOf(parsePrometheusText(await metrics.registry.metrics()), "lilypad_chain_lag_blocks").value, 0);
  });

  it("keeps each role's figures in its own registry, and out of prom-client's global one", async () => {
    const { register } = await import("prom-client");
    const solver = createRoleMetrics({ role: "solver" });
    const provider = createRoleMetrics({ role: "resource-provider" });
    solver.job("open");
    solver.error("INVALID_BODY");
    const ofProvider = parsePrometheusText(await provider.registry.metrics());
    assert.equal(valueOf(ofProvider, "lilypad_jobs_total", { state: "open" }), 0);
    assert.equal(valueOf(ofProvider, "lilypad_errors_total", { code: "INVALID_BODY" }), 0);
    assert.equal(sampleOf(parsePrometheusText(await solver.registry.metrics()), "lilypad_jobs_total", { state: "open" }).value, 1);
    assert.equal(register.getSingleMetric("lilypad_jobs_total"), undefined, "nothing goes to the global registry");
  });

  it("adds the process's own metrics only when asked", async () => {
    const s = parsePrometheusText(await createRoleMetrics({ role: "jobcreator", processMetrics: true }).registry.metrics());
    assert.equal(s.types.get("process_cpu_user_seconds_total"), "counter");
    assert.equal(sampleOf(s, "process_cpu_user_seconds_total").labels.role, "jobcreator");
    assert.ok(s.types.has("nodejs_eventloop_lag_seconds"));
  });

  it("names an error by its stable code, never its message", () => {
    assert.equal(errorCodeOf(new InvalidArgumentError({ argument: "--port", message: "must be 0-65535" })), "INVALID_ARGUMENT");
    assert.equal(errorCodeOf(new Error("socket hang up at 10.0.0.7")), "INTERNAL");
    assert.equal(errorCodeOf("a string"), "INTERNAL");
  });
});

describe("GET /metrics", () => {
  it("serves the role's registry in the Prometheus text format from the role's own server", async () => {
    const metrics = createRoleMetrics({ role: "gateway" });
    metrics.job("submitted");
    const app = Fastify({ logger: false });
    await app.register(metricsRoutes, { metrics });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const s = await scrape(`${base}${METRICS_PATH}`);
      assert.equal(sampleOf(s, "lilypad_jobs_total", { role: "gateway", state: "submitted" }).value, 1);
      // A scrape reads the registry as it is now.
      metrics.job("submitted");
      assert.equal(sampleOf(await scrape(`${base}${METRICS_PATH}`), "lilypad_jobs_total", { state: "submitted" }).value, 2);
    } finally {
      await app.close();
    }
  });

  it("serves a role with no server of its own on a metrics-only server, and names the flag when the port is taken", async () => {
    const metrics = createRoleMetrics({ role: "jobcreator" });
    metrics.job("requested");
    const server = await startMetricsServer({ metrics, port: 0 });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await fetch(server.url);
      assert.equal(response.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
      assert.equal(sampleOf(parsePrometheusText(await response.text()), "lilypad_jobs_total", { role: "jobcreator", state: "requested" }).value, 1);
      assert.equal((await fetch(server.url.replace(/metrics$/, "other"))).status, 404, "it serves /metrics alone");
      const port = Number(new URL(server.url).port);
      await assert.rejects(startMetricsServer({ metrics, port }), (error: unknown) => {
        assert.ok(error instanceof PortInUseError);
        assert.equal(error.code, "PORT_IN_USE");
        assert.match(error.hint ?? "", /--metrics-port/);
        return true;
      });
    } finally {
      await server.close();
    }
  });
});
