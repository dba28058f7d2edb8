// `GET /metrics`: a role's registry in the Prometheus text format, on the role's own HTTP server. Two lines for any
// role: `const metrics = createRoleMetrics({ role })` and `await app.register(metricsRoutes, { metrics })`.
import type { FastifyPluginAsync } from "fastify";
import type { RoleMetrics } from "./roleMetrics.ts";

export interface MetricsRoutesOptions {
  metrics: Pick<RoleMetrics, "registry">;
}

/** Where every role serves its metrics. */
export const METRICS_PATH = "/metrics";

/**
 * Open, like a role's `/ipfs` and `/inputs`: the figures are counts and timings, no keys, deal ids or addresses.
 * An operator who does not want them public keeps the role on loopback or filters the path at its proxy.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics }) => {
  const { registry } = metrics;
  app.get(METRICS_PATH, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.header("content-type", registry.contentType).header("cache-control", "no-store").send(text);
  });
};
