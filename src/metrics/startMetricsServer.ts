// A server for `/metrics` alone, for a role with no HTTP server of its own (the on-chain job relay). Loopback by
// default: the figures are harmless, but a role that serves nothing else should not open a port to the world
// unasked.
import Fastify from "fastify";
import { ListenError, PortInUseError } from "../core/errors.ts";
import { METRICS_PATH, metricsRoutes } from "./metricsRoutes.ts";
import type { RoleMetrics } from "./roleMetrics.ts";

export interface StartMetricsServerParameters {
  metrics: Pick<RoleMetrics, "registry">;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The option that chose the port, named in the hint when it is taken (default --metrics-port). */
  flag?: string;
}

export interface RunningMetricsServer {
  /** Where the metrics are, e.g. http://127.0.0.1:8548/metrics. */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(params: StartMetricsServerParameters): Promise<RunningMetricsServer> {
  const host = params.host ?? "127.0.0.1";
  const app = Fastify({ logger: false });
  await app.register(metricsRoutes, { metrics: params.metrics });
  let base: string;
  try {
    base = await app.listen({ host, port: params.port });
  } catch (error) {
    await app.close().catch(() => {});
    if ((error as { code?: string }).code === "EADDRINUSE") throw new PortInUseError({ host, port: params.port, flag: params.flag ?? "--metrics-port", cause: error });
    throw new ListenError({ host, port: params.port, reason: error instanceof Error ? error.message : String(error), cause: error });
  }
  return { url: `${base}${METRICS_PATH}`, close: () => app.close() };
}
