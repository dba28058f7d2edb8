// The solver under load: many clients at once, then a burst of job submissions. The solver (startSolver, a real
// SQLite file, a real HTTP/WebSocket server on 127.0.0.1) runs in this thread with the chain in anvil (startDevChain),
// as in test/solver/solverApi.test.ts, so the solver's heap is this thread's; the clients run in a worker
// thread (this same file) so that their own work does not queue behind the solver's.
//
// Figures:
// - connect: 1,000 WebSocket clients, each with its own fresh key (viem generatePrivateKey), all opened at once;
//   each sends its signed hello (signed beforehand) and waits for the welcome. Time until every one is welcomed,
//   and each socket's open-to-welcome latency.
// - burst: 10,000 job submissions, sent all at once (10 per socket) as `job.submit` messages over the
//   authenticated sockets, which is how the SDK submits. Why job submissions rather than capacity offers: they
//   are what a solver takes most of and checks most (the creator's EIP-712 signature recovered, the lane and the
//   creator's escrow read from the chain, the escrow its other waiting jobs hold, a SQLite insert), while a
//   provider's capacity offer replaces its previous one, so 10,000 of them from a handful of funded providers would
//   measure overwrites. The offers are signed beforehand (not timed) by 5 funded dev accounts (11-15, each
//   deposits enough escrow for its 2,000 jobs, each job in its own lane); the 1,000 sockets submit them as
//   relays (the submitter may differ from the creator). No provider is connected, so the jobs stay queued: this
//   measures intake, with the solver's matching round (every 250 ms) running over the growing queue meanwhile.
//   Accepted per second (first send to last answer), answer latency p50/p99/max, errors by code.
// - health: GET /api/v1/health every 50 ms during the burst (one at a time, 10 s timeout): how many answered,
//   and how slowly. It shares the solver's event loop, as does everything else the solver serves, so with the
//   event-loop delay (perf_hooks) this is the solver's responsiveness under the burst.
// - memory: process.memoryUsage() before the clients, once all are connected, and after the burst. The heap is
//   this thread's V8 heap (solver, chain client code, SQLite bindings); RSS is the whole process, the chain's
//   native memory and the client worker included, so it is an upper bound for the solver's.
//
// Run alone with `node bench/load.ts` (CLIENTS=..., SUBMISSIONS=... to change the sizes).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { keccak256, parseEther, toHex, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { connectChain } from "../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount, devPrivateKey } from "../src/chain/devAccounts.ts";
import { depositToEscrow } from "../src/chain/market/escrow.ts";
import { jobOfferDigest, toCompactSignature } from "../src/chain/offers.ts";
import { startDevChain } from "../src/devnet/startDevChain.ts";
import { signRequest, type AuthScope } from "../src/core/api/requestAuth.ts";
import { API_PREFIX, EVENTS_PATH, HELLO_REQUEST } from "../src/core/api/solverProtocol.ts";
import { toWireJson } from "../src/core/api/wire.ts";
import { jobOfferSchema, ZERO_ADDRESS } from "../src/core/dealTypes.ts";
import { createLogger } from "../src/core/logger.ts";
import { inputsHashOf } from "../src/core/moduleInputs.ts";
import { startSolver } from "../src/solver/solverServer.ts";

export interface MemoryFigures {
  heapUsedMiB: number;
  rssMiB: number;
}

export interface LoadFigures {
  clients: number;
  /** Seconds spent signing the hellos and the offers beforehand (not part of any other figure). */
  prepSeconds: number;
  connect: { seconds: number; welcomed: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number };
  burst: {
    submissions: number;
    creators: number;
    accepted: number;
    errors: number;
    errorCodes: Record<string, number>;
    /** Submissions with no answer when the burst was given up. */
    unanswered: number;
    seconds: number;
    acceptedPerSecond: number;
    /**
     * Answers per second between 10% and 50% of the answers, and between 50% and 90%: the rate as the queue grows
     * (leaving out the start, when the first messages are all being checked at once, and the tail).
     */
    earlyPerSecond: number;
    latePerSecond: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  health: { checks: number; ok: number; p50Ms: number; maxMs: number; failures: string[] };
  /** The solver thread's event-loop delay during the burst (perf_hooks.monitorEventLoopDelay). */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  memory: { before: MemoryFigures; connected: MemoryFigures; after: MemoryFigures };
  /** Sockets the solver counted as connected and authenticated, once all were welcomed and after the burst. */
  sockets: { connected: number; afterBurst: number };
}

const ROLE = "lilypad-load-clients";
const HEALTH_ROLE = "lilypad-load-health";

interface HealthData {
  role: typeof HEALTH_ROLE;
  url: string;
}

interface HealthReport {
  checks: number;
  latencies: number[];
  failures: string[];
}
const CREATORS = [11, 12, 13, 14, 15];
const PAYMENT = parseEther("1");
const INPUTS = { Message: "load" };
const BURST_TIMEOUT_MS = 100_000;

interface ClientsData {
  role: typeof ROLE;
  url: string;
  scope: AuthScope;
  clients: number;
  submissions: number;
  creators: number[];
  mediator: Address;
}

type FromClients =
  | { type: "ready"; prepSeconds: number }
  | { type: "connected"; seconds: number; welcomed: number; failed: number; latencies: number[] }
  | {
      type: "burst-done";
      seconds: number;
      latencies: number[];
      /** Seconds from the first send to each answer, in order. */
      answerTimes: number[];
      accepted: number;
      errorCodes: Record<string, number>;
      unanswered: number;
    };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function memory(): MemoryFigures {
  const m = process.memoryUsage();
  return { heapUsedMiB: Math.round(m.heapUsed / 2 ** 20), rssMiB: Math.round(m.rss / 2 ** 20) };
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

export async function measureLoad(params: { clients?: number; submissions?: number } = {}): Promise<LoadFigures> {
  const clients = params.clients ?? 1000;
  const submissions = params.submissions ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), "lilypad-load-"));
  const dev = await startDevChain();
  let worker: Worker | undefined;
  let solver: Awaited<ReturnType<typeof startSolver>> | undefined;
  try {
    // Each creator deposits what its share of the jobs holds while they wait, plus a margin.
    const perCreator = BigInt(Math.ceil(submissions / CREATORS.length));
    for (const index of CREATORS) {
      const conn = connectChain({ network: dev.network, privateKey: devPrivateKey(index), transport: dev.transport });
      await depositToEscrow(conn, PAYMENT * (perCreator + 10n));
    }
    solver = await startSolver({
      conn: connectChain({ network: dev.network, privateKey: devPrivateKey(DevAccountIndex.solver), transport: dev.transport }),
      databasePath: join(dir, "solver.db"),
      log: createLogger({ role: "solver", level: process.env.LILYPAD_LOG_LEVEL ?? "silent" }),
      host: "127.0.0.1",
      port: 0,
    });
    const before = memory();

    const data: ClientsData = {
      role: ROLE,
      url: solver.url,
      scope: { chainId: dev.network.chainId, market: dev.network.contracts.market },
      clients,
      submissions,
      creators: CREATORS,
      mediator: devAccount(DevAccountIndex.mediator).address,
    };
    worker = new Worker(new URL(import.meta.url), { workerData: data });
    const inbox: FromClients[] = [];
    let wake: (() => void) | undefined;
    let failed: unknown;
    worker.on("message", (m: FromClients) => {
      inbox.push(m);
      wake?.();
    });
    worker.on("error", (error) => {
      failed = error;
      wake?.();
    });
    const next = async <T extends FromClients["type"]>(type: T): Promise<Extract<FromClients, { type: T }>> => {
      for (;;) {
        if (failed) throw failed;
        const i = inbox.findIndex((m) => m.type === type);
        if (i >= 0) return inbox.splice(i, 1)[0] as Extract<FromClients, { type: T }>;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };

    progress(`load: signing ${submissions.toLocaleString("en-US")} job offers and ${clients.toLocaleString("en-US")} hellos`);
    const { prepSeconds } = await next("ready");
    progress(`load: opening ${clients.toLocaleString("en-US")} sockets`);
    worker.postMessage("connect");
    const connected = await next("connected");
    const socketsConnected = solver.socketCount();
    const afterConnect = memory();

    progress(`load: burst of ${submissions.toLocaleString("en-US")} job submissions`);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    worker.postMessage("burst");
    // The health checks come from a thread of their own, like an outside monitor: neither the solver's event
    // loop nor the clients' delays them on the asking side.
    const healthWorker = new Worker(new URL(import.meta.url), { workerData: { role: HEALTH_ROLE, url: solver.url } satisfies HealthData });
    const healthDone = new Promise<HealthReport>((resolve, reject) => {
      healthWorker.once("message", resolve);
      healthWorker.once("error", reject);
    });
    const burst = await next("burst-done");
    loopDelay.disable();
    healthWorker.postMessage("stop");
    const healthReport = await healthDone;
    await healthWorker.terminate();
    const after = memory();

    const connectSorted = [...connected.latencies].sort((a, b) => a - b);
    const burstSorted = [...burst.latencies].sort((a, b) => a - b);
    const healthSorted = [...healthReport.latencies].sort((a, b) => a - b);
    const errors = Object.values(burst.errorCodes).reduce((a, b) => a + b, 0);
    const times = burst.answerTimes;
    const at = (fraction: number) => times[Math.min(times.length - 1, Math.floor(fraction * times.length))] ?? NaN;
    const rateBetween = (from: number, to: number) => ((to - from) * times.length) / (at(to) - at(from));
    return {
      clients,
      prepSeconds,
      connect: {
        seconds: connected.seconds,
        welcomed: connected.welcomed,
        failed: connected.failed,
        p50Ms: percentile(connectSorted, 50),
        p99Ms: percentile(connectSorted, 99),
        maxMs: connectSorted.at(-1) ?? NaN,
      },
      burst: {
        submissions,
        creators: CREATORS.length,
        accepted: burst.accepted,
        errors,
        errorCodes: burst.errorCodes,
        unanswered: burst.unanswered,
        seconds: burst.seconds,
        acceptedPerSecond: burst.accepted / burst.seconds,
        earlyPerSecond: rateBetween(0.1, 0.5),
        latePerSecond: rateBetween(0.5, 0.9),
        p50Ms: percentile(burstSorted, 50),
        p99Ms: percentile(burstSorted, 99),
        maxMs: burstSorted.at(-1) ?? NaN,
      },
      health: { checks: healthReport.checks, ok: healthReport.latencies.length, p50Ms: percentile(healthSorted, 50), maxMs: healthSorted.at(-1) ?? NaN, failures: healthReport.failures.slice(0, 5) },
      eventLoopDelay: { p50Ms: loopDelay.percentile(50) / 1e6, p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 },
      memory: { before, connected: afterConnect, after },
      sockets: { connected: socketsConnected, afterBurst: solver.socketCount() },
    };
  } finally {
    await worker?.terminate();
    await solver?.close();
    await dev.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- the health monitor (worker thread) ----

/** GET /api/v1/health every 50 ms, one at a time, until told to stop. */
async function runHealth(data: HealthData): Promise<void> {
  const port = parentPort!;
  let stopped = false;
  port.once("message", () => (stopped = true));
  const started = performance.now();
  const report: HealthReport = { checks: 0, latencies: [], failures: [] };
  while (!stopped) {
    report.checks++;
    const asked = performance.now();
    const when = `asked ${((asked - started) / 1000).toFixed(1)} s into the burst`;
    try {
      const response = await fetch(`${data.url}${API_PREFIX}/health`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { ok?: boolean };
      if (response.status === 200 && body.ok === true) report.latencies.push(performance.now() - asked);
      else report.failures.push(`${when}: ${response.status} ${JSON.stringify(body).slice(0, 100)}`);
    } catch (error) {
      report.failures.push(`${when}: ${String(error)}${error instanceof Error && error.cause ? ` (${String(error.cause)})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  port.postMessage(report);
}

// ---- the clients (worker thread) ----

async function runClients(data: ClientsData): Promise<void> {
  const port = parentPort!;
  const commands: string[] = [];
  let wake: (() => void) | undefined;
  port.on("message", (m: string) => {
    commands.push(m);
    wake?.();
  });
  const command = async (name: string) => {
    for (;;) {
      const i = commands.indexOf(name);
      if (i >= 0) return void commands.splice(i, 1);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const post = (m: FromClients) => port.postMessage(m);

  // Offers: creator i % n, each job in its own lane. Signed with the creators' local keys, as signJobOffer does.
  const prepStarted = performance.now();
  const now = Math.floor(Date.now() / 1000);
  const creators = data.creators.map((index) => privateKeyToAccount(devPrivateKey(index)));
  const frames: string[] = [];
  for (let i = 0; i < data.submissions; i++) {
    const creator = creators[i % creators.length]!;
    const offer = jobOfferSchema.parse({
      creator: creator.address,
      moduleId: keccak256(toHex("load bench module")),
      inputsHash: inputsHashOf(INPUTS),
      maxBasePrice: parseEther("0.1"),
      maxPricePerMInstr: parseEther("0.01"),
      paymentCollateral: PAYMENT,
      mediationFee: parseEther("0.1"),
      minTimeoutCollateral: parseEther("0.1"),
      minCollateralMultiple: 2,
      mediators: [data.mediator],
      targetProvider: ZERO_ADDRESS,
      resultTimeout: 600,
      judgingWindow: 600,
      mediationTimeout: 600,
      callback: false,
      lane: Math.floor(i / creators.length) + 1,
      seq: 1,
      expiry: BigInt(now + 3600),
      maxInstructions: 10n ** 9n,
      submitter: devAccount(DevAccountIndex.solver).address,
    });
    const signature = toCompactSignature(await creator.sign({ hash: jobOfferDigest(data.scope, offer) }));
    const job = { offer, signature, inputs: INPUTS, resources: { cpu: 1, ramMiB: 64, gpu: 0, diskMiB: 1 }, deadline: now + 1800 };
    frames.push(toWireJson({ type: "job.submit", requestId: String(i), job }));
  }
  // Hellos last: they are valid for 60 seconds.
  const accounts = Array.from({ length: data.clients }, () => privateKeyToAccount(generatePrivateKey()));
  const hellos = await Promise.all(
    accounts.map(async (account) => JSON.stringify({ type: "hello", auth: await signRequest({ account, scope: data.scope, request: HELLO_REQUEST, now: Math.floor(Date.now() / 1000) }) })),
  );
  post({ type: "ready", prepSeconds: (performance.now() - prepStarted) / 1000 });

  // ---- connect ----
  await command("connect");
  const sent = new Float64Array(data.submissions);
  const answeredAt = new Float64Array(data.submissions);
  const errorCodes: Record<string, number> = {};
  let answered = 0;
  let accepted = 0;
  let onAnswer: (() => void) | undefined;
  const wsUrl = `${data.url.replace(/^http/, "ws")}${EVENTS_PATH}`;
  const connectStarted = performance.now();
  const opened = accounts.map(
    (_, i) =>
      new Promise<{ ws: WebSocket; ms: number }>((resolve, reject) => {
        const started = performance.now();
        const ws = new WebSocket(wsUrl);
        let welcomed = false;
        ws.addEventListener("open", () => ws.send(hellos[i]!));
        ws.addEventListener("message", (event) => {
          const m = JSON.parse(String(event.data)) as { type: string; requestId?: string; code?: string };
          if (!welcomed) {
            if (m.type === "welcome") {
              welcomed = true;
              resolve({ ws, ms: performance.now() - started });
            } else reject(new Error(`expected a welcome, got ${String(event.data).slice(0, 200)}`));
            return;
          }
          if (m.requestId === undefined || (m.type !== "job.submitted" && m.type !== "error")) return;
          const id = Number(m.requestId);
          if (!(id >= 0 && id < data.submissions) || answeredAt[id]) return;
          answeredAt[id] = performance.now();
          answered++;
          if (m.type === "job.submitted") accepted++;
          else errorCodes[m.code ?? "?"] = (errorCodes[m.code ?? "?"] ?? 0) + 1;
          onAnswer?.();
        });
        ws.addEventListener("close", (event) => {
          if (!welcomed) reject(new Error(`closed before the welcome (${event.code} ${event.reason})`));
        });
        ws.addEventListener("error", () => {
          if (!welcomed) reject(new Error("the socket failed"));
        });
      }),
  );
  const settled = await Promise.allSettled(opened);
  const sockets = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.ws] : []));
  post({
    type: "connected",
    seconds: (performance.now() - connectStarted) / 1000,
    welcomed: sockets.length,
    failed: settled.length - sockets.length,
    latencies: settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.ms] : [])),
  });

  // ---- burst ----
  await command("burst");
  const burstStarted = performance.now();
  for (let i = 0; i < data.submissions; i++) {
    const ws = sockets[i % sockets.length]!;
    sent[i] = performance.now();
    ws.send(frames[i]!);
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, BURST_TIMEOUT_MS);
    onAnswer = () => {
      if (answered < data.submissions) return;
      clearTimeout(timer);
      resolve();
    };
    onAnswer();
  });
  const latencies: number[] = [];
  const answerTimes: number[] = [];
  for (let i = 0; i < data.submissions; i++) {
    if (!answeredAt[i]) continue;
    latencies.push(answeredAt[i]! - sent[i]!);
    answerTimes.push((answeredAt[i]! - burstStarted) / 1000);
  }
  answerTimes.sort((a, b) => a - b);
  post({ type: "burst-done", seconds: answerTimes.at(-1) ?? 0, latencies, answerTimes, accepted, errorCodes, unanswered: data.submissions - answered });
  for (const ws of sockets) ws.close();
}

function printFigures(f: LoadFigures): void {
  const n = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-");
  const rows = [
    { figure: `clients connected and welcomed (of ${n(f.clients)})`, value: n(f.connect.welcomed), unit: "" },
    { figure: "time until all welcomed", value: n(f.connect.seconds, 2), unit: "s" },
    { figure: "open-to-welcome latency p50", value: n(f.connect.p50Ms, 1), unit: "ms" },
    { figure: "open-to-welcome latency p99", value: n(f.connect.p99Ms, 1), unit: "ms" },
    { figure: "sockets the solver counts", value: n(f.sockets.connected), unit: "" },
    { figure: `burst: job submissions (${f.burst.creators} creators, all at once)`, value: n(f.burst.submissions), unit: "" },
    { figure: "burst: accepted", value: n(f.burst.accepted), unit: "" },
    { figure: "burst: errors", value: n(f.burst.errors), unit: Object.entries(f.burst.errorCodes).map(([c, k]) => `${c} ${k}`).join(", ") },
    { figure: "burst: unanswered", value: n(f.burst.unanswered), unit: "" },
    { figure: "burst: first send to last answer", value: n(f.burst.seconds, 2), unit: "s" },
    { figure: "burst: accepted per second", value: n(f.burst.acceptedPerSecond, 1), unit: "/s" },
    { figure: "burst: answers per second, 10-50% / 50-90% answered", value: `${n(f.burst.earlyPerSecond, 1)} / ${n(f.burst.latePerSecond, 1)}`, unit: "/s" },
    { figure: "burst: answer latency p50", value: n(f.burst.p50Ms, 1), unit: "ms" },
    { figure: "burst: answer latency p99", value: n(f.burst.p99Ms, 1), unit: "ms" },
    { figure: "burst: answer latency max", value: n(f.burst.maxMs, 1), unit: "ms" },
    { figure: "health during the burst: answered / asked", value: `${n(f.health.ok)} / ${n(f.health.checks)}`, unit: "" },
    { figure: "health during the burst: p50 / max", value: `${n(f.health.p50Ms, 1)} / ${n(f.health.maxMs, 1)}`, unit: f.health.failures.length ? `ms; failed: ${f.health.failures[0]}` : "ms" },
    { figure: "solver event-loop delay in the burst: p50 / p99 / max", value: `${n(f.eventLoopDelay.p50Ms, 1)} / ${n(f.eventLoopDelay.p99Ms, 1)} / ${n(f.eventLoopDelay.maxMs, 1)}`, unit: "ms" },
    { figure: "heap used: before / connected / after", value: `${f.memory.before.heapUsedMiB} / ${f.memory.connected.heapUsedMiB} / ${f.memory.after.heapUsedMiB}`, unit: "MiB" },
    { figure: "RSS (whole process): before / connected / after", value: `${f.memory.before.rssMiB} / ${f.memory.connected.rssMiB} / ${f.memory.after.rssMiB}`, unit: "MiB" },
    { figure: "signing beforehand (not timed above)", value: n(f.prepSeconds, 2), unit: "s" },
  ];
  console.table(rows);
}

if (!isMainThread && (workerData as Partial<ClientsData> | undefined)?.role === ROLE) {
  await runClients(workerData as ClientsData);
} else if (!isMainThread && (workerData as Partial<HealthData> | undefined)?.role === HEALTH_ROLE) {
  await runHealth(workerData as HealthData);
} else if (import.meta.main) {
  const started = performance.now();
  const figures = await measureLoad({ clients: Number(process.env.CLIENTS ?? 1000), submissions: Number(process.env.SUBMISSIONS ?? 10_000) });
  printFigures(figures);
  console.log(JSON.stringify(figures, null, 2));
  progress(`load: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
