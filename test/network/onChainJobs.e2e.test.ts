// End to end: a contract asks for a job through the OnChainJobCreator, the relay forwards the offer to the solver,
// a provider runs it and posts the result, the deal closes, and the market calls the contract back with the result's
// CID. And a request that no provider can serve fails at the solver, after which its client cancels it and takes its
// payment back. And requests that name the relay as their judge: it checks the result as the SDK does and accepts an
// honest one (the client gets its mediation fee back) or challenges a cheat's (the mediator rules the provider wrong,
// and the client gets its payment and the provider's stake).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CID } from "multiformats/cid";
import {
  bytesToHex,
  getAddress,
  parseEther,
  parseEventLogs,
  zeroAddress,
  type Address,
  type Hash,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import {
  exampleJobClientAbi,
  exampleJobClientBytecode,
  lilypadMarketAbi,
  lilypadTokenAbi,
  onChainJobCreatorAbi,
} from "../../src/chain/generated/contracts.ts";
import { domainOf } from "../../src/chain/verifyOffers.ts";
import type { JobRecord } from "../../src/core/api/solverProtocol.ts";
import { canonicalJsonBytes } from "../../src/core/canonicalJson.ts";
import { createLogger } from "../../src/core/logger.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";
import { OnChainJobRelay, type DroppedRequest, type RelayedRequest } from "../../src/job-creator/onChainRelay.ts";
import { resultCidOfDigest } from "../../src/core/resultCid.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { providerStakeOf, settlementOf } from "../../src/core/settlement.ts";
import type { JudgedRequest, UnjudgedRequest } from "../../src/job-creator/onChainRelay.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { SolverClient } from "../../src/net/solverClient.ts";
import { createBlockstore, type CreateBlockstoreResult } from "../../src/storage/createBlockstore.ts";

const RELAY_ACCOUNT = 8;
const CLIENT_ACCOUNT = 9;
const PAYMENT = parseEther("10");
/** The mediation fee of the requests the relay judges (no more than the providers' timeout collateral). */
const FEE = parseEther("0.25");
/** Runs compute only, and posts its results with an output hash that is not its stdout's. */
const CHEAT_ACCOUNT = 5;
/** A second relay, which spot-checks every result it judges. */
const SPOT_CHECK_RELAY_ACCOUNT = 11;
/** A third relay, which treats the devnet as a public network: it refuses loopback, private and link-local addresses. */
const PUBLIC_RELAY_ACCOUNT = 12;
const MESSAGE = "hello from a contract";
const ZERO_DIGEST: Hex = `0x${"0".repeat(64)}`;
/** Mirrors IOnChainJobCreator.RequestStatus. */
const RequestStatus = { None: 0, Pending: 1, Completed: 2, Cancelled: 3 } as const;

interface JobRequest {
  moduleId: Hex;
  inputs: string;
  maxBasePrice: bigint;
  maxPricePerMInstr: bigint;
  payment: bigint;
  minTimeoutCollateral: bigint;
  minCollateralMultiple: number;
  mediators: readonly [Address, Address, Address, Address];
  resultTimeout: number;
  judgingWindow: number;
  mediationTimeout: number;
  expiry: bigint;
  maxInstructions: bigint;
  mediationFee: bigint;
  submitter: Address;
  judge: Address;
}

/** The module id (the manifest CID's sha2-256 digest) of a shipped module. */
function shippedModuleId(key: string): Hex {
  const cid = readShippedCatalog()[key];
  assert.ok(cid, `modules/catalog.json has ${key}`);
  return bytesToHex(CID.parse(cid).multihash.digest);
}

/** Polls `probe` until it returns a value, or fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe("on-chain jobs through the relay, end to end", () => {
  const cowsay = shippedModuleId("cowsay:v1");
  const compute = shippedModuleId("compute:v1");
  let home: string;
  let net: EmbeddedNetwork;
  let relayStore: CreateBlockstoreResult;
  let relay: OnChainJobRelay;
  /** The solver as the relay sees it: the relay submitted the jobs, so it may read them. */
  let solver: SolverClient;
  /** Deploys and owns the ExampleJobClient; in the cancel test, the client itself. */
  let owner: ChainConnection;
  let faucet: ChainConnection;
  let jobCreator: Address;
  let token: Address;
  let client: Address;
  const relayed: RelayedRequest[] = [];
  const dropped: DroppedRequest[] = [];
  const judged: JudgedRequest[] = [];
  const unjudged: UnjudgedRequest[] = [];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-onchain-e2e-"));
    // The honest provider runs cowsay only and the cheat compute only, so a job for any other module finds no
    // provider, and each job goes to the provider its module names.
    net = await startNetwork({
      home,
      providers: [{ modules: [cowsay] }, { account: CHEAT_ACCOUNT, modules: [compute], faults: { wrongOutputHash: true } }],
    });
    jobCreator = net.network.contracts.jobCreator;
    token = net.network.contracts.token;
    owner = net.connect(CLIENT_ACCOUNT);
    faucet = net.connect(DevAccountIndex.deployer);

    const relayConn = net.connect(RELAY_ACCOUNT);
    relayStore = await createBlockstore({ path: join(home, "relay", "blocks") });
    relay = new OnChainJobRelay({
      conn: relayConn,
      solverUrl: net.solver.url,
      log: createLogger({ role: "job-relay", level: "silent" }),
      blockstore: relayStore,
      workDir: join(home, "relay", "work"),
    });
    relay.onRelayed((r) => relayed.push(r));
    relay.onDropped((r) => dropped.push(r));
    relay.onJudged((j) => judged.push(j));
    relay.onUnjudged((u) => unjudged.push(u));
    await relay.start();
    solver = new SolverClient({ url: net.solver.url, account: relayConn.account, scope: domainOf(relayConn) });

    const deployed = await send(
      owner,
      owner.wallet.deployContract({ abi: exampleJobClientAbi, bytecode: exampleJobClientBytecode, args: [jobCreator, token] }),
    );
    assert.ok(deployed.contractAddress, "ExampleJobClient deployed");
    client = getAddress(deployed.contractAddress);
    await send(faucet, faucet.wallet.writeContract({ address: token, abi: lilypadTokenAbi, functionName: "transfer", args: [client, parseEther("100")] }));
  });

  after(async () => {
    await relay?.stop();
    await net?.close();
    await relayStore?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function send(conn: ChainConnection, tx: Promise<Hash>): Promise<TransactionReceipt> {
    const receipt = await conn.publicClient.waitForTransactionReceipt({ hash: await tx });
    assert.equal(receipt.status, "success", `transaction ${receipt.transactionHash} succeeded`);
    return receipt;
  }

  const chainNow = async (): Promise<bigint> => (await net.dev.publicClient.getBlock({ blockTag: "latest" })).timestamp;

  const tokenBalance = (who: Address): Promise<bigint> =>
    net.dev.publicClient.readContract({ address: token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [who] });

  const claimable = (who: Address): Promise<bigint> =>
    net.dev.publicClient.readContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "claimable", args: [who] });

  const requestOf = (requestId: bigint) =>
    net.dev.publicClient.readContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "requestOf", args: [requestId] });

  async function jobRequest(overrides: Partial<JobRequest>): Promise<JobRequest> {
    return {
      moduleId: cowsay,
      inputs: new TextDecoder().decode(canonicalJsonBytes({ Message: MESSAGE })),
      maxBasePrice: parseEther("0.1"),
      maxPricePerMInstr: parseEther("0.01"),
      payment: PAYMENT,
      minTimeoutCollateral: parseEther("1"),
      minCollateralMultiple: 2,
      mediators: [net.mediatorAddress, zeroAddress, zeroAddress, zeroAddress],
      resultTimeout: 60,
      judgingWindow: 60,
      mediationTimeout: 600,
      expiry: (await chainNow()) + 600n,
      maxInstructions: 10n ** 10n,
      mediationFee: 0n,
      submitter: devAccount(DevAccountIndex.solver).address,
      judge: zeroAddress,
      ...overrides,
    };
  }

  /** The JobRequested event of a requestJob transaction. */
  function requested(receipt: TransactionReceipt, expectedClient: Address): { requestId: bigint; dealId: Hex } {
    const events = parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "JobRequested" });
    assert.equal(events.length, 1, "one JobRequested event");
    const event = events[0]!;
    assert.equal(event.args.client, expectedClient);
    return { requestId: event.args.requestId, dealId: event.args.dealId };
  }

  const relayedOf = (dealId: Hex): Promise<RelayedRequest> =>
    waitFor(`the relay to forward deal ${dealId} to the solver`, () => {
      const gaveUp = dropped.find((d) => d.dealId === dealId);
      if (gaveUp) assert.fail(`the relay dropped the request: ${gaveUp.code}: ${gaveUp.reason}`);
      return relayed.find((r) => r.dealId === dealId);
    });

  /** The relay's judgement of a deal's result. */
  const judgedOf = (dealId: Hex): Promise<JudgedRequest> =>
    waitFor(
      `the relay to judge the result of deal ${dealId}`,
      () => {
        const failed = unjudged.find((u) => u.dealId === dealId);
        if (failed) assert.fail(`the relay could not judge it: ${failed.reason}`);
        return judged.find((j) => j.dealId === dealId);
      },
      30_000,
    );

  /** Waits for the client contract's callback for `requestId`: whether it said ok, and the CID digest it got. */
  async function callbackOf(requestId: bigint): Promise<{ ok: boolean; resultCidDigest: Hex }> {
    const read = (functionName: "delivered" | "succeeded") =>
      net.dev.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName, args: [requestId] });
    await waitFor(`the client contract to be called back for request ${requestId}`, async () => ((await read("delivered")) ? true : undefined), 60_000);
    const resultCidDigest = await net.dev.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName: "resultOf", args: [requestId] });
    return { ok: await read("succeeded"), resultCidDigest };
  }

  /** The outcome the JobCompleted event of a request reports. */
  async function completedOutcome(requestId: bigint): Promise<number> {
    const events = await net.dev.publicClient.getContractEvents({
      address: jobCreator,
      abi: onChainJobCreatorAbi,
      eventName: "JobCompleted",
      args: { requestId },
      fromBlock: BigInt(net.network.deployBlock),
    });
    assert.equal(events.length, 1, "one JobCompleted event");
    return events[0]!.args.outcome!;
  }

  const jobWithStatus = (dealId: Hex, status: JobRecord["status"], timeoutMs: number): Promise<JobRecord> =>
    waitFor(
      `the solver to report deal ${dealId} as ${status}`,
      async () => {
        const { record } = await solver.getJob(dealId);
        if (record.status === status) return record;
        if (record.status === "failed" && status !== "failed") assert.fail(`the job failed: ${record.code}: ${record.reason}`);
        return undefined;
      },
      timeoutMs,
    );

  it("a contract requests cowsay: the relay forwards it, a provider runs it, and the market calls the contract back with the result", async () => {
    const request = await jobRequest({});
    assert.equal(request.inputs, `{"Message":"${MESSAGE}"}`);
    const client0 = await tokenBalance(client);
    const r = requested(
      await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] })),
      client,
    );
    assert.equal(await tokenBalance(client), client0 - PAYMENT);

    const forwarded = await relayedOf(r.dealId);
    assert.equal(forwarded.requestId, r.requestId);
    assert.equal(forwarded.client, client);

    // The provider runs the job and posts its result on chain.
    const posted = await jobWithStatus(r.dealId, "result-posted", 15_000);
    assert.ok(posted.result, "the solver has the posted result");
    assert.equal(posted.provider, net.providers[0]!.address);
    const onChain = await net.dev.publicClient.getContractEvents({
      address: net.network.contracts.market,
      abi: lilypadMarketAbi,
      eventName: "ResultPosted",
      args: { dealId: r.dealId },
      fromBlock: BigInt(net.network.deployBlock),
    });
    assert.equal(onChain.length, 1, "one ResultPosted event for the deal");
    const cidDigest = onChain[0]!.args.result?.cidDigest;
    assert.equal(cidDigest, posted.result.cidDigest, "the solver's record matches the chain");
    assert.equal(await net.dev.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName: "delivered", args: [r.requestId] }), false);

    // Nobody judges it: once the judging window has passed, the provider finalizes the deal, and the market calls the
    // job creator contract back, which calls the client.
    await net.dev.testClient.increaseTime({ seconds: 65 });
    await net.dev.testClient.mine({ blocks: 1 });
    await waitFor(
      `the client contract to be called back for request ${r.requestId}`,
      async () =>
        (await net.dev.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName: "delivered", args: [r.requestId] }))
          ? true
          : undefined,
      10_000,
    );
    assert.equal(await net.dev.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName: "succeeded", args: [r.requestId] }), true);
    const delivered = await net.dev.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName: "resultOf", args: [r.requestId] });
    assert.equal(delivered, posted.result.cidDigest, "the client received the posted result's CID digest");
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Completed);

    // The digest names a real result: the provider serves the cow.
    const cid = resultCidOfDigest(delivered).toString();
    const response = await fetch(`${net.providers[0]!.resultsUrl}/ipfs/${cid}/stdout`);
    assert.equal(response.status, 200, `GET /ipfs/${cid}/stdout`);
    const stdout = await response.text();
    assert.match(stdout, new RegExp(`< ${MESSAGE} >`), stdout);
    assert.match(stdout, /\(oo\)/, stdout);

    // What the job did not cost is the client's to claim.
    const refund = await claimable(client);
    assert.ok(refund > 0n && refund < PAYMENT, `refund ${refund} is the payment less the job's cost`);
    await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
    assert.equal(await tokenBalance(client), client0 - PAYMENT + refund);
  });

  it("a request no provider can serve fails at the solver; after its expiry the client cancels it and gets its payment back", async () => {
    // The relay gives the job until the request's expiry (counted on the chain's clock, which runs ahead of the
    // solver's on the dev chain), so the solver gives up on it within seconds.
    const account = owner.address; // an account, not ExampleJobClient: that cannot cancel
    // It names the relay as judge, which follows it until its offer expires unopened.
    const request = await jobRequest({ moduleId: bytesToHex(randomBytes(32)), expiry: (await chainNow()) + 6n, judge: relay.address });
    const wallet0 = await tokenBalance(account);
    await send(owner, owner.wallet.writeContract({ address: token, abi: lilypadTokenAbi, functionName: "approve", args: [jobCreator, request.payment] }));
    const r = requested(
      await send(owner, owner.wallet.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "requestJob", args: [request] })),
      account,
    );
    assert.equal(await tokenBalance(account), wallet0 - PAYMENT, "the payment left the client's wallet");

    // The relay forwards it (with default resources: nobody here has the module)...
    const forwarded = await relayedOf(r.dealId);
    assert.equal(forwarded.requestId, r.requestId);
    assert.equal(forwarded.client, account);
    // ...and the solver finds no provider for it before its deadline.
    const failed = await jobWithStatus(r.dealId, "failed", 10_000);
    assert.equal(failed.code, "MODULE_NOT_OFFERED", `failure code (${failed.reason})`);
    assert.equal(failed.submitter, relay.address);
    assert.equal(failed.creator, jobCreator);

    // Once the chain is past the request's expiry the client may cancel it.
    const status = await requestOf(r.requestId);
    assert.equal(status.status, RequestStatus.Pending);
    if ((await chainNow()) <= request.expiry) {
      await net.dev.testClient.increaseTime({ seconds: Number(request.expiry - (await chainNow())) + 1 });
      await net.dev.testClient.mine({ blocks: 1 });
    }
    await send(owner, owner.wallet.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "cancel", args: [r.requestId] }));
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Cancelled);
    assert.equal(await claimable(account), PAYMENT);
    await send(owner, owner.wallet.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "claimRefunds" }));
    assert.equal(await claimable(account), 0n);
    assert.equal(await tokenBalance(account), wallet0, "the client got its whole payment back");
    // Past the expiry, with every block read, the relay knows no deal can open: it stops following the request.
    await waitFor("the relay to let the expired request go", () => (relay.judging === 0 ? true : undefined));
    assert.equal(judged.find((j) => j.dealId === r.dealId), undefined, "nothing was judged");
  });

  it("a request naming the relay as judge, served honestly: the relay checks the result and accepts it, and the client gets back what the job did not cost and the fee", async () => {
    const request = await jobRequest({ judge: relay.address, mediationFee: FEE });
    const claimable0 = await claimable(client);
    const client0 = await tokenBalance(client);
    const r = requested(
      await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] })),
      client,
    );
    assert.equal(await tokenBalance(client), client0 - PAYMENT - FEE, "the payment and the fee left the client");
    assert.equal((await requestOf(r.requestId)).judge, relay.address);

    // The relay forwards the request, and judges the result as soon as it is posted: no clock moves here.
    await relayedOf(r.dealId);
    const judgement = await judgedOf(r.dealId);
    assert.equal(judgement.verdict, "accept", `the relay challenged: ${judgement.reason}`);
    assert.equal(judgement.requestId, r.requestId);
    assert.equal(judgement.provider, net.providers[0]!.address);

    const callback = await callbackOf(r.requestId);
    assert.equal(callback.ok, true, "the client's callback says ok");
    const onChain = await readDeal(owner, r.dealId);
    assert.ok(onChain, "the deal is on chain");
    assert.equal(callback.resultCidDigest, onChain.result.cidDigest, "the client received the posted result's CID digest");
    assert.ok(await relayStore.has(resultCidOfDigest(onChain.result.cidDigest)), "the relay downloaded the whole result before accepting it");
    assert.equal(await completedOutcome(r.requestId), Outcome.Accepted);
    const status = await requestOf(r.requestId);
    assert.equal(status.status, RequestStatus.Completed);
    assert.equal(status.challenged, false);

    // Exactly what the market's rules say: the payment less the job's cost, and the unspent fee on top.
    const deal = unpackDeal(onChain.deal);
    assert.equal(deal.mediationFee, FEE);
    const settled = settlementOf(deal, Outcome.Accepted, onChain.result.instructions);
    assert.ok(settled.payment > 0n, "the provider was paid");
    assert.equal(await claimable(client), claimable0 + settled.creator.credit + FEE);
    assert.equal(settled.creator.credit + FEE, PAYMENT + FEE - settled.payment);
  });

  it("a request naming the relay as judge, taken by a provider whose output hash is wrong: the relay challenges, the mediator rules the provider wrong, and the client gets its payment and the provider's stake", async () => {
    const request = await jobRequest({
      moduleId: compute,
      inputs: new TextDecoder().decode(canonicalJsonBytes({ N: 1000 })),
      judge: relay.address,
      mediationFee: FEE,
    });
    const claimable0 = await claimable(client);
    const r = requested(
      await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] })),
      client,
    );
    await relayedOf(r.dealId);
    const judgement = await judgedOf(r.dealId);
    const cheat = devAccount(CHEAT_ACCOUNT).address;
    assert.equal(judgement.provider, cheat);
    assert.equal(judgement.verdict, "challenge");
    assert.match(judgement.reason ?? "", /output hash/, "the relay names the failed check");

    // The mediator re-runs the job, finds another output hash, and rules against the provider.
    const callback = await callbackOf(r.requestId);
    assert.equal(callback.ok, false, "the client's callback says the job failed");
    assert.equal(callback.resultCidDigest, ZERO_DIGEST);
    assert.equal(await completedOutcome(r.requestId), Outcome.ProviderWrong);
    const status = await requestOf(r.requestId);
    assert.equal(status.status, RequestStatus.Completed);
    assert.equal(status.challenged, true, "the fee was spent on the challenge");

    // The client gets its payment back and the provider's whole stake; the fee went to the mediator.
    const onChain = await readDeal(owner, r.dealId);
    assert.ok(onChain, "the deal is on chain");
    const deal = unpackDeal(onChain.deal);
    assert.equal(deal.provider, cheat);
    const settled = settlementOf(deal, Outcome.ProviderWrong, onChain.result.instructions);
    assert.equal(settled.mediator.credit, FEE);
    assert.equal(settled.creator.credit, PAYMENT + providerStakeOf(deal, onChain.result.instructions));
    assert.equal(await claimable(client), claimable0 + settled.creator.credit);
  });

  it("a request naming another relay that spot-checks every result: that relay challenges an honest result, the mediator rules the provider right, and this relay only forwards", async () => {
    const spotChecker = new OnChainJobRelay({
      conn: net.connect(SPOT_CHECK_RELAY_ACCOUNT),
      solverUrl: net.solver.url,
      log: createLogger({ role: "job-relay", level: "silent" }),
      blockstore: relayStore,
      workDir: join(home, "relay-spot-check", "work"),
      mediationChance: 1,
      fromBlock: await net.dev.publicClient.getBlockNumber(),
    });
    const spotChecked: JudgedRequest[] = [];
    spotChecker.onJudged((j) => spotChecked.push(j));
    await spotChecker.start();
    try {
      const request = await jobRequest({ judge: spotChecker.address, mediationFee: FEE });
      const claimable0 = await claimable(client);
      const r = requested(
        await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] })),
        client,
      );
      const judgement = await waitFor(`the spot-checking relay to judge deal ${r.dealId}`, () => spotChecked.find((j) => j.dealId === r.dealId), 30_000);
      assert.equal(judgement.verdict, "challenge");
      assert.equal(judgement.reason, "spot check");

      const callback = await callbackOf(r.requestId);
      assert.equal(callback.ok, true, "the mediator ruled the provider right: the client's callback says ok");
      assert.equal(await completedOutcome(r.requestId), Outcome.ProviderRight);
      const onChain = await readDeal(owner, r.dealId);
      assert.ok(onChain, "the deal is on chain");
      assert.equal(callback.resultCidDigest, onChain.result.cidDigest);
      // The client paid for the job and for the mediation it asked for.
      const settled = settlementOf(unpackDeal(onChain.deal), Outcome.ProviderRight, onChain.result.instructions);
      assert.equal(await claimable(client), claimable0 + settled.creator.credit);
      assert.equal(settled.mediator.credit, FEE);

      // The relay the request did not name forwarded it too (the solver takes the job from whichever relay comes
      // first, and tells the other it has it), and judged nothing.
      const handled = await waitFor("the first relay to forward the request", () => {
        const gaveUp = dropped.find((d) => d.dealId === r.dealId);
        if (gaveUp) return gaveUp.code;
        return relayed.some((x) => x.dealId === r.dealId) ? "RELAYED" : undefined;
      });
      assert.ok(handled === "RELAYED" || handled === "ALREADY_SUBMITTED", `the first relay's answer: ${handled}`);
      assert.equal(judged.find((j) => j.dealId === r.dealId), undefined, "the first relay did not judge it");
      assert.equal(unjudged.find((u) => u.dealId === r.dealId), undefined);
    } finally {
      await spotChecker.stop();
    }
  });

  it("a request naming a relay that treats the network as public: the provider's loopback URL is refused before any request, the relay challenges saying why, and the mediator rules", async () => {
    const publicRelay = new OnChainJobRelay({
      conn: net.connect(PUBLIC_RELAY_ACCOUNT),
      solverUrl: net.solver.url,
      log: createLogger({ role: "job-relay", level: "silent" }),
      blockstore: relayStore,
      workDir: join(home, "relay-public", "work"),
      allowPrivateAddresses: false,
      fromBlock: await net.dev.publicClient.getBlockNumber(),
    });
    const publicJudged: JudgedRequest[] = [];
    const publicUnjudged: UnjudgedRequest[] = [];
    publicRelay.onJudged((j) => publicJudged.push(j));
    publicRelay.onUnjudged((u) => publicUnjudged.push(u));
    await publicRelay.start();
    try {
      const request = await jobRequest({ judge: publicRelay.address, mediationFee: FEE });
      const r = requested(
        await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] })),
        client,
      );
      const judgement = await waitFor(
        `the public relay to judge deal ${r.dealId}`,
        () => {
          const failed = publicUnjudged.find((u) => u.dealId === r.dealId);
          if (failed) assert.fail(`the relay could not judge it: ${failed.reason}`);
          return publicJudged.find((j) => j.dealId === r.dealId);
        },
        30_000,
      );
      assert.equal(judgement.verdict, "challenge");
      assert.equal(judgement.provider, net.providers[0]!.address);
      assert.match(
        judgement.reason ?? "",
        /^the result could not be downloaded or verified: refusing to connect to 127\.0\.0\.1: a loopback, private or link-local address, allowed only on a devnet$/,
      );
      // The mediator (on a devnet, it reaches loopback) re-ran the job and found the provider right.
      const callback = await callbackOf(r.requestId);
      assert.equal(callback.ok, true);
      assert.equal(await completedOutcome(r.requestId), Outcome.ProviderRight);
      assert.equal((await requestOf(r.requestId)).challenged, true, "the fee was spent on the challenge");
    } finally {
      await publicRelay.stop();
    }
  });
});
