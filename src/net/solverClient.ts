// The parties' side of the solver's API: signed HTTP requests, and an event socket that proves its address with a
// signed hello and reconnects with back-off when the solver goes away.
import type { Address, Hex, LocalAccount } from "viem";
import WebSocket from "ws";
import { authHeaders, signRequest, type AuthScope } from "../core/api/requestAuth.ts";
import {
  API_PREFIX,
  solverHealthSchema,
  type SolverHealth,
  EVENTS_PATH,
  HELLO_REQUEST,
  apiErrorSchema,
  jobRecordSchema,
  serverMessageSchema,
  storedJobSchema,
  jobLogsAnswerSchema,
  type CapacityBodyInput,
  type ClientMessage,
  type JobLogEntry,
  type JobRecord,
  type StoredJob,
  type ServerMessage,
  type SubmitJobBodyInput,
} from "../core/api/solverProtocol.ts";
import { toWireJson } from "../core/api/wire.ts";
import { LilypadError } from "../core/errors.ts";
import { CAR_CONTENT_TYPE } from "../storage/exportCar.ts";

/** The solver answered with an error (or could not be reached: code SOLVER_UNREACHABLE). */
export class SolverRequestError extends LilypadError {
  readonly status: number;

  constructor(params: { code: string; message: string; status: number; cause?: unknown }) {
    super({ code: params.code, message: params.message, cause: params.cause });
    this.name = "SolverRequestError";
    this.status = params.status;
  }
}

/** Which of the signer's jobs to list (GET /api/v1/jobs). */
export interface ListJobsParameters {
  limit?: number;
  /** Comma-separated statuses. */
  status?: string;
  moduleId?: Hex;
  /** Submitted at or after (unix seconds). */
  since?: number;
}

/** A request the solver has not answered in this long is treated as lost. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface SolverClientParameters {
  /** e.g. http://127.0.0.1:8546 */
  url: string;
  account: LocalAccount;
  scope: AuthScope;
  /** Unix seconds, for signing (the devnet's chain clock may run ahead of the machine's). */
  now?: () => number;
}

export interface EventStream {
  send(message: ClientMessage): void;
  /** Submits a job over the socket (no per-request signature: the socket is authenticated). */
  submitJob(job: SubmitJobBodyInput): Promise<JobRecord>;
  /** Resolves once the socket is open and welcomed (again, after a reconnect). */
  ready(): Promise<void>;
  close(): void;
}

export interface SubscribeParameters {
  onMessage: (message: ServerMessage) => void;
  /** Called after every (re)connection is welcomed: a provider re-sends its capacity here. */
  onConnected?: () => void;
  onDisconnected?: (reason: string, retryInMs: number) => void;
}

export class SolverClient {
  readonly url: string;
  readonly address: Address;
  readonly #p: SolverClientParameters;
  readonly #now: () => number;

  constructor(params: SolverClientParameters) {
    this.#p = params;
    this.url = params.url.replace(/\/+$/, "");
    this.address = params.account.address;
    this.#now = params.now ?? (() => Math.floor(Date.now() / 1000));
  }

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.#send(method, path, body === undefined ? undefined : { bytes: toWireJson(body), contentType: "application/json" });
  }

  async #send(method: string, path: string, payload: { bytes: string | Uint8Array; contentType: string } | undefined): Promise<unknown> {
    const auth = await signRequest({ account: this.#p.account, scope: this.#p.scope, request: { method, path, body: payload?.bytes ?? "" }, now: this.#now() });
    let response: Response;
    let raw: string;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { ...authHeaders(auth), ...(payload === undefined ? {} : { "content-type": payload.contentType }) },
        // A Uint8Array is a valid fetch body; the DOM typings only name ArrayBuffer-backed ones.
        body: payload?.bytes as string | Uint8Array<ArrayBuffer> | undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      raw = await response.text();
    } catch (cause) {
      throw new SolverRequestError({ code: "SOLVER_UNREACHABLE", message: `cannot reach the solver at ${this.url}`, status: 0, cause });
    }
    let json: unknown;
    try {
      json = raw === "" ? undefined : JSON.parse(raw);
    } catch (cause) {
      throw new SolverRequestError({ code: `HTTP_${response.status}`, message: `the solver answered ${response.status} with a body that is not JSON`, status: response.status, cause });
    }
    if (!response.ok) {
      const error = apiErrorSchema.safeParse(json);
      throw new SolverRequestError({
        code: error.success ? error.data.code : `HTTP_${response.status}`,
        message: error.success ? error.data.message : `the solver answered ${response.status}`,
        status: response.status,
      });
    }
    return json;
  }

  async health(): Promise<SolverHealth> {
    return solverHealthSchema.parse(await this.request("GET", `${API_PREFIX}/health`));
  }

  async submitJob(body: SubmitJobBodyInput): Promise<JobRecord> {
    return jobRecordSchema.parse(await this.request("POST", `${API_PREFIX}/jobs`, body));
  }

  async getJob(dealId: Hex): Promise<StoredJob> {
    return storedJobSchema.parse(await this.request("GET", `${API_PREFIX}/jobs/${dealId}`));
  }

  /** The signer's newest jobs (a number: how many), narrowed by status, module id or submission time. */
  async listJobs(query: number | ListJobsParameters = 50): Promise<JobRecord[]> {
    const { limit = 50, status, moduleId, since } = typeof query === "number" ? { limit: query } : query;
    const params = new URLSearchParams({ limit: String(limit) });
    if (status !== undefined && status.length > 0) params.set("status", status);
    if (moduleId !== undefined) params.set("moduleId", moduleId);
    if (since !== undefined) params.set("since", String(since));
    const json = (await this.request("GET", `${API_PREFIX}/jobs?${params.toString()}`)) as { jobs: unknown[] };
    return json.jobs.map((j) => jobRecordSchema.parse(j));
  }

  /** A job's status lines and live output chunks, those numbered above `after` when it is given. */
  async jobLogs(dealId: Hex, after?: number): Promise<JobLogEntry[]> {
    const query = after === undefined ? "" : `?after=${after}`;
    return jobLogsAnswerSchema.parse(await this.request("GET", `${API_PREFIX}/jobs/${dealId}/logs${query}`)).lines;
  }

  async putCapacity(body: CapacityBodyInput): Promise<void> {
    await this.request("PUT", `${API_PREFIX}/capacity`, body);
  }

  /** Leaves a job's input file with the solver (its whole DAG as one CAR), for the deal's provider and mediator. */
  async uploadContent(cid: string, car: Uint8Array): Promise<void> {
    await this.#send("PUT", `${API_PREFIX}/content/${cid}`, { bytes: car, contentType: CAR_CONTENT_TYPE });
  }

  /** Opens the event socket for this client's address; it reconnects until closed. */
  subscribe(params: SubscribeParameters): EventStream {
    const wsUrl = `${this.url.replace(/^http/, "ws")}${EVENTS_PATH}`;
    let socket: WebSocket | undefined;
    let closed = false;
    let nextRequest = 0;
    const pending = new Map<string, { resolve: (record: JobRecord) => void; reject: (error: unknown) => void }>();
    let failures = 0;
    const nextWelcome = () => {
      let settle!: () => void;
      const welcome = { promise: new Promise<void>((r) => (settle = r)), done: false, resolve: () => {} };
      welcome.resolve = () => {
        welcome.done = true;
        settle();
      };
      return welcome;
    };
    let welcomed = nextWelcome();
    // Callers may be waiting on the current promise (a failed reconnect must not strand them): a new one only
    // once the last was resolved by a welcome.
    const resetReady = () => {
      if (welcomed.done) welcomed = nextWelcome();
    };
    const connect = () => {
      if (closed) return;
      const ws = new WebSocket(wsUrl);
      socket = ws;
      let opened = false;
      let lost = false;
      ws.addEventListener("open", () => {
        opened = true;
        void signRequest({ account: this.#p.account, scope: this.#p.scope, request: HELLO_REQUEST, now: this.#now() }).then((auth) =>
          ws.send(JSON.stringify({ type: "hello", auth })),
        );
      });
      ws.addEventListener("message", (event) => {
        let message: ServerMessage;
        try {
          message = serverMessageSchema.parse(JSON.parse(String(event.data)));
        } catch {
          return; // a message this version does not understand
        }
        if ((message.type === "job.submitted" || message.type === "error") && message.requestId !== undefined) {
          const waiter = pending.get(message.requestId);
          pending.delete(message.requestId);
          if (message.type === "job.submitted") waiter?.resolve(message.record);
          else waiter?.reject(new SolverRequestError({ code: message.code, message: message.message, status: 400 }));
          return;
        }
        if (message.type === "welcome") {
          failures = 0;
          welcomed.resolve();
          params.onConnected?.();
          return;
        }
        params.onMessage(message);
      });
      const onLost = (reason: string) => {
        if (lost) return;
        lost = true;
        for (const waiter of pending.values()) {
          waiter.reject(new SolverRequestError({ code: "SOLVER_UNREACHABLE", message: "the event socket closed before the solver answered", status: 0 }));
        }
        pending.clear();
        if (closed) return;
        resetReady();
        failures++;
        const delay = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
        params.onDisconnected?.(reason, delay);
        setTimeout(connect, delay);
      };
      ws.addEventListener("close", (event) => onLost(event.reason || `closed (${event.code})`));
      ws.addEventListener("error", () => {
        // Once open, an error is followed by close; a connection that could not be made may fire only 'error'.
        if (!opened) onLost("could not connect");
      });
    };
    connect();
    const send = (message: ClientMessage | { type: "job.submit"; requestId: string; job: SubmitJobBodyInput }) => {
      if (socket?.readyState !== WebSocket.OPEN) throw new SolverRequestError({ code: "SOLVER_UNREACHABLE", message: "the event socket is not connected", status: 0 });
      socket.send(toWireJson(message));
    };
    return {
      send,
      submitJob: (job) =>
        new Promise<JobRecord>((resolve, reject) => {
          const requestId = String(++nextRequest);
          pending.set(requestId, { resolve, reject });
          try {
            send({ type: "job.submit", requestId, job });
          } catch (error) {
            pending.delete(requestId);
            reject(error);
          }
        }),
      ready: () => welcomed.promise,
      close: () => {
        closed = true;
        socket?.close();
      },
    };
  }
}
