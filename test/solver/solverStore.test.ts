// The solver's SQLite store on a real file: writes commit in groups on the next turn of the event loop, and
// `committed()` is the moment another connection (or a restart) can see them; until then only this store's own reads
// do. Also the per-job log cap, nonce replay and expiry, and close() flushing a pending batch.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { getAddress, keccak256, serializeSignature, toHex, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { jobOfferDigest, toCompactSignature } from "../../src/chain/offers.ts";
import { jobRecordSchema, submitJobBodySchema, type JobRecord } from "../../src/core/api/solverProtocol.ts";
import { inputsHashOf } from "../../src/core/moduleInputs.ts";
import { signDigest } from "../../src/core/secp256k1.ts";
import { buildJobOffer } from "../../src/job-creator/buildJobOffer.ts";
import { DEFAULT_JOB_TERMS } from "../../src/job-creator/jobTerms.ts";
import { MAX_LOG_LINES, MAX_OUTPUT_CHARS, SOLVER_COMMIT_WINDOW_MS, SolverStore, type StoredJob } from "../../src/solver/solverStore.ts";

const NOW = 1_700_000_000;
const CREATOR_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const CREATOR = privateKeyToAddress(CREATOR_KEY);
const PROVIDER = getAddress("0x90f79bf6eb2c4f870365e785982e1f101e93b906");
const MEDIATOR = getAddress("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
const SOLVER = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
const MODULE_ID = keccak256(toHex("solver store test module"));
const DOMAIN = { chainId: 31337, market: getAddress("0x5fbdb2315678afccb367f032d93f642f64180aa3") };

/** A job as the solver stores it on submission: a signed offer in `lane`, queued. */
function storedJob(lane: number, record: Partial<JobRecord> = {}): StoredJob {
  const inputs = { Message: `hello from lane ${lane}` };
  const offer = buildJobOffer({
    creator: CREATOR,
    moduleId: MODULE_ID,
    inputsHash: inputsHashOf(inputs),
    terms: DEFAULT_JOB_TERMS,
    mediators: [MEDIATOR],
    maxInstructions: 10n ** 10n,
    submitter: SOLVER,
    lane,
    seq: 1,
    now: NOW,
  });
  const dealId = jobOfferDigest(DOMAIN, offer);
  const body = submitJobBodySchema.parse({
    offer,
    signature: toCompactSignature(serializeSignature(signDigest(CREATOR_KEY, dealId))),
    inputs,
    resources: { cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 0 },
    deadline: NOW + DEFAULT_JOB_TERMS.matchTimeout,
  });
  return {
    body,
    record: jobRecordSchema.parse({
      dealId,
      creator: offer.creator,
      submitter: offer.creator,
      moduleId: offer.moduleId,
      inputs,
      status: "queued",
      createdAt: NOW + lane,
      updatedAt: NOW + lane,
      ...record,
    }),
  };
}

const capacity = {
  free: { cpu: 4, ramMiB: 8192, gpu: 0, diskMiB: 10_000 },
  slots: 2,
  modules: [MODULE_ID],
  engines: ["wasm" as const, "js" as const],
  basePrice: 100n,
  pricePerMInstr: 1n,
  timeoutCollateral: 10n ** 17n,
  collateralMultiple: 2,
  mediators: [MEDIATOR],
  expiresAt: NOW + 3600,
  resultsUrl: "http://127.0.0.1:9999/results",
};

const dirs: string[] = [];
const opened: SolverStore[] = [];
const peers: DatabaseSync[] = [];

after(async () => {
  for (const store of opened) {
    try {
      store.close();
    } catch {
      // closed by the test
    }
  }
  for (const peer of peers) if (peer.isOpen) peer.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A new store in a fresh folder (a sub-folder, which it creates), and the path of its file. */
async function freshStore(): Promise<{ store: SolverStore; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "lilypad-solver-store-"));
  dirs.push(dir);
  const file = join(dir, "state", "solver.sqlite");
  return { store: open(file), file };
}

function open(file: string): SolverStore {
  const store = new SolverStore(file);
  opened.push(store);
  return store;
}

/** Another connection to the same file, as another process (or the solver after a restart) would have. */
function peer(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly: true });
  peers.push(db);
  return db;
}

const statuses = (db: DatabaseSync) => (db.prepare("SELECT status FROM jobs ORDER BY created_at").all() as { status: string }[]).map((r) => r.status);
const count = (db: DatabaseSync, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
/** A job's log as plain objects (node:sqlite rows have a null prototype, which deepEqual tells apart). */
const logsOf = (store: SolverStore, dealId: Hex) => store.logsOf(dealId).map((l) => ({ at: l.at, line: l.line }));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("SolverStore", () => {
  it("another connection sees no write until the batch commits, then all of them", async () => {
    const { store, file } = await freshStore();
    const other = peer(file);
    const job = storedJob(1);
    store.insertJob(job);
    store.putCapacity({ provider: PROVIDER, body: capacity, updatedAt: NOW });
    assert.equal(store.recordNonce(CREATOR, "n1", NOW + 60), true);
    store.appendLog(job.record.dealId, "started", NOW);
    store.setMeta("cursor", "42");

    assert.deepEqual(statuses(other), [], "written, not yet committed: invisible");
    for (const table of ["capacity", "nonces", "job_logs", "meta"]) assert.equal(count(other, table), 0, table);

    await store.committed();
    assert.deepEqual(statuses(other), ["queued"]);
    for (const table of ["capacity", "nonces", "job_logs", "meta"]) assert.equal(count(other, table), 1, table);
  });

  it("commits once its window has passed, with every write made before it", async () => {
    const { store, file } = await freshStore();
    const other = peer(file);
    store.insertJob(storedJob(1));
    await nextTurn(); // a turn later, within the window: the same batch
    store.insertJob(storedJob(2));
    assert.deepEqual(statuses(other), []);
    await new Promise((resolve) => setTimeout(resolve, SOLVER_COMMIT_WINDOW_MS + 20));
    assert.deepEqual(statuses(other), ["queued", "queued"], "committed without anyone awaiting committed()");
  });

  it("a write after a commit opens a new batch, which committed() then waits for", async () => {
    const { store, file } = await freshStore();
    const other = peer(file);
    const first = storedJob(1);
    store.insertJob(first);
    await store.committed();
    store.updateJob({ ...first.record, status: "matched", provider: PROVIDER });
    store.insertJob(storedJob(2));
    assert.deepEqual(statuses(other), ["queued"], "the new batch is not committed yet");
    await store.committed();
    assert.deepEqual(statuses(other), ["matched", "queued"]);
    const row = other.prepare("SELECT provider FROM jobs WHERE deal_id = ?").get(first.record.dealId) as { provider: string };
    assert.equal(row.provider, PROVIDER);
  });

  it("committed() with nothing pending resolves at once, before the next turn", async () => {
    const { store } = await freshStore();
    const order: string[] = [];
    setImmediate(() => order.push("next turn"));
    await store.committed();
    order.push("committed");
    store.setMeta("k", "v");
    await store.committed();
    order.push("batch committed");
    await store.committed(); // nothing pending again
    order.push("committed again");
    assert.deepEqual(order, ["committed", "next turn", "batch committed", "committed again"]);
  });

  it("reads on the same store see its own uncommitted writes", async () => {
    const { store, file } = await freshStore();
    const job = storedJob(3);
    store.insertJob(job);
    store.setMeta("cursor", "7");
    store.putCapacity({ provider: PROVIDER, body: capacity, updatedAt: NOW });
    store.appendLog(job.record.dealId, "line", NOW);

    assert.deepEqual(store.getJob(job.record.dealId), job, "the whole job, bigints and all");
    assert.deepEqual(store.getJob(job.record.dealId.toUpperCase().replace("0X", "0x") as Hex), job, "the deal id in any case");
    assert.deepEqual(store.jobsWithStatus(["queued"]), [job]);
    assert.deepEqual(store.jobsOf(CREATOR, 10), [job.record]);
    assert.equal(store.laneWaiting(CREATOR, 3), true);
    assert.equal(store.laneWaiting(CREATOR, 4), false);
    assert.equal(store.getMeta("cursor"), "7");
    assert.deepEqual(store.capacities(), [{ provider: PROVIDER, body: capacity, updatedAt: NOW }]);
    assert.deepEqual(logsOf(store, job.record.dealId), [{ at: NOW, line: "line" }]);

    store.updateJob({ ...job.record, status: "open", provider: PROVIDER });
    assert.equal(store.getJob(job.record.dealId)?.record.status, "open");
    assert.equal(store.laneWaiting(CREATOR, 3), false, "an open deal no longer waits in the lane");
    assert.deepEqual(store.jobsOf(PROVIDER, 10).map((r) => r.dealId), [job.record.dealId]);
    assert.deepEqual(statuses(peer(file)), [], "and still nobody else does");
  });

  it("appendLog keeps at most MAX_LOG_LINES per job, in the order they were appended", async () => {
    const { store, file } = await freshStore();
    const chatty = storedJob(1).record.dealId;
    const quiet = storedJob(2).record.dealId;
    // Timestamps run backwards: the order is the append order, not the time order.
    for (let i = 0; i < MAX_LOG_LINES + 25; i++) store.appendLog(chatty, `line ${i}`, NOW - i);
    store.appendLog(quiet, "only line", NOW);

    const logs = logsOf(store, chatty);
    assert.equal(logs.length, MAX_LOG_LINES);
    assert.deepEqual(
      logs.map((l) => l.line),
      Array.from({ length: MAX_LOG_LINES }, (_, i) => `line ${i}`),
      "the first lines are kept; later ones are dropped",
    );
    assert.deepEqual(logs[0], { at: NOW, line: "line 0" });
    assert.deepEqual(logsOf(store, quiet), [{ at: NOW, line: "only line" }], "another job's log is not capped by the first");

    await store.committed();
    store.appendLog(chatty, "after the commit", NOW);
    assert.equal(store.logsOf(chatty).length, MAX_LOG_LINES, "the cap holds across batches");
    assert.equal(count(peer(file), "job_logs"), MAX_LOG_LINES + 1);
  });

  it("recordNonce: false for a replay, in the same batch, after a commit and after a restart", async () => {
    const { store, file } = await freshStore();
    assert.equal(store.recordNonce(CREATOR, "abc", NOW + 60), true);
    assert.equal(store.recordNonce(CREATOR, "abc", NOW + 60), false, "replayed before the commit");
    assert.equal(store.recordNonce(PROVIDER, "abc", NOW + 60), true, "another address's nonce is its own");
    await store.committed();
    assert.equal(store.recordNonce(CREATOR, "abc", NOW + 600), false, "replayed after the commit");
    store.close();

    const reopened = open(file);
    assert.equal(reopened.recordNonce(CREATOR, "abc", NOW + 60), false, "replayed after a restart");
    reopened.pruneNonces(NOW + 61);
    assert.equal(reopened.recordNonce(CREATOR, "abc", NOW + 120), true, "forgotten once expired and pruned");
  });

  it("answers the per-submission lane check from an index, not a scan of every job (a burst of jobs was quadratic)", async () => {
    const { store, file } = await freshStore();
    store.insertJob(storedJob(7));
    await store.committed();
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const plan = db
        .prepare("EXPLAIN QUERY PLAN SELECT 1 FROM jobs WHERE lane_key = ? AND status IN ('queued', 'matched') LIMIT 1")
        .all("0x0000000000000000000000000000000000000001:0") as Array<{ detail: string }>;
      assert.ok(plan.some((step) => /USING (COVERING )?INDEX jobs_lane/.test(step.detail)), JSON.stringify(plan));
    } finally {
      db.close();
    }
  });

  it("close() commits a pending batch: a reopened store reads it", async () => {
    const { store, file } = await freshStore();
    const job = storedJob(5);
    store.insertJob(job);
    store.setMeta("cursor", "99");
    store.appendLog(job.record.dealId, "last words", NOW);
    const pending = store.committed();
    store.close();
    store.close(); // closing twice is harmless
    await pending; // resolves (the batch was committed by close), rather than hanging or rejecting

    const reopened = open(file);
    assert.deepEqual(reopened.getJob(job.record.dealId), job);
    assert.equal(reopened.getMeta("cursor"), "99");
    assert.deepEqual(logsOf(reopened, job.record.dealId), [{ at: NOW, line: "last words" }]);
  });

  it("keeps a job's live output apart from its status lines, capped at MAX_OUTPUT_CHARS, read from a sequence number on", async () => {
    const { store } = await freshStore();
    const job = storedJob(6);
    store.insertJob(job);
    const dealId = job.record.dealId;
    assert.equal(store.appendLog(dealId, "running", NOW), true);
    const chunk = "x".repeat(4096);
    let kept = 0;
    while (store.appendLog(dealId, chunk, NOW, "stdout")) kept++;
    assert.equal(kept, MAX_OUTPUT_CHARS / chunk.length);
    assert.equal(store.appendLog(dealId, "e", NOW, "stderr"), false, "the cap is both streams' together");
    assert.equal(store.appendLog(dealId, "finished", NOW), true, "status lines have their own cap");
    const all = store.logsOf(dealId);
    assert.deepEqual(all.map((l) => l.stream), ["status", ...Array<string>(kept).fill("stdout"), "status"]);
    assert.deepEqual(store.logsOf(dealId, all.at(-2)!.seq).map((l) => ({ ...l })), [{ seq: all.at(-1)!.seq, at: NOW, stream: "status", line: "finished" }]);
  });

  it("opens a store made before output was kept: the log table gains its stream column, old lines read as status", async () => {
    const dir = await mkdtemp(join(tmpdir(), "solver-store-"));
    dirs.push(dir);
    const file = join(dir, "solver.sqlite");
    const old = new DatabaseSync(file);
    old.exec("CREATE TABLE job_logs (deal_id TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL, line TEXT NOT NULL, PRIMARY KEY (deal_id, seq)) WITHOUT ROWID");
    const dealId = storedJob(7).record.dealId;
    old.prepare("INSERT INTO job_logs (deal_id, seq, at, line) VALUES (?, 0, ?, 'from before')").run(dealId, NOW);
    old.close();
    const store = open(file);
    store.appendLog(dealId, "moo\n", NOW + 1, "stdout");
    assert.deepEqual(store.logsOf(dealId).map((l) => ({ ...l })), [
      { seq: 0, at: NOW, stream: "status", line: "from before" },
      { seq: 1, at: NOW + 1, stream: "stdout", line: "moo\n" },
    ]);
    assert.deepEqual(store.timelineOf(dealId), [], "a job from before the timeline has none");
    store.close();
    open(file); // opening again finds the column there
  });

  it("a job's timeline: each step once, the chain's transaction added to a step first heard without it", async () => {
    const { store } = await freshStore();
    const dealId = storedJob(8).record.dealId;
    const tx = `0x${"ab".repeat(32)}` as Hex;
    store.appendEvent(dealId, { event: "submitted", at: NOW });
    store.appendEvent(dealId, { event: "open", at: NOW + 1, txHash: tx });
    store.appendEvent(dealId, { event: "result-posted", at: NOW + 2 });
    store.appendEvent(dealId, { event: "result-posted", at: NOW + 3, txHash: tx });
    store.appendEvent(dealId, { event: "closed", at: NOW + 4, outcome: 0 });
    assert.deepEqual(store.timelineOf(dealId), [
      { event: "submitted", at: NOW },
      { event: "open", at: NOW + 1, txHash: tx },
      { event: "result-posted", at: NOW + 2, txHash: tx },
      { event: "closed", at: NOW + 4, outcome: 0 },
    ]);
  });

  it("jobsOf narrows by status, module and submission time before the limit", async () => {
    const { store } = await freshStore();
    const jobs = [storedJob(10), storedJob(11, { status: "closed" }), storedJob(12, { status: "closed", moduleId: `0x${"11".repeat(32)}` })];
    for (const job of jobs) store.insertJob(job);
    const ids = (records: JobRecord[]) => records.map((r) => r.dealId);
    assert.deepEqual(ids(store.jobsOf(CREATOR, 10, { statuses: ["closed"] })), [jobs[2]!.record.dealId, jobs[1]!.record.dealId]);
    assert.deepEqual(ids(store.jobsOf(CREATOR, 1, { statuses: ["closed"] })), [jobs[2]!.record.dealId]);
    assert.deepEqual(ids(store.jobsOf(CREATOR, 10, { moduleId: MODULE_ID })), [jobs[1]!.record.dealId, jobs[0]!.record.dealId]);
    assert.deepEqual(ids(store.jobsOf(CREATOR, 10, { since: NOW + 11 })), [jobs[2]!.record.dealId, jobs[1]!.record.dealId]);
    assert.deepEqual(ids(store.jobsOf(CREATOR, 10, { statuses: ["queued"], since: NOW + 11 })), []);
  });
});
