// The solver's HTTP API and event sockets (fastify). Every route that acts for an address needs a signed request;
// a socket serves one address, proven by its first message. Bad input gets a 4xx with a stable code and never
// reaches the solver's state.
import websocket from "@fastify/websocket";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import type { Address } from "viem";
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { z } from "zod";
import { verifyRequest, type AuthScope } from "../core/api/requestAuth.ts";
import {
  API_PREFIX,
  EVENTS_PATH,
  HELLO_REQUEST,
  capacityBodySchema,
  type CapacityListing,
  clientMessageSchema,
  listSolverJobsQuerySchema,
  helloMessageSchema,
  submitJobBodySchema,
  type ServerMessage,
  type SolverHealth,
} from "../core/api/solverProtocol.ts";
import { toWireJson } from "../core/api/wire.ts";
import { bytes32Schema } from "../core/primitives.ts";
import type { ChainConnection } from "../chain/chainConnection.ts";
import type { Logger } from "../core/logger.ts";
import { Solver } from "./solver.ts";
import { SolverError } from "./solverError.ts";
import { authErrorCode, BUSY_RETRY_AFTER_SECONDS, SolverErrorCode } from "../core/api/solverErrors.ts";
import { SolverStore } from "./solverStore.ts";
import { advertisedUrlFor } from "../net/advertisedUrl.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cidStringSchema } from "../core/moduleManifest.ts";
import { carRoutes } from "../storage/carRoutes.ts";
import { createBlockstore } from "../storage/createBlockstore.ts";
import { CAR_CONTENT_TYPE } from "../storage/exportCar.ts";
import { importCar } from "../storage/importCar.ts";
import { metricsRoutes } from "../metrics/metricsRoutes.ts";
import { createRoleMetrics, type RoleMetrics } from "../metrics/roleMetrics.ts";

export interface StartSolverParameters {
  conn: ChainConnection;
  /** The SQLite file (":memory:" for a throwaway solver). */
  databasePath: string;
  log: Logger;
  host?: string;
  /** The URL parties reach it at (what `url` says, and what a role registers); default: the one it listens on. */
  publicUrl?: string;
  /** 0 picks a free port. */
  port?: number;
  now?: () => number;
  proposalTimeoutMs?: number;
  /**
   * Where the job creators' input files are kept for providers and mediators (default: a `blocks` folder beside
   * the database; a temporary one for ":memory:").
   */
  blocksPath?: string;
  /** The largest upload of one input file, as a CAR (default MAX_FILE_UPLOAD_BYTES). */
  maxUploadBytes?: number;
  /** The most bytes one account may upload in a day (default UPLOAD_QUOTA_BYTES): a full disk is nobody's job. */
  uploadQuotaBytes?: number;
  /** Where its figures go, served at /metrics (default: a registry of its own). */
  metrics?: RoleMetrics;
  /** Saturation bounds (see Solver): past them a submission is answered SOLVER_BUSY. */
  maxActiveJobs?: number;
  maxChecking?: number;
}

/** 1 GiB a day per account. */
export const UPLOAD_QUOTA_BYTES = 1 << 30;

/** Bytes taken per account over a sliding window (in memory: a restart forgives, which costs only disk). */
class UploadQuota {
  readonly #taken = new Map<string, { at: number; bytes: number }[]>();
  readonly limit: number;
  readonly windowSeconds: number;

  constructor(limit: number, windowSeconds: number) {
    this.limit = limit;
    this.windowSeconds = windowSeconds;
  }

  take(account: string, bytes: number, now: number): boolean {
    const recent = (this.#taken.get(account) ?? []).filter((t) => t.at > now - this.windowSeconds);
    const used = recent.reduce((sum, t) => sum + t.bytes, 0);
    if (used + bytes > this.limit) {
      this.#taken.set(account, recent);
      return false;
    }
    recent.push({ at: now, bytes });
    this.#taken.set(account, recent);
    return true;
  }
}

/** 64 MiB: an input file above that must come from a store the provider is told of (`--stores`). */
export const MAX_FILE_UPLOAD_BYTES = 64 << 20;

export interface RunningSolver {
  url: string;
  solver: Solver;
  metrics: RoleMetrics;
  /** Connected, authenticated event sockets. */
  socketCount(): number;
  close(): Promise<void>;
}

const HELLO_TIMEOUT_MS = 5000;

declare module "fastify" {
  interface FastifyRequest {
    rawBody?: string | Uint8Array;
    signer?: Address;
  }
}

export async function startSolver(params: StartSolverParameters): Promise<RunningSolver> {
  const { conn, log } = params;
  const now = params.now ?? (() => Math.floor(Date.now() / 1000));
  const scope: AuthScope = { chainId: conn.network.chainId, market: conn.network.contracts.market };
  const advertise = advertisedUrlFor({ host: params.host, publicUrl: params.publicUrl });
  const store = new SolverStore(params.databasePath);
  const temporaryBlocks = params.blocksPath === undefined && params.databasePath === ":memory:" ? await mkdtemp(join(tmpdir(), "lilypad-solver-blocks-")) : undefined;
  const blockstore = await createBlockstore({ path: params.blocksPath ?? temporaryBlocks ?? join(dirname(params.databasePath), "blocks") });
  const maxUploadBytes = params.maxUploadBytes ?? MAX_FILE_UPLOAD_BYTES;
  const uploadQuotaBytes = params.uploadQuotaBytes ?? UPLOAD_QUOTA_BYTES;
  const uploads = new UploadQuota(uploadQuotaBytes, 24 * 3600);
  const sockets = new Map<Address, Set<WebSocket>>();
  const seenNonce = (address: Address, nonce: string, expiry: number) => !store.recordNonce(address, nonce, expiry);
  const send = coalescingSender();
  const metrics = params.metrics ?? createRoleMetrics({ role: "solver" });

  const solver = new Solver({
    conn,
    store,
    log,
    metrics,
    now,
    proposalTimeoutMs: params.proposalTimeoutMs,
    maxActiveJobs: params.maxActiveJobs,
    maxChecking: params.maxChecking,
    isConnected: (address) => (sockets.get(address)?.size ?? 0) > 0,
    deliver: (address, message) => {
      const open = sockets.get(address);
      if (!open || open.size === 0) return;
      const text = toWireJson(message);
      for (const socket of open) if (socket.readyState === socket.OPEN) send(socket, text);
    },
  });

  const app = Fastify({ loggerInstance: log.child({ component: "http" }), bodyLimit: 1 << 20 });
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, body === "" ? undefined : JSON.parse(body as string));
    } catch {
      done(new SolverError(SolverErrorCode.invalidJson, "the body is not valid JSON"), undefined);
    }
  });
  // Every error answer goes out through here, so each is counted by its code once.
  const answerError = (reply: FastifyReply, status: number, code: SolverErrorCode, message: string) => {
    metrics.error(code);
    if (code === SolverErrorCode.solverBusy) reply.header("retry-after", String(BUSY_RETRY_AFTER_SECONDS));
    return reply.status(status).send({ code, message });
  };
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof SolverError) return answerError(reply, error.status, error.code, error.message);
    if (error instanceof z.ZodError) return answerError(reply, 400, SolverErrorCode.invalidBody, describeZodError(error));
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status < 500) {
      // fastify's own refusals (a body too large, a bad content type) keep their status under one code.
      return answerError(reply, status, SolverErrorCode.badRequest, (error as Error).message);
    }
    request.log.error({ err: error, dealId: (request.params as { dealId?: string } | undefined)?.dealId }, "request failed");
    return answerError(reply, 500, SolverErrorCode.internal, "the solver failed to handle this request");
  });

  // Like every other error answer, an unknown route gets a code and a message (fastify's default has no code).
  app.setNotFoundHandler((request, reply) => answerError(reply, 404, SolverErrorCode.notFound, `no route ${request.method} ${request.url.split("?")[0]}`));
  await app.register(metricsRoutes, { metrics });

  const authenticate = async (request: FastifyRequest): Promise<Address> => {
    const result = await verifyRequest({
      headers: request.headers,
      scope,
      request: { method: request.method, path: request.url, body: request.rawBody ?? "" },
      now: now(),
      seenNonce,
    });
    if (!result.ok) throw new SolverError(authErrorCode(result.failure), result.detail);
    return result.address;
  };

  await app.register(websocket, { options: { maxPayload: 1 << 20 } });

  // Input files: a job creator leaves each file's DAG here as one CAR (every block checked against its CID), and
  // anyone who knows the CID reads it back the way a provider serves results (GET /ipfs/:cid?format=car).
  app.addContentTypeParser(CAR_CONTENT_TYPE.split(";")[0]!, { parseAs: "buffer", bodyLimit: maxUploadBytes }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, body);
  });
  app.put<{ Params: { cid: string } }>(`${API_PREFIX}/content/:cid`, async (request, reply) => {
    const uploader = await authenticate(request);
    const size = request.body instanceof Uint8Array ? request.body.byteLength : 0;
    if (!uploads.take(uploader, size, now())) {
      throw new SolverError(SolverErrorCode.uploadQuota, `${uploader} uploaded ${uploadQuotaBytes} bytes in the last day, the most this solver keeps for one account; try again later`);
    }
    const cid = cidStringSchema.safeParse(request.params.cid);
    if (!cid.success) throw new SolverError(SolverErrorCode.invalidFile, `${request.params.cid} is not a CID`);
    if (!(request.body instanceof Uint8Array)) throw new SolverError(SolverErrorCode.invalidFile, `the body must be a CAR (content-type ${CAR_CONTENT_TYPE})`);
    try {
      await importCar({ blockstore, car: [request.body], expectedRoot: cid.data, maxBytes: maxUploadBytes });
    } catch (error) {
      throw new SolverError(SolverErrorCode.invalidFile, `the CAR does not hold ${cid.data}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return reply.status(204).send();
  });
  await app.register(carRoutes, { blockstore });

  app.get(`${API_PREFIX}/health`, async (): Promise<SolverHealth> => ({
    ok: true,
    chainId: conn.network.chainId,
    market: conn.network.contracts.market,
    solver: conn.address,
  }));

  app.post(`${API_PREFIX}/jobs`, async (request, reply) => {
    const submitter = await authenticate(request);
    const body = submitJobBodySchema.parse(request.body);
    const record = await solver.submitJob(submitter, body);
    await store.committed();
    return reply.status(201).type("application/json").send(toWireJson(record));
  });

  app.get(`${API_PREFIX}/jobs`, async (request, reply) => {
    const reader = await authenticate(request);
    const { limit, status, moduleId, since } = listSolverJobsQuerySchema.parse(request.query);
    return reply.type("application/json").send(toWireJson({ jobs: solver.listJobs(reader, limit, { statuses: status, moduleId, since }) }));
  });

  app.get(`${API_PREFIX}/jobs/:dealId`, async (request, reply) => {
    const reader = await authenticate(request);
    const { dealId } = z.object({ dealId: bytes32Schema }).parse(request.params);
    const job = solver.getJob(dealId);
    if (!job) throw new SolverError(SolverErrorCode.notFound, `no job ${dealId}`);
    if (!solver.mayRead(job, reader)) throw new SolverError(SolverErrorCode.forbidden, `${reader} is not a party to job ${dealId}`);
    return reply.type("application/json").send(toWireJson({ record: job.record, offer: job.body.offer, timeline: solver.timelineOf(dealId) }));
  });

  app.get(`${API_PREFIX}/jobs/:dealId/logs`, async (request, reply) => {
    const reader = await authenticate(request);
    const { dealId } = z.object({ dealId: bytes32Schema }).parse(request.params);
    const job = solver.getJob(dealId);
    if (!job) throw new SolverError(SolverErrorCode.notFound, `no job ${dealId}`);
    if (!solver.mayRead(job, reader)) throw new SolverError(SolverErrorCode.forbidden, `${reader} is not a party to job ${dealId}`);
    const { after } = z.object({ after: z.coerce.number().int().min(-1).default(-1) }).parse(request.query);
    return reply.send({ lines: solver.logsOf(dealId, after) });
  });

  app.put(`${API_PREFIX}/capacity`, async (request, reply) => {
    const provider = await authenticate(request);
    await solver.putCapacity(provider, capacityBodySchema.parse(request.body));
    await store.committed();
    return reply.status(204).send();
  });

  app.get(`${API_PREFIX}/capacity`, async (_request, reply) => {
    const listing: CapacityListing = { offers: solver.standingOffers() };
    return reply.type("application/json").send(toWireJson(listing));
  });

  app.get(EVENTS_PATH, { websocket: true }, (socket) => {
    let address: Address | undefined;
    const hello = setTimeout(() => socket.close(4001, "no hello"), HELLO_TIMEOUT_MS);
    const send = (message: ServerMessage) => {
      if (message.type === "error") metrics.error(message.code);
      socket.send(toWireJson(message));
    };
    socket.on("message", (data: Buffer) => {
      void (async () => {
        let json: unknown;
        try {
          json = JSON.parse(data.toString("utf8"));
        } catch {
          send({ type: "error", code: SolverErrorCode.invalidJson, message: "a message must be one JSON object" });
          return;
        }
        if (!address) {
          const parsed = helloMessageSchema.safeParse(json);
          if (!parsed.success) {
            socket.close(4001, "the first message must be a signed hello");
            return;
          }
          const { auth } = parsed.data;
          const result = await verifyRequest({
            headers: { "x-lilypad-address": auth.address, "x-lilypad-nonce": auth.nonce, "x-lilypad-expiry": String(auth.expiry), "x-lilypad-signature": auth.signature },
            scope,
            request: HELLO_REQUEST,
            now: now(),
            seenNonce,
          });
          if (!result.ok) {
            metrics.error(authErrorCode(result.failure));
            socket.close(4003, `hello refused: ${result.failure}`);
            return;
          }
          clearTimeout(hello);
          address = result.address;
          const set = sockets.get(address) ?? new Set();
          set.add(socket);
          sockets.set(address, set);
          send({ type: "welcome", address });
          return;
        }
        const parsed = clientMessageSchema.safeParse(json);
        if (!parsed.success) {
          send({ type: "error", code: SolverErrorCode.invalidMessage, message: describeZodError(parsed.error) });
          return;
        }
        const message = parsed.data;
        const requestId = message.type === "job.submit" ? message.requestId : undefined;
        try {
          if (message.type === "job.submit") {
            const record = await solver.submitJob(address, message.job);
            await store.committed();
            send({ type: "job.submitted", requestId: message.requestId, record });
          } else await solver.onClientMessage(address, message);
        } catch (error) {
          if (error instanceof SolverError) send({ type: "error", code: error.code, message: error.message, requestId });
          else {
            log.error({ err: String(error), type: message.type, dealId: "dealId" in message ? message.dealId : undefined }, "socket message failed");
            send({ type: "error", code: SolverErrorCode.internal, message: "the solver failed to handle this message", requestId });
          }
        }
      })();
    });
    socket.on("close", () => {
      clearTimeout(hello);
      if (address) sockets.get(address)?.delete(socket);
    });
    socket.on("error", () => socket.terminate());
  });

  await solver.start();
  const address = await app.listen({ host: params.host ?? "127.0.0.1", port: params.port ?? 0 });
  return {
    url: advertise(address),
    solver,
    metrics,
    socketCount: () => [...sockets.values()].reduce((n, s) => n + s.size, 0),
    close: async () => {
      await solver.stop();
      for (const set of sockets.values()) for (const s of set) s.terminate();
      await app.close();
      store.close();
      blockstore.close();
      if (temporaryBlocks) await rm(temporaryBlocks, { recursive: true, force: true });
    },
  };
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
}

/**
 * Sends over a client's socket, holding the TCP writes of one turn of the event loop together: a batch of deals
 * opened, or a round of matching, tells the same few parties many things at once, and one write (one syscall, one
 * wake-up of the reader) for all of them costs a fraction of one per message. ws writes each frame to the socket
 * under it, which Node coalesces while it is corked; that socket is ws's `_socket`, not part of its typed API.
 */
function coalescingSender(): (socket: WebSocket, text: string) => void {
  const corked = new Set<Socket>();
  const flush = () => {
    for (const raw of corked) raw.uncork();
    corked.clear();
  };
  return (socket, text) => {
    const raw = (socket as unknown as { _socket?: Socket })._socket;
    if (raw && !corked.has(raw)) {
      if (corked.size === 0) setImmediate(flush);
      raw.cork();
      corked.add(raw);
    }
    socket.send(text);
  };
}
