// The job gateway: an HTTP API for applications that hold no keys. An app POSTs a module and its inputs; the gateway
// runs the job with its own LilypadClient (signs the offer, follows the deal, verifies and accepts the result) and
// the app polls the job until it succeeds or fails, then reads the result files from the gateway's `/ipfs/...`.
//
//   POST /api/v1/jobs       { module, inputs, mediationChance? }  -> 202 the job (id = its deal id)
//   GET  /api/v1/jobs/:id   -> 200 the job, 404 NOT_FOUND
//   GET  /api/v1/jobs       -> recent jobs, newest first (?limit=N&status=S)
//   GET  /api/v1/health     -> always open
//   GET  /ipfs/:cid[/path]  -> result files and CARs (src/storage/carRoutes.ts), open: CIDs name content, not people
//   GET  /metrics           -> Prometheus metrics (docs/operators.md), open: counts and timings only
//
// The gateway's account pays for every job anyone sends it. On any host but loopback, set `apiKey`: then every
// /api route except health needs `authorization: Bearer <key>`. Jobs are kept in memory (the last `maxJobs`); a
// restart forgets them, though their deals stay on chain and their results in the blockstore.
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyError, type FastifyReply } from "fastify";
import { z } from "zod";
import {
  GATEWAY_API_PREFIX,
  GATEWAY_INLINE_STDOUT_BYTES,
  createJobBodySchema,
  describeGatewayZodError,
  listJobsQuerySchema,
  type GatewayJobEvent,
  type GatewayJobWire,
} from "../core/api/gatewayProtocol.ts";
import { toWireJson } from "../core/api/wire.ts";
import { InvalidInputError, InvalidManifestError, LilypadError, ListenError, PortInUseError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { InvalidModuleNameError } from "../core/moduleName.ts";
import { isExactlyMetered } from "../core/moduleManifest.ts";
import { ModuleNameMismatchError, UnknownModuleError } from "../modules/errors.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { metricsRoutes } from "../metrics/metricsRoutes.ts";
import { createRoleMetrics, type RoleMetrics } from "../metrics/roleMetrics.ts";
import { addBytes } from "../storage/addBytes.ts";
import { carRoutes } from "../storage/carRoutes.ts";
import type { JobEvent } from "./jobEvents.ts";
import type { JobHandle, JobResult, LilypadClient } from "./lilypadClient.ts";

export interface StartGatewayParameters {
  /** Runs every job; its account pays. */
  client: LilypadClient;
  /** Where the client keeps downloaded results (served under /ipfs). */
  blockstore: Blockstore;
  log: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** When set, /api routes other than health need `authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Jobs kept in memory; past this the oldest finished ones are forgotten first. Default 10,000. */
  maxJobs?: number;
  /** The largest input file one upload may carry (default 64 MiB, what the solver takes). */
  maxUploadBytes?: number;
  /**
   * Where its figures go, served at /metrics (default: a registry of its own). The client's transactions are counted
   * when its connection carries `metrics.transaction` as observer (withTransactionObserver): the client is built
   * before the gateway, by whoever starts both.
   */
  metrics?: RoleMetrics;
}

export interface RunningGateway {
  url: string;
  metrics: RoleMetrics;
  close(): Promise<void>;
}

const DEFAULT_MAX_JOBS = 10_000;
const DEFAULT_MAX_UPLOAD_BYTES = 64 << 20;
/** Per job: the lifecycle events are always kept, log lines only up to this many events in all. */
const MAX_EVENTS = 500;
const MAX_DETAIL_CHARS = 2000;

/** A 4xx (or 5xx) answer with a stable code. */
class GatewayRequestError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint: string | undefined;

  constructor(params: { code: string; message: string; status: number; hint?: string }) {
    super(params.message);
    this.name = "GatewayRequestError";
    this.code = params.code;
    this.status = params.status;
    this.hint = params.hint;
  }
}

interface KeptJob {
  job: GatewayJobWire;
  droppedLogs: number;
}

export async function startGateway(params: StartGatewayParameters): Promise<RunningGateway> {
  const { client, log } = params;
  const host = params.host ?? "127.0.0.1";
  const port = params.port ?? 0;
  const maxJobs = params.maxJobs ?? DEFAULT_MAX_JOBS;
  if (!Number.isInteger(maxJobs) || maxJobs < 1) throw new RangeError(`maxJobs must be a positive integer, got ${maxJobs}`);
  if (params.apiKey !== undefined && params.apiKey.length === 0) throw new RangeError("apiKey must not be empty");
  const expectedKey = params.apiKey === undefined ? undefined : sha256(params.apiKey);
  if (!expectedKey && !isLoopback(host)) {
    log.warn({ host }, "the gateway listens beyond loopback without an API key: anyone who reaches it spends its account's funds");
  }

  /** Insertion order is creation order: the first entries are the oldest. */
  const jobs = new Map<string, KeptJob>();
  let running = 0;
  const metrics = params.metrics ?? createRoleMetrics({ role: "gateway" });
  metrics.jobsInState(() => ({ running }));

  const keep = (kept: KeptJob) => {
    while (jobs.size >= maxJobs) {
      let victim: string | undefined;
      for (const [id, k] of jobs) {
        if (k.job.status !== "running") {
          victim = id;
          break;
        }
      }
      // All running (maxJobs is below the client's lanes): forget the oldest; it still runs and settles.
      victim ??= jobs.keys().next().value;
      if (victim === undefined) break;
      jobs.delete(victim);
    }
    jobs.set(kept.job.id, kept);
  };

  const maxUploadBytes = params.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const app = Fastify({ loggerInstance: log.child({ component: "gateway" }), bodyLimit: 4 << 20 });
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    let parsed: unknown;
    try {
      parsed = body === "" ? undefined : JSON.parse(body as string, refuseProtoKeys);
    } catch (error) {
      done(error instanceof GatewayRequestError ? error : new GatewayRequestError({ code: "INVALID_JSON", message: "the body is not valid JSON", status: 400 }), undefined);
      return;
    }
    done(null, parsed);
  });
  // Every error answer goes out through here, so each is counted by its code once.
  const answerError = (reply: FastifyReply, status: number, body: { code: string; message: string; hint?: string }) => {
    metrics.error(body.code);
    return reply.status(status).send(body);
  };
  app.setErrorHandler((error: FastifyError | GatewayRequestError | z.ZodError, request, reply) => {
    if (error instanceof GatewayRequestError) {
      return answerError(reply, error.status, { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    }
    if (error instanceof z.ZodError) return answerError(reply, 400, { code: "INVALID_BODY", message: describeGatewayZodError(error) });
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return answerError(reply, status, { code: (error as FastifyError).code ?? "BAD_REQUEST", message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return answerError(reply, 500, { code: "INTERNAL", message: "the gateway failed to handle this request" });
  });
  app.setNotFoundHandler((request, reply) => answerError(reply, 404, { code: "NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}` }));

  const healthPath = `${GATEWAY_API_PREFIX}/health`;
  app.addHook("onRequest", async (request, reply) => {
    if (!expectedKey) return;
    // The matched route, not the raw URL: no spelling of a path can reach a /api route without the key.
    const route = request.routeOptions.url;
    if (route === undefined || route === healthPath || !route.startsWith("/api/")) return;
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? "");
    if (match && timingSafeEqual(sha256(match[1] ?? ""), expectedKey)) return;
    reply.header("www-authenticate", 'Bearer realm="lilypad-gateway"');
    throw new GatewayRequestError({ code: "UNAUTHORIZED", message: "this gateway needs authorization: Bearer <api key>", status: 401 });
  });

  await app.register(carRoutes, { blockstore: params.blockstore });
  await app.register(metricsRoutes, { metrics });

  app.get(healthPath, async () => ({
    ok: true,
    payer: client.address,
    jobs: { running, kept: jobs.size },
  }));

  // A job's input file, uploaded as raw bytes; a job then names it by the CID answered (the gateway reads no path).
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: maxUploadBytes }, (_request, body, done) => done(null, body));
  app.post(`${GATEWAY_API_PREFIX}/uploads`, async (request, reply) => {
    if (!(request.body instanceof Uint8Array)) {
      throw new GatewayRequestError({ code: "INVALID_BODY", message: "an upload is the file's bytes, with content-type application/octet-stream", status: 415 });
    }
    const { cid } = await addBytes({ blockstore: params.blockstore, bytes: request.body });
    return reply.status(201).send({ cid: cid.toString(), bytes: request.body.byteLength });
  });

  app.post(`${GATEWAY_API_PREFIX}/jobs`, async (request, reply) => {
    const parsed = createJobBodySchema.safeParse(request.body);
    if (!parsed.success) throw new GatewayRequestError({ code: "INVALID_BODY", message: describeGatewayZodError(parsed.error), status: 400 });
    const body = parsed.data;
    let handle: JobHandle;
    try {
      handle = await client.submit(body.module, body.inputs, { mediationChance: body.mediationChance });
    } catch (error) {
      throw submitError(error, request.log);
    }
    const kept: KeptJob = {
      job: { id: handle.dealId, module: body.module, status: "running", dealId: handle.dealId, events: [], createdAt: Date.now() },
      droppedLogs: 0,
    };
    keep(kept);
    running++;
    metrics.job("submitted");
    // Every line of a job's story carries its deal id.
    const jobLog = log.child({ dealId: handle.dealId });
    jobLog.info({ module: body.module }, "job submitted");
    handle.events.on((event) => addEvent(kept, event));
    handle.result.then(
      (result) => {
        running--;
        metrics.job("succeeded");
        jobLog.info({ resultCid: result.resultCid, provider: result.provider, outcome: result.outcome }, "job succeeded");
        finish(kept, { status: "succeeded", result: resultView(result), module: result.module });
      },
      (error: unknown) => {
        running--;
        const code = error instanceof LilypadError ? error.code : "INTERNAL";
        const message = error instanceof Error ? error.message : String(error);
        metrics.job("failed");
        if (error instanceof LilypadError) jobLog.info({ code, reason: message }, "job failed");
        else {
          metrics.error("INTERNAL");
          jobLog.error({ err: error }, "job failed unexpectedly");
        }
        finish(kept, { status: "failed", error: { code, message } });
      },
    );
    return reply.status(202).type("application/json").send(toWireJson(kept.job));
  });

  app.get(`${GATEWAY_API_PREFIX}/jobs`, async (request, reply) => {
    const parsed = listJobsQuerySchema.safeParse(request.query);
    if (!parsed.success) throw new GatewayRequestError({ code: "INVALID_QUERY", message: describeGatewayZodError(parsed.error), status: 400 });
    const { limit, status } = parsed.data;
    const list: GatewayJobWire[] = [];
    const all = [...jobs.values()];
    for (let i = all.length - 1; i >= 0 && list.length < limit; i--) {
      const job = all[i]!.job;
      if (!status || job.status === status) list.push(job);
    }
    return reply.type("application/json").send(toWireJson({ jobs: list }));
  });

  app.get<{ Params: { id: string } }>(`${GATEWAY_API_PREFIX}/jobs/:id`, async (request, reply) => {
    const id = request.params.id.toLowerCase();
    const kept = jobs.get(id);
    if (!kept) throw new GatewayRequestError({ code: "NOT_FOUND", message: `no job ${id.slice(0, 80)} on this gateway`, status: 404 });
    return reply.type("application/json").send(toWireJson(kept.job));
  });

  let url: string;
  try {
    url = await app.listen({ host, port });
  } catch (error) {
    await app.close().catch(() => {});
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE") throw new PortInUseError({ host, port, cause: error });
    throw new ListenError({ host, port, reason: error instanceof Error ? error.message : String(error), cause: error });
  }
  log.info({ url, payer: client.address, apiKey: expectedKey !== undefined }, "gateway listening");
  return {
    url,
    metrics,
    // Jobs in flight keep running in the client (and settle on chain); only the HTTP side stops.
    close: () => app.close(),
  };
}

/** Errors from `client.submit`: the app's mistakes are 400s; the network's are 502s; ours are 500s. */
function submitError(error: unknown, log: Logger): GatewayRequestError {
  if (
    error instanceof InvalidInputError ||
    error instanceof UnknownModuleError ||
    error instanceof InvalidManifestError ||
    error instanceof InvalidModuleNameError ||
    error instanceof ModuleNameMismatchError
  ) {
    return new GatewayRequestError({ code: error.code, message: error.message, status: 400, hint: error.hint });
  }
  if (error instanceof LilypadError) {
    log.warn({ err: error }, "job submission failed");
    return new GatewayRequestError({ code: error.code, message: error.message, status: 502, hint: error.hint });
  }
  log.error({ err: error }, "job submission failed");
  return new GatewayRequestError({ code: "INTERNAL", message: "the gateway failed to submit the job", status: 500 });
}

function addEvent(kept: KeptJob, event: JobEvent): void {
  const events = kept.job.events as GatewayJobEvent[];
  if (event.type === "log" && events.length >= MAX_EVENTS) {
    kept.droppedLogs++;
    return;
  }
  const detail = eventDetail(event);
  events.push({ type: event.type, at: Date.now(), ...(detail === undefined ? {} : { detail: detail.slice(0, MAX_DETAIL_CHARS) }) });
}

function eventDetail(event: JobEvent): string | undefined {
  switch (event.type) {
    case "submitted":
      return event.dealId;
    case "deal-opened":
      return `provider ${event.provider}, tx ${event.txHash}`;
    case "log":
      return event.line;
    case "result-posted":
      // A js module's run counts nothing (priced per run): its 0 is no measurement.
      return isExactlyMetered(event.engine) ? `${event.result.instructions} instructions` : "not metered (priced per run)";
    case "downloaded":
      return event.resultCid;
    case "challenged":
      return event.reason;
    case "awaiting-result":
      return `result deadline in ${event.secondsLeft} s`;
    case "waiting":
      return event.for === "solver" ? `solver saturated, submitting again in ${event.retryInSeconds} s` : event.for;
    case "closed":
      return `outcome ${event.outcome}`;
    default:
      return undefined;
  }
}

function finish(kept: KeptJob, update: Partial<GatewayJobWire>): void {
  if (kept.droppedLogs > 0) {
    (kept.job.events as GatewayJobEvent[]).push({ type: "log", at: Date.now(), detail: `${kept.droppedLogs} more log lines were not kept` });
  }
  Object.assign(kept.job, update, { finishedAt: Date.now() });
}

function resultView(result: JobResult): NonNullable<GatewayJobWire["result"]> {
  const truncated = result.stdout.length > GATEWAY_INLINE_STDOUT_BYTES;
  let end = Math.min(result.stdout.length, GATEWAY_INLINE_STDOUT_BYTES);
  // Cut on a character boundary: back off over UTF-8 continuation bytes.
  if (truncated) while (end > 0 && ((result.stdout[end] ?? 0) & 0xc0) === 0x80) end--;
  return {
    resultCid: result.resultCid,
    stdout: new TextDecoder().decode(result.stdout.subarray(0, end)),
    ...(truncated ? { stdoutTruncated: true } : {}),
    instructions: result.instructions.toString(),
    paid: result.paid.toString(),
    provider: result.provider,
    outcome: result.outcome,
    filesUrl: `/ipfs/${result.resultCid}`,
  };
}

/** JSON.parse reviver: a "__proto__" key is refused rather than left to whatever handles the object next. */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === "__proto__") throw new GatewayRequestError({ code: "INVALID_JSON", message: 'the body may not contain a "__proto__" key', status: 400 });
  return value;
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
