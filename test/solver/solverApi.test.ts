// The solver's HTTP API and event socket against a real dev chain, a real solver on 127.0.0.1 and a real
// SQLite file: signed requests (impersonation, replay, expiry, scope, tampering), the socket's hello, job
// validation and who may read a job, random bodies that must only ever get a 4xx, and a restart that keeps both
// the jobs and the memory of used nonces.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { z } from "zod";
import { keccak256, parseEther, toHex, type Address, type Hex, type LocalAccount } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { depositToEscrow } from "../../src/chain/market/escrow.ts";
import { jobOfferDigest, signJobOffer } from "../../src/chain/offers.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";
import { domainOf } from "../../src/chain/verifyOffers.ts";
import { authHeaders, signRequest, type AuthScope } from "../../src/core/api/requestAuth.ts";
import { API_PREFIX, HELLO_REQUEST, submitJobBodySchema, type SubmitJobBodyInput } from "../../src/core/api/solverProtocol.ts";
import { toWire, toWireJson } from "../../src/core/api/wire.ts";
import { jobOfferSchema, ZERO_ADDRESS, type JobOffer } from "../../src/core/dealTypes.ts";
import { createLogger } from "../../src/core/logger.ts";
import { inputsHashOf, type ResolvedInputs } from "../../src/core/moduleInputs.ts";
import { startSolver, type RunningSolver } from "../../src/solver/solverServer.ts";
import { openTestSocket } from "./testSocket.ts";

const JOBS = `${API_PREFIX}/jobs`;
const CAPACITY = `${API_PREFIX}/capacity`;
const HEALTH = `${API_PREFIX}/health`;
const MODULE_ID = keccak256(toHex("solver api test module"));
const INPUTS: ResolvedInputs = { Message: "hello" };
const RESOURCES = { cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 0 };
const PAYMENT = parseEther("10");

// Dev accounts (0-10 have roles in the devnet; these tests only need keys and tokens).
const CREATOR = 11; // deposits plenty
const POOR = 12; // deposits nothing
const STRANGER = 13;
const FRUGAL = 14; // deposits just enough for one job
const RELAY = 15; // submits others' offers

const unixNow = () => Math.floor(Date.now() / 1000);

interface Answer {
  status: number;
  /** The parsed body (undefined when empty). */
  json: any;
  contentType: string | null;
  retryAfter: string | null;
}

let dev: DevChain;
let dir: string;
let scope: AuthScope;
const conns = new Map<number, ChainConnection>();
const running = new Set<RunningSolver>();
let nextLane = 1;

const conn = (index: number): ChainConnection => {
  const c = conns.get(index);
  assert.ok(c, `connection ${index}`);
  return c;
};
const account = (index: number): LocalAccount => conn(index).account;
const address = (index: number): Address => conn(index).address;
const mediator = () => address(DevAccountIndex.mediator);

async function newSolver(databasePath: string, bounds: { maxActiveJobs?: number; maxChecking?: number } = {}): Promise<RunningSolver> {
  const solver = await startSolver({
    conn: conn(DevAccountIndex.solver),
    databasePath,
    log: createLogger({ role: "solver", level: "silent" }),
    host: "127.0.0.1",
    port: 0,
    ...bounds,
  });
  running.add(solver);
  return solver;
}

async function closeSolver(solver: RunningSolver): Promise<void> {
  running.delete(solver);
  await solver.close();
}

async function chainNow(): Promise<bigint> {
  return (await dev.publicClient.getBlock()).timestamp;
}

// ---- HTTP ----

interface SignOptions {
  scope?: AuthScope;
  now?: number;
  lifetimeSeconds?: number;
  /** Claim this address in the headers, whoever signed. */
  claim?: Address;
}

async function signedHeaders(who: LocalAccount, method: string, path: string, body: string, options: SignOptions = {}): Promise<Record<string, string>> {
  const auth = await signRequest({
    account: who,
    scope: options.scope ?? scope,
    request: { method, path, body },
    now: options.now ?? unixNow(),
    lifetimeSeconds: options.lifetimeSeconds,
  });
  return authHeaders(options.claim ? { ...auth, address: options.claim } : auth);
}

async function send(base: string, method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body,
  });
  const text = await response.text();
  let json: unknown;
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      assert.fail(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { status: response.status, json, contentType: response.headers.get("content-type"), retryAfter: response.headers.get("retry-after") };
}

/**
 * Signs as `who` and sends; `body` is sent as given (a string) or as wire JSON. The signature covers the path as
 * fetch will send it (the URL parser percent-encodes some characters and resolves dot segments).
 */
async function call(base: string, who: LocalAccount, method: string, path: string, body?: unknown, options: SignOptions = {}): Promise<Answer> {
  const text = body === undefined ? undefined : typeof body === "string" ? body : toWireJson(body);
  const url = new URL(`${base}${path}`);
  const sent = `${url.pathname}${url.search}`;
  return send(base, method, sent, text, await signedHeaders(who, method, sent, text ?? "", options));
}

function assertError(answer: Answer, status: number, code: string, what = ""): void {
  assert.equal(answer.status, status, `${what} expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.json)}`);
  assert.equal(answer.json?.code, code, `${what} expected code ${code}, got ${JSON.stringify(answer.json)}`);
  assert.equal(typeof answer.json?.message, "string");
}

// ---- jobs ----

interface JobParameters {
  creator?: number;
  /** Who signs the offer (default the creator). */
  signer?: number;
  offer?: Partial<z.input<typeof jobOfferSchema>>;
  inputs?: ResolvedInputs;
  deadline?: number;
}

interface Job {
  body: SubmitJobBodyInput;
  offer: JobOffer;
  dealId: Hex;
}

async function makeJob(p: JobParameters = {}): Promise<Job> {
  const creator = p.creator ?? CREATOR;
  const chainTime = await chainNow();
  const expiry = (chainTime > BigInt(unixNow()) ? chainTime : BigInt(unixNow())) + 3600n;
  const offer = jobOfferSchema.parse({
    creator: address(creator),
    moduleId: MODULE_ID,
    inputsHash: inputsHashOf(INPUTS),
    maxBasePrice: parseEther("1"),
    maxPricePerMInstr: parseEther("0.01"),
    paymentCollateral: PAYMENT,
    mediationFee: parseEther("0.5"),
    minTimeoutCollateral: parseEther("1"),
    minCollateralMultiple: 2,
    mediators: [mediator()],
    targetProvider: ZERO_ADDRESS,
    resultTimeout: 600,
    judgingWindow: 600,
    mediationTimeout: 600,
    callback: false,
    lane: nextLane++,
    seq: 1,
    expiry,
    maxInstructions: 10n ** 9n,
    submitter: address(DevAccountIndex.solver),
    ...p.offer,
  });
  const signer = conn(p.signer ?? creator);
  const signature = await signJobOffer(signer.wallet, domainOf(signer), offer);
  const body: SubmitJobBodyInput = {
    offer,
    signature,
    inputs: p.inputs ?? INPUTS,
    resources: RESOURCES,
    deadline: p.deadline ?? Math.min(unixNow() + 1800, Number(offer.expiry)),
  };
  return { body, offer, dealId: jobOfferDigest(domainOf(conn(creator)), offer) };
}

async function submit(base: string, job: Job, submitter = CREATOR): Promise<Answer> {
  return call(base, account(submitter), "POST", JOBS, job.body);
}

async function submitOk(base: string, job: Job, submitter = CREATOR): Promise<Answer> {
  const answer = await submit(base, job, submitter);
  assert.equal(answer.status, 201, `submit: ${JSON.stringify(answer.json)}`);
  return answer;
}

async function getJob(base: string, dealId: Hex, reader = CREATOR): Promise<Answer> {
  return call(base, account(reader), "GET", `${JOBS}/${dealId}`);
}

// ---- sockets ----

async function hello(who: LocalAccount, options: SignOptions & { request?: { method: string; path: string; body: string } } = {}) {
  const auth = await signRequest({
    account: who,
    scope: options.scope ?? scope,
    request: options.request ?? HELLO_REQUEST,
    now: options.now ?? unixNow(),
    lifetimeSeconds: options.lifetimeSeconds,
  });
  return { type: "hello", auth: options.claim ? { ...auth, address: options.claim } : auth };
}

// ---- setup ----

before(async () => {
  dev = await startDevChain();
  scope = { chainId: dev.network.chainId, market: dev.network.contracts.market };
  for (const index of [DevAccountIndex.solver, DevAccountIndex.mediator, CREATOR, POOR, STRANGER, FRUGAL, RELAY]) {
    conns.set(index, connectChain({ network: dev.network, privateKey: devPrivateKey(index), transport: dev.transport }));
  }
  await depositToEscrow(conn(CREATOR), parseEther("1000"));
  await depositToEscrow(conn(FRUGAL), PAYMENT + PAYMENT / 2n);
  dir = await mkdtemp(join(tmpdir(), "lilypad-solver-api-"));
});

after(async () => {
  for (const solver of [...running]) await closeSolver(solver);
  await dev?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("solver API", () => {
  let base: string;
  let solver: RunningSolver;

  before(async () => {
    solver = await newSolver(join(dir, "shared", "solver.db"));
    base = solver.url;
  });

  describe("signed requests", () => {
    it("refuses unsigned, impersonated, expired, too-far-ahead, out-of-scope and tampered requests, and replays", async () => {
      const job = await makeJob();
      const text = toWireJson(job.body);
      const creator = account(CREATOR);
      const now = unixNow();

      assertError(await send(base, "POST", JOBS, text), 401, "AUTH_MISSING", "unsigned");
      assertError(
        await send(base, "POST", JOBS, text, { "x-lilypad-address": address(CREATOR), "x-lilypad-nonce": "zz", "x-lilypad-expiry": "soon", "x-lilypad-signature": "0x00" }),
        401,
        "AUTH_MALFORMED",
        "malformed",
      );
      assertError(await call(base, account(STRANGER), "POST", JOBS, text, { claim: address(CREATOR) }), 401, "AUTH_BAD_SIGNATURE", "A claiming B");
      assertError(await call(base, creator, "POST", JOBS, text, { now: now - 120, lifetimeSeconds: 60 }), 401, "AUTH_EXPIRED", "expired");
      assertError(await call(base, creator, "POST", JOBS, text, { lifetimeSeconds: 3600 }), 401, "AUTH_TOO_FAR_AHEAD", "too far ahead");
      assertError(await call(base, creator, "POST", JOBS, text, { scope: { ...scope, chainId: 1 } }), 401, "AUTH_BAD_SIGNATURE", "other chain");
      assertError(
        await call(base, creator, "POST", JOBS, text, { scope: { ...scope, market: address(STRANGER) } }),
        401,
        "AUTH_BAD_SIGNATURE",
        "other market",
      );

      // Signed over one thing, sent with another: body, path and method are all covered.
      const signed = await signedHeaders(creator, "POST", JOBS, text);
      const altered = text.replace(`"deadline":${job.body.deadline}`, `"deadline":${job.body.deadline - 1}`);
      assert.notEqual(altered, text);
      assertError(await send(base, "POST", JOBS, altered, signed), 401, "AUTH_BAD_SIGNATURE", "body altered");
      const forOtherPath = await signedHeaders(creator, "GET", `${JOBS}/${job.dealId}`, "");
      assertError(await send(base, "GET", `${JOBS}?limit=5`, undefined, forOtherPath), 401, "AUTH_BAD_SIGNATURE", "path altered");
      const forGet = await signedHeaders(creator, "GET", JOBS, "");
      assertError(await send(base, "DELETE", JOBS, undefined, forGet), 404, "NOT_FOUND", "no DELETE route");

      // None of those reached the solver: the job does not exist.
      assertError(await getJob(base, job.dealId), 404, "NOT_FOUND", "after refusals");

      // The same signed request twice: the second is a replay, even though resubmitting a job is idempotent.
      const once = await signedHeaders(creator, "POST", JOBS, text);
      const first = await send(base, "POST", JOBS, text, once);
      assert.equal(first.status, 201, JSON.stringify(first.json));
      assertError(await send(base, "POST", JOBS, text, once), 401, "AUTH_REPLAYED", "replayed POST");
      // A fresh signature over the same body is a new request: the solver answers with the stored job.
      const again = await call(base, creator, "POST", JOBS, text);
      assert.equal(again.status, 201);
      assert.deepEqual(again.json, first.json);

      // Reads are replay-protected too.
      const read = await signedHeaders(creator, "GET", `${JOBS}/${job.dealId}`, "");
      assert.equal((await send(base, "GET", `${JOBS}/${job.dealId}`, undefined, read)).status, 200);
      assertError(await send(base, "GET", `${JOBS}/${job.dealId}`, undefined, read), 401, "AUTH_REPLAYED", "replayed GET");

      // The health check needs no signature.
      const health = await send(base, "GET", HEALTH, undefined);
      assert.equal(health.status, 200);
      assert.deepEqual(health.json, { ok: true, chainId: scope.chainId, market: scope.market, solver: address(DevAccountIndex.solver) });
    });
  });

  describe("event socket", () => {
    it("closes a socket whose first message is not a hello (4001)", async () => {
      const socket = openTestSocket(base);
      await socket.opened;
      socket.ws.send(JSON.stringify({ type: "proposal.declined", dealId: `0x${"11".repeat(32)}`, reason: "no" }));
      const closed = await socket.closed();
      assert.equal(closed.code, 4001);

      // A hello without its auth is not a hello either.
      const bare = openTestSocket(base);
      await bare.opened;
      bare.ws.send(JSON.stringify({ type: "hello" }));
      assert.equal((await bare.closed()).code, 4001);

      // Text that is not JSON gets an error message, and the socket stays unauthenticated.
      const garbage = openTestSocket(base);
      await garbage.opened;
      garbage.ws.send("not json");
      const error = await garbage.nextMessage(0);
      assert.equal(error.type, "error");
      assert.equal(error.code, "INVALID_JSON");
      assert.equal(solver.socketCount(), 0);
      garbage.ws.send(JSON.stringify({ type: "job.log", dealId: `0x${"11".repeat(32)}`, line: "x" }));
      assert.equal((await garbage.closed()).code, 4001);
    });

    it("refuses an impersonated, misdirected, out-of-scope or expired hello (4003)", async () => {
      const cases: [string, Awaited<ReturnType<typeof hello>>, string][] = [
        ["A claiming B", await hello(account(STRANGER), { claim: address(CREATOR) }), "bad-signature"],
        ["signed for another request", await hello(account(CREATOR), { request: { method: "POST", path: JOBS, body: "hello" } }), "bad-signature"],
        ["signed for another chain", await hello(account(CREATOR), { scope: { ...scope, chainId: 1 } }), "bad-signature"],
        ["expired", await hello(account(CREATOR), { now: unixNow() - 120, lifetimeSeconds: 60 }), "expired"],
        ["too far ahead", await hello(account(CREATOR), { lifetimeSeconds: 3600 }), "too-far-ahead"],
      ];
      for (const [what, message, failure] of cases) {
        const socket = openTestSocket(base);
        await socket.opened;
        socket.ws.send(JSON.stringify(message));
        const closed = await socket.closed();
        assert.equal(closed.code, 4003, what);
        assert.equal(closed.reason, `hello refused: ${failure}`, what);
        assert.equal(socket.messages.length, 0, `${what}: no welcome`);
      }
      assert.equal(solver.socketCount(), 0);
    });

    it("welcomes a valid hello once, and refuses the same hello replayed", async () => {
      const message = await hello(account(CREATOR));
      const socket = openTestSocket(base);
      await socket.opened;
      socket.ws.send(JSON.stringify(message));
      assert.deepEqual(await socket.nextMessage(0), { type: "welcome", address: address(CREATOR) });
      assert.equal(solver.socketCount(), 1);

      const replay = openTestSocket(base);
      await replay.opened;
      replay.ws.send(JSON.stringify(message));
      const closed = await replay.closed();
      assert.equal(closed.code, 4003);
      assert.equal(closed.reason, "hello refused: replayed");
      assert.equal(solver.socketCount(), 1);

      // After the hello, a message the schema refuses gets an error and the socket stays open.
      socket.ws.send(JSON.stringify({ type: "deal.opened" }));
      assert.equal((await socket.nextMessage(1)).code, "INVALID_MESSAGE");
      socket.ws.send(JSON.stringify({ type: "job.log", dealId: `0x${"11".repeat(32)}`, line: "x" }));
      assert.equal((await socket.nextMessage(2)).code, "NOT_YOUR_DEAL");
      // So is a chunk of output for another provider's deal, and one past the chunk bound is no message at all.
      socket.ws.send(JSON.stringify({ type: "job.output", dealId: `0x${"11".repeat(32)}`, stream: "stdout", data: "x" }));
      assert.equal((await socket.nextMessage(3)).code, "NOT_YOUR_DEAL");
      socket.ws.send(JSON.stringify({ type: "job.output", dealId: `0x${"11".repeat(32)}`, stream: "stdout", data: "x".repeat(4097) }));
      assert.equal((await socket.nextMessage(4)).code, "INVALID_MESSAGE");
      assert.equal(solver.socketCount(), 1);

      socket.ws.close();
      await socket.closed();
      for (let i = 0; i < 50 && solver.socketCount() > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(solver.socketCount(), 0);
    });
  });

  describe("job validation", () => {
    it("refuses an offer signed by someone other than its creator", async () => {
      const job = await makeJob({ signer: STRANGER });
      assertError(await submit(base, job), 400, "BAD_SIGNATURE");
      // Nor may a signature be reused for an offer with other terms.
      const valid = await makeJob();
      const tampered = { ...valid.body, offer: { ...valid.offer, paymentCollateral: 1n } };
      assertError(await call(base, account(CREATOR), "POST", JOBS, tampered), 400, "BAD_SIGNATURE", "terms changed");
    });

    it("refuses inputs that do not hash to the offer's inputsHash", async () => {
      assertError(await submit(base, await makeJob({ inputs: { Message: "goodbye" } })), 400, "INPUTS_MISMATCH");
      assertError(await submit(base, await makeJob({ inputs: { Message: "hello", Extra: 1 } })), 400, "INPUTS_MISMATCH", "extra input");
    });

    it("refuses an expired offer and a deadline after the offer's expiry", async () => {
      // The solver judges expiry by its own clock (the dev chain's may run ahead of it).
      const expired = BigInt(unixNow() - 10);
      assertError(await submit(base, await makeJob({ offer: { expiry: expired }, deadline: 1 })), 400, "OFFER_EXPIRED");
      const soon = BigInt(unixNow() + 600);
      assertError(await submit(base, await makeJob({ offer: { expiry: soon }, deadline: Number(soon) + 1 })), 400, "BAD_DEADLINE");
    });

    it("refuses a creator without enough escrow, counting what its waiting jobs already hold", async () => {
      assertError(await submit(base, await makeJob({ creator: POOR }), POOR), 400, "INSUFFICIENT_ESCROW", "no deposit");
      // FRUGAL deposited 1.5 jobs' worth: the first job fits, the second (another lane) does not.
      await submitOk(base, await makeJob({ creator: FRUGAL }), FRUGAL);
      assertError(await submit(base, await makeJob({ creator: FRUGAL }), FRUGAL), 400, "INSUFFICIENT_ESCROW", "reserved");
    });

    it("refuses a second job in a lane while the first waits", async () => {
      const first = await makeJob();
      await submitOk(base, first);
      const second = await makeJob({ offer: { lane: first.offer.lane, seq: 2 } });
      assert.notEqual(second.dealId, first.dealId);
      assertError(await submit(base, second), 400, "LANE_BUSY");
    });

    it("queues a valid job, which its parties may read and strangers may not", async () => {
      const job = await makeJob();
      const answer = await submitOk(base, job, RELAY);
      assert.match(answer.contentType ?? "", /application\/json/);
      const record = answer.json;
      assert.equal(record.dealId, job.dealId);
      assert.equal(record.status, "queued");
      assert.equal(record.creator, address(CREATOR));
      assert.equal(record.submitter, address(RELAY));
      assert.equal(record.moduleId, MODULE_ID);
      assert.deepEqual(record.inputs, INPUTS);

      for (const reader of [CREATOR, RELAY, DevAccountIndex.mediator]) {
        const read = await getJob(base, job.dealId, reader);
        assert.equal(read.status, 200, `reader ${reader}: ${JSON.stringify(read.json)}`);
        assert.deepEqual(read.json, { record, offer: toWire(job.offer), timeline: [{ event: "submitted", at: record.createdAt }] });
      }
      assertError(await getJob(base, job.dealId, STRANGER), 403, "FORBIDDEN");
      assertError(await getJob(base, keccak256(toHex("no such job"))), 404, "NOT_FOUND");
      assertError(await getJob(base, "0x1234" as Hex), 400, "INVALID_BODY", "malformed id");

      const mine = await call(base, account(CREATOR), "GET", `${JOBS}?limit=1000`);
      assert.equal(mine.status, 200);
      assert.ok(mine.json.jobs.some((j: { dealId: string }) => j.dealId === job.dealId));
      const theirs = await call(base, account(STRANGER), "GET", `${JOBS}?limit=1000`);
      assert.deepEqual(theirs.json, { jobs: [] });
      // Filters narrow the listing on the solver's side; a status it does not know is refused.
      const queued = await call(base, account(CREATOR), "GET", `${JOBS}?status=queued,matched&moduleId=${MODULE_ID}&since=0`);
      assert.ok(queued.json.jobs.some((j: { dealId: string }) => j.dealId === job.dealId));
      const closed = await call(base, account(CREATOR), "GET", `${JOBS}?status=closed`);
      assert.ok(!closed.json.jobs.some((j: { dealId: string }) => j.dealId === job.dealId));
      assert.equal((await call(base, account(CREATOR), "GET", `${JOBS}?status=done`)).status, 400);
    });
  });

  describe("bad input", () => {
    it("answers random bodies with a 4xx and a JSON error, and stays up with its jobs intact", async () => {
      // A sequence number no other test uses: with the lane, it keeps this offer two fields away from every other
      // job's, so no single mutation below can turn it into another job already submitted in the same second.
      const job = await makeJob({ offer: { seq: 77 } });
      await submitOk(base, job);
      const stored = await getJob(base, job.dealId);
      assert.equal(stored.status, 200);
      const listBefore = await call(base, account(CREATOR), "GET", `${JOBS}?limit=1000`);
      const fuzzer = account(STRANGER);
      const validWire = toWire(job.body) as Record<string, unknown>;

      const expect4xx = (answer: Answer, what: string) => {
        assert.ok(answer.status >= 400 && answer.status < 500, `${what}: answered ${answer.status} ${JSON.stringify(answer.json)}`);
        assert.equal(typeof answer.json?.code, "string", `${what}: ${JSON.stringify(answer.json)}`);
        assert.equal(typeof answer.json?.message, "string", `${what}: ${JSON.stringify(answer.json)}`);
        assert.notEqual(answer.json.code.startsWith("AUTH_"), true, `${what}: should have passed auth: ${JSON.stringify(answer.json)}`);
      };
      const params = { numRuns: 200 };

      // Any JSON value, as a job or as capacity.
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), async (value) => {
          const text = JSON.stringify(value);
          expect4xx(await call(base, fuzzer, "POST", JOBS, text), `POST ${text}`);
          expect4xx(await call(base, fuzzer, "PUT", CAPACITY, text), `PUT ${text}`);
        }),
        params,
      );

      // Any text at all, sent as JSON.
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("{", "[1,", '{"offer":', "1e400", "\u0000", "{}{}")), async (text) => {
          expect4xx(await call(base, fuzzer, "POST", JOBS, text), `POST ${JSON.stringify(text)}`);
          expect4xx(await call(base, fuzzer, "PUT", CAPACITY, text), `PUT ${JSON.stringify(text)}`);
        }),
        params,
      );

      // Objects with the right field names (and some others) holding random values.
      const randomFields = (keys: string[]) =>
        fc.record(Object.fromEntries(keys.map((k) => [k, fc.jsonValue()])), { requiredKeys: [] }).chain((known) =>
          fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }).map((extra) => ({ ...extra, ...known })),
        );
      await fc.assert(
        fc.asyncProperty(randomFields(["offer", "signature", "inputs", "resources", "deadline"]), async (value) => {
          expect4xx(await call(base, fuzzer, "POST", JOBS, value), `POST ${toWireJson(value)}`);
        }),
        params,
      );
      const capacityKeys = ["free", "slots", "modules", "basePrice", "pricePerMInstr", "timeoutCollateral", "collateralMultiple", "mediators", "expiresAt", "resultsUrl"];
      await fc.assert(
        fc.asyncProperty(randomFields(capacityKeys), async (value) => {
          expect4xx(await call(base, fuzzer, "PUT", CAPACITY, value), `PUT ${toWireJson(value)}`);
        }),
        params,
      );

      // The valid job's body with one field (at any depth) replaced by a random value, sent by its creator. Any
      // change to the offer breaks its signature; a change elsewhere resubmits the same offer, which answers with
      // the stored record (and changes nothing).
      const paths = leafPaths(validWire);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), plausibleValue(), async (path, value) => {
          const mutated = setAt(structuredClone(validWire), path, value);
          const answer = await call(base, account(CREATOR), "POST", JOBS, mutated);
          if (answer.status === 201) assert.deepEqual(answer.json, stored.json.record, `mutated ${path.join(".")}`);
          else expect4xx(answer, `mutated ${path.join(".")} = ${JSON.stringify(value)}`);
        }),
        params,
      );

      // The same for a provider's capacity (its escrow is empty, so an intact body is refused; a mutated one may
      // become acceptable, e.g. with no slots, which is a fine answer too).
      const capacity = {
        free: { cpu: 4, ramMiB: 4096, gpu: 0, diskMiB: 1024 },
        slots: 2,
        modules: [MODULE_ID],
        basePrice: "100",
        pricePerMInstr: "1",
        timeoutCollateral: parseEther("1").toString(),
        collateralMultiple: 2,
        mediators: [mediator()],
        expiresAt: unixNow() + 600,
        resultsUrl: "http://127.0.0.1:1/results",
      };
      assertError(await call(base, fuzzer, "PUT", CAPACITY, capacity), 400, "INSUFFICIENT_ESCROW", "intact capacity");
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...leafPaths(capacity)), plausibleValue(), async (path, value) => {
          const mutated = setAt(structuredClone(capacity), path, value);
          const answer = await call(base, fuzzer, "PUT", CAPACITY, mutated);
          if (answer.status !== 204) expect4xx(answer, `mutated capacity ${path.join(".")} = ${JSON.stringify(value)}`);
        }),
        params,
      );

      // Random path segments and query strings on the read routes.
      await fc.assert(
        fc.asyncProperty(fc.string(), fc.string(), async (id, limit) => {
          expect4xx(await call(base, fuzzer, "GET", `${JOBS}/${encodeURIComponent(id)}`), `GET job ${JSON.stringify(id)}`);
          const answer = await call(base, fuzzer, "GET", `${JOBS}?limit=${encodeURIComponent(limit)}`);
          if (answer.status !== 200) expect4xx(answer, `GET jobs?limit=${JSON.stringify(limit)}`);
        }),
        { numRuns: 60 },
      );

      const health = await send(base, "GET", HEALTH, undefined);
      assert.equal(health.status, 200);
      assert.equal(health.json.ok, true);
      assert.deepEqual(await getJob(base, job.dealId).then((a) => [a.status, a.json]), [200, stored.json]);
      const listAfter = await call(base, account(CREATOR), "GET", `${JOBS}?limit=1000`);
      assert.deepEqual(listAfter.json, listBefore.json);
    });
  });
});

describe("saturation", () => {
  it("answers SOLVER_BUSY (503 with Retry-After) past its bound of unfinished jobs, over HTTP and the socket, keeping nothing of it", async () => {
    const busy = await newSolver(join(dir, "busy", "solver.db"), { maxActiveJobs: 2 });
    await submitOk(busy.url, await makeJob());
    await submitOk(busy.url, await makeJob());
    const third = await makeJob();
    const answer = await submit(busy.url, third);
    assertError(answer, 503, "SOLVER_BUSY");
    assert.match(answer.json.message, /saturated.*try again in 2 s/);
    assert.equal(answer.retryAfter, "2");

    const socket = openTestSocket(busy.url);
    await socket.opened;
    socket.ws.send(JSON.stringify(await hello(account(CREATOR))));
    assert.equal((await socket.nextMessage(0)).type, "welcome");
    socket.ws.send(toWireJson({ type: "job.submit", requestId: "r-1", job: third.body }));
    const refused = await socket.nextMessage(1);
    assert.deepEqual([refused.type, refused.code, refused.requestId], ["error", "SOLVER_BUSY", "r-1"]);
    socket.ws.close();
    await socket.closed();

    assertError(await getJob(busy.url, third.dealId), 404, "NOT_FOUND", "the refused job was not kept");
    await closeSolver(busy);
  });

  it("answers SOLVER_BUSY at once past its bound of submissions being checked, and takes them again after", async () => {
    const busy = await newSolver(join(dir, "checking", "solver.db"), { maxChecking: 1 });
    // What the server hands the solver: the bodies as its schema parses them.
    const [first, second] = [submitJobBodySchema.parse((await makeJob()).body), submitJobBodySchema.parse((await makeJob()).body)];
    // The first is still waiting on its chain reads when the second arrives.
    const checking = busy.solver.submitJob(address(CREATOR), first);
    await assert.rejects(busy.solver.submitJob(address(CREATOR), second), (error: unknown) => (error as { code?: string }).code === "SOLVER_BUSY");
    assert.equal((await checking).status, "queued");
    assert.equal((await busy.solver.submitJob(address(CREATOR), second)).status, "queued");
    await closeSolver(busy);
  });
});

describe("restart", () => {
  it("keeps the jobs and the used nonces across a restart on the same database file", async () => {
    const databasePath = join(dir, "restart", "solver.db");
    const first = await newSolver(databasePath);
    const job = await makeJob();
    const text = toWireJson(job.body);
    const postHeaders = await signedHeaders(account(CREATOR), "POST", JOBS, text);
    const submitted = await send(first.url, "POST", JOBS, text, postHeaders);
    assert.equal(submitted.status, 201, JSON.stringify(submitted.json));
    const readHeaders = await signedHeaders(account(CREATOR), "GET", `${JOBS}/${job.dealId}`, "");
    const before = await send(first.url, "GET", `${JOBS}/${job.dealId}`, undefined, readHeaders);
    assert.equal(before.status, 200);
    assert.equal(before.json.record.status, "queued");
    const helloMessage = await hello(account(CREATOR));
    const socket = openTestSocket(first.url);
    await socket.opened;
    socket.ws.send(JSON.stringify(helloMessage));
    assert.equal((await socket.nextMessage(0)).type, "welcome");
    await closeSolver(first);
    await socket.closed();

    const second = await newSolver(databasePath);
    assert.notEqual(second.url, "");
    const after = await getJob(second.url, job.dealId);
    assert.equal(after.status, 200, JSON.stringify(after.json));
    assert.deepEqual(after.json, before.json);
    assert.equal(after.json.record.status, "queued");

    // Requests seen before the restart are still replays after it (the nonces live in SQLite).
    assert.ok(Number(readHeaders["x-lilypad-expiry"]) > unixNow(), "the replayed headers have not expired");
    assertError(await send(second.url, "GET", `${JOBS}/${job.dealId}`, undefined, readHeaders), 401, "AUTH_REPLAYED", "replayed GET");
    assertError(await send(second.url, "POST", JOBS, text, postHeaders), 401, "AUTH_REPLAYED", "replayed POST");
    const replay = openTestSocket(second.url);
    await replay.opened;
    replay.ws.send(JSON.stringify(helloMessage));
    const closed = await replay.closed();
    assert.equal(closed.code, 4003);
    assert.equal(closed.reason, "hello refused: replayed");

    // The lane is still taken and the job still counted as waiting.
    assertError(await submit(second.url, await makeJob({ offer: { lane: job.offer.lane, seq: 2 } })), 400, "LANE_BUSY", "after restart");
    await closeSolver(second);
  });
});

// ---- helpers for the mutation fuzz ----

type Path = (string | number)[];

function leafPaths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  // Each container is itself a place to put a random value, as is each of its leaves.
  return [prefix, ...entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]))];
}

/** Random JSON, or values of the kinds the schemas expect (numbers, decimal strings, hex, addresses). */
function plausibleValue(): fc.Arbitrary<unknown> {
  const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  return fc.oneof(
    fc.jsonValue(),
    fc.boolean(),
    fc.integer(),
    fc.nat(),
    fc.constantFrom(0, 1, -1, 0.5, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, 1e300),
    fc.bigInt({ min: 0n, max: 1n << 100n }).map(String),
    fc.constantFrom("0", "-1", "1e3", "0x10", ""),
    hex(32),
    hex(20),
    fc.constant(null),
    fc.array(hex(20), { maxLength: 5 }),
  );
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  let node: any = root;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = value;
  return root;
}
