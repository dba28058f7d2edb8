// A creator that revokes its unopened offers on chain (the market's `revokeOffers`, event OffersRevoked): the solver
// follows the event, ends every job of that creator and lane with an offer numbered up to the revoked one as
// `revoked` (GET job and the creator's socket say so, with the reason), lets go of its lane and its reserved escrow,
// and never proposes or opens it, while the creator's other jobs, and a new offer numbered above, go on. A submission
// whose offer the lane's number already covers is refused. Real dev chain, real solver on loopback, a provider
// played by a socket that signs whatever it is proposed.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { availableInEscrow, depositToEscrow } from "../../src/chain/market/escrow.ts";
import { laneStatus } from "../../src/chain/market/laneStatus.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { revokeOffers } from "../../src/chain/market/revokeOffers.ts";
import { jobOfferDigest, signJobOffer, signResourceOffer } from "../../src/chain/offers.ts";
import { domainOf } from "../../src/chain/verifyOffers.ts";
import { jobRecordSchema, type JobRecord, type ServerMessage, type SubmitJobBodyInput } from "../../src/core/api/solverProtocol.ts";
import { jobOfferSchema, ZERO_ADDRESS, type JobOffer } from "../../src/core/dealTypes.ts";
import { createLogger } from "../../src/core/logger.ts";
import { inputsHashOf, type ResolvedInputs } from "../../src/core/moduleInputs.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";
import { SolverClient, SolverRequestError, type EventStream } from "../../src/net/solverClient.ts";
import { startSolver, type RunningSolver } from "../../src/solver/solverServer.ts";

const MODULE_ID = keccak256(toHex("revoked offers test module"));
const INPUTS: ResolvedInputs = { Message: "revoke me" };
const PAYMENT = parseEther("10");
const CREATOR = 11;
const PROVIDER = 12;
/** A provider that is proposed a job and sits on it. */
const SLOW_PROVIDER = 13;

const unixNow = () => Math.floor(Date.now() / 1000);

describe("the solver follows revoked offers", { timeout: 60_000 }, () => {
  let dev: DevChain;
  let dir: string;
  let running: RunningSolver;
  let creator: ChainConnection;
  let provider: ChainConnection;
  let solverForCreator: SolverClient;
  let creatorSocket: EventStream | undefined;
  let providerSocket: EventStream | undefined;
  const toCreator: ServerMessage[] = [];
  const proposals: Hex[] = [];

  before(async () => {
    dev = await startDevChain();
    const connect = (index: number) => connectChain({ network: dev.network, privateKey: devPrivateKey(index), transport: dev.transport });
    creator = connect(CREATOR);
    provider = connect(PROVIDER);
    // Escrow for one job and a half: a second waiting job does not fit until the first lets go of its reservation.
    await depositToEscrow(creator, PAYMENT + PAYMENT / 2n);
    await depositToEscrow(provider, parseEther("20"));
    dir = await mkdtemp(join(tmpdir(), "lilypad-solver-revoked-"));
    running = await startSolver({
      conn: connect(DevAccountIndex.solver),
      databasePath: join(dir, "solver.db"),
      log: createLogger({ role: "solver", level: "silent" }),
      host: "127.0.0.1",
      port: 0,
    });
    solverForCreator = new SolverClient({ url: running.url, account: creator.account, scope: domainOf(creator) });
    creatorSocket = solverForCreator.subscribe({ onMessage: (m) => toCreator.push(m) });
    await creatorSocket.ready();
  });

  after(async () => {
    creatorSocket?.close();
    providerSocket?.close();
    await running?.close();
    await dev?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function job(lane: number, seq: number, targetProvider: Address = ZERO_ADDRESS): Promise<{ body: SubmitJobBodyInput; offer: JobOffer; dealId: Hex }> {
    const chainTime = (await dev.publicClient.getBlock()).timestamp;
    const expiry = (chainTime > BigInt(unixNow()) ? chainTime : BigInt(unixNow())) + 3600n;
    const offer = jobOfferSchema.parse({
      creator: creator.address,
      moduleId: MODULE_ID,
      inputsHash: inputsHashOf(INPUTS),
      maxBasePrice: parseEther("1"),
      maxPricePerMInstr: parseEther("0.01"),
      paymentCollateral: PAYMENT,
      mediationFee: parseEther("0.5"),
      minTimeoutCollateral: parseEther("1"),
      minCollateralMultiple: 2,
      mediators: [devAccount(DevAccountIndex.mediator).address],
      targetProvider,
      resultTimeout: 600,
      judgingWindow: 600,
      mediationTimeout: 600,
      callback: false,
      lane,
      seq,
      expiry,
      maxInstructions: 10n ** 9n,
      submitter: ZERO_ADDRESS,
    });
    const signature = await signJobOffer(creator.wallet, domainOf(creator), offer);
    const body: SubmitJobBodyInput = { offer, signature, inputs: INPUTS, resources: { cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 0 }, deadline: Math.min(unixNow() + 1800, Number(expiry)) };
    return { body, offer, dealId: jobOfferDigest(domainOf(creator), offer) };
  }

  async function recordOf(dealId: Hex): Promise<JobRecord> {
    return jobRecordSchema.parse((await solverForCreator.getJob(dealId)).record);
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const refusal = (code: string) => (error: unknown) => {
    assert.ok(error instanceof SolverRequestError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  };

  it("a queued job whose offer is revoked on chain ends revoked, frees its lane and escrow, and is never proposed or opened", async () => {
    // No provider is online: the job waits.
    const revoked = await job(3, 1);
    assert.equal((await solverForCreator.submitJob(revoked.body)).status, "queued");
    // Its reservation holds the creator's escrow, and its lane.
    await assert.rejects(solverForCreator.submitJob((await job(4, 1)).body), refusal("INSUFFICIENT_ESCROW"));
    await assert.rejects(solverForCreator.submitJob((await job(3, 2)).body), refusal("LANE_BUSY"));

    const { seq } = await revokeOffers(creator, { lane: 3, seq: 5 });
    assert.equal(seq, 5);

    // The solver hears of it from the chain: the job ends revoked, which GET job and the creator's socket say.
    const record = await waitFor("the job to be revoked", async () => {
      const r = await recordOf(revoked.dealId);
      return r.status === "queued" ? undefined : r;
    });
    assert.equal(record.status, "revoked");
    assert.equal(record.code, "REVOKED");
    assert.equal(record.reason, "the creator revoked its offers of lane 3 up to seq 5 on chain before any deal opened");
    assert.equal(record.provider, undefined);
    const update = await waitFor("the creator to be told", () => toCreator.find((m) => m.type === "job.update" && m.dealId === revoked.dealId && m.status === "revoked"));
    assert.deepEqual(update, { type: "job.update", dealId: revoked.dealId, status: "revoked", code: "REVOKED", reason: record.reason });
    assert.ok((await solverForCreator.listJobs()).some((j) => j.dealId === revoked.dealId && j.status === "revoked"));

    // Its reservation and its lane are free: another lane's job fits the escrow now. In the revoked lane, an offer
    // the revocation covers is refused at once; one numbered above it is taken.
    const other = await job(4, 1);
    assert.equal((await solverForCreator.submitJob(other.body)).status, "queued");
    await assert.rejects(solverForCreator.submitJob((await job(3, 5)).body), refusal("STALE_SEQUENCE"));
    // (The escrow holds one job and a half: the lane's next job waits on the other's reservation, not on the lane.)
    await assert.rejects(solverForCreator.submitJob((await job(3, 6)).body), refusal("INSUFFICIENT_ESCROW"));

    // A provider comes online with room for both jobs: only the live one is proposed, and opened.
    providerSocket = new SolverClient({ url: running.url, account: provider.account, scope: domainOf(provider) }).subscribe({
      onMessage: (m) => {
        if (m.type !== "deal.proposal") return;
        proposals.push(m.dealId);
        void signResourceOffer(provider.wallet, domainOf(provider), m.resource).then((signature) =>
          providerSocket?.send({ type: "proposal.signed", dealId: m.dealId, resource: m.resource, signature }),
        );
      },
    });
    await providerSocket.ready();
    await new SolverClient({ url: running.url, account: provider.account, scope: domainOf(provider) }).putCapacity({
      free: { cpu: 8, ramMiB: 8192, gpu: 0, diskMiB: 1024 },
      slots: 4,
      modules: [MODULE_ID],
      basePrice: 100n,
      pricePerMInstr: 1n,
      timeoutCollateral: parseEther("1"),
      collateralMultiple: 2,
      mediators: revoked.offer.mediators.filter((m) => m !== ZERO_ADDRESS),
      expiresAt: unixNow() + 600,
      resultsUrl: "http://127.0.0.1:1/results",
    });
    const opened = await waitFor("the live job's deal to open", async () => {
      const r = await recordOf(other.dealId);
      return r.status === "open" ? r : undefined;
    });
    assert.equal(opened.provider, provider.address);
    assert.ok(await readDeal(creator, other.dealId), "the live job's deal is on chain");
    assert.deepEqual(proposals, [other.dealId], "the revoked job was never proposed");
    assert.equal(await readDeal(creator, revoked.dealId), undefined, "the revoked job never opened");
    assert.equal((await recordOf(revoked.dealId)).status, "revoked");
    assert.equal((await laneStatus(creator, creator.address, 3)).seq, 5);
    assert.ok((await availableInEscrow(creator, creator.address)) < PAYMENT, "the live job's payment is locked");
  });

  it("a matched job whose offer is revoked while its provider has the proposal ends revoked; the late signature is refused and nothing opens", async () => {
    await depositToEscrow(creator, PAYMENT * 2n);
    const slow = connectChain({ network: dev.network, privateKey: devPrivateKey(SLOW_PROVIDER), transport: dev.transport });
    await depositToEscrow(slow, parseEther("20"));
    const slowProposals: { dealId: Hex; sign: () => Promise<void> }[] = [];
    const errors: string[] = [];
    const slowSocket = new SolverClient({ url: running.url, account: slow.account, scope: domainOf(slow) }).subscribe({
      onMessage: (m) => {
        if (m.type === "error") errors.push(m.code);
        if (m.type !== "deal.proposal") return;
        slowProposals.push({
          dealId: m.dealId,
          sign: async () => slowSocket.send({ type: "proposal.signed", dealId: m.dealId, resource: m.resource, signature: await signResourceOffer(slow.wallet, domainOf(slow), m.resource) }),
        });
      },
    });
    try {
      await slowSocket.ready();
      const mediators = [devAccount(DevAccountIndex.mediator).address];
      await new SolverClient({ url: running.url, account: slow.account, scope: domainOf(slow) }).putCapacity({
        free: { cpu: 8, ramMiB: 8192, gpu: 0, diskMiB: 1024 },
        slots: 1,
        modules: [MODULE_ID],
        basePrice: 100n,
        pricePerMInstr: 1n,
        timeoutCollateral: parseEther("1"),
        collateralMultiple: 2,
        mediators,
        expiresAt: unixNow() + 600,
        resultsUrl: "http://127.0.0.1:1/results",
      });
      const targeted = await job(7, 1, slow.address);
      await solverForCreator.submitJob(targeted.body);
      const proposal = await waitFor("the proposal", () => slowProposals.find((p) => p.dealId === targeted.dealId));
      assert.equal((await recordOf(targeted.dealId)).status, "matched");

      await revokeOffers(creator, { lane: 7, seq: 1 });
      const record = await waitFor("the job to be revoked", async () => {
        const r = await recordOf(targeted.dealId);
        return r.status === "matched" ? undefined : r;
      });
      assert.equal(record.status, "revoked");
      await proposal.sign();
      await waitFor("the late signature to be refused", () => (errors.includes("NO_PROPOSAL") ? true : undefined));
      assert.equal(await readDeal(creator, targeted.dealId), undefined, "nothing opened");
      assert.equal((await recordOf(targeted.dealId)).status, "revoked");
    } finally {
      slowSocket.close();
    }
  });
});
