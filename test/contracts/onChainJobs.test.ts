import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  getAddress,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import {
  exampleJobClientAbi,
  exampleJobClientBytecode,
  lilypadMarketAbi,
  lilypadTokenAbi,
  onChainJobCreatorAbi,
  revertingJobClientAbi,
  revertingJobClientBytecode,
} from "../../src/chain/generated/contracts.ts";
import { jobOfferDigest, signResourceOffer } from "../../src/chain/offers.ts";
import { costOf } from "../../src/core/pricing.ts";
import {
  DealState,
  emptyResult,
  jobOfferSchema,
  Outcome,
  resourceOfferCalldata,
  type JobOffer,
  type Signature,
} from "../../src/core/dealTypes.ts";
import {
  advance,
  assertConservation,
  balanceOf,
  dealCall,
  expectRevert,
  laneStatus,
  MODULE_ID,
  now,
  openDeal,
  resourceOffer,
  RESULT,
  ruleTx,
  send,
  setup,
  type Fixture,
  type OpenedDeal,
  type SignedOffers,
  type Wallet,
} from "./fixture.ts";

/** Mirrors IOnChainJobCreator.RequestStatus. */
const RequestStatus = { None: 0, Pending: 1, Completed: 2, Cancelled: 3 } as const;
/** Mirrors RevertingJobClient.Mode. */
const FailMode = { Revert: 0, BurnGas: 1, ReturnBomb: 2 } as const;

const ZERO32 = `0x${"0".repeat(64)}` as Hex;
const EIP1271_MAGIC = "0x1626ba7e";
const EIP1271_REFUSED = "0xffffffff";
/** The job creator approves its offers through EIP-1271, so the signature's bytes do not matter. */
const NO_SIGNATURE: Signature = { r: ZERO32, vs: ZERO32 };
const INPUTS = '{"Message":"hello from a contract"}';
const PAYMENT = parseEther("10");

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

interface Requested {
  request: JobRequest;
  requestId: bigint;
  dealId: Hex;
  job: JobOffer;
  receipt: TransactionReceipt;
}

describe("on-chain jobs", () => {
  let f: Fixture;
  let jobCreator: Address;
  /** An ExampleJobClient owned by f.jc. */
  let client: Address;
  /** The first request, made in the first test and served in the loop test. */
  let firstRequest: Requested;
  before(async () => {
    f = await setup();
    jobCreator = f.dev.network.contracts.jobCreator;
    client = await deployExampleClient(f.jc);
    await send(f, f.jc.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "transfer", args: [client, parseEther("100")] }));
  });
  after(() => f.dev.close());

  const everyone = (): Address[] => [
    ...[f.jc, f.rp, f.otherRp, f.mediator, f.otherMediator, f.stranger].map((w) => w.account.address),
    jobCreator,
  ];

  const contractAddress = (receipt: TransactionReceipt): Address => {
    assert.ok(receipt.contractAddress, "contract deployed");
    return getAddress(receipt.contractAddress);
  };

  async function deployExampleClient(owner: Wallet): Promise<Address> {
    const receipt = await send(
      f,
      owner.deployContract({ abi: exampleJobClientAbi, bytecode: exampleJobClientBytecode, args: [jobCreator, f.token] }),
    );
    return contractAddress(receipt);
  }

  async function deployRevertingClient(mode: number): Promise<Address> {
    const receipt = await send(
      f,
      f.stranger.deployContract({ abi: revertingJobClientAbi, bytecode: revertingJobClientBytecode, args: [jobCreator, f.token, mode] }),
    );
    const address = contractAddress(receipt);
    await send(f, f.stranger.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "transfer", args: [address, parseEther("100")] }));
    return address;
  }

  const tokenBalance = (who: Address): Promise<bigint> =>
    f.dev.publicClient.readContract({ address: f.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [who] });

  const claimable = (who: Address): Promise<bigint> =>
    f.dev.publicClient.readContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "claimable", args: [who] });

  const requestOf = (requestId: bigint) =>
    f.dev.publicClient.readContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "requestOf", args: [requestId] });

  const isValidSignature = (digest: Hex): Promise<Hex> =>
    f.dev.publicClient.readContract({
      address: jobCreator,
      abi: onChainJobCreatorAbi,
      functionName: "isValidSignature",
      args: [digest, "0x"],
    });

  const hashJobOffer = (job: JobOffer): Promise<Hex> =>
    f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "hashJobOffer", args: [job, job.submitter] });

  const clientView = (fn: "delivered" | "succeeded" | "resultOf", requestId: bigint, at: Address = client) =>
    f.dev.publicClient.readContract({ address: at, abi: exampleJobClientAbi, functionName: fn, args: [requestId] });

  async function jobRequest(overrides: Partial<JobRequest> = {}): Promise<JobRequest> {
    const sorted = [f.mediator.account.address, f.otherMediator.account.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    return {
      moduleId: MODULE_ID,
      inputs: INPUTS,
      maxBasePrice: parseEther("1"),
      maxPricePerMInstr: parseEther("0.01"),
      payment: PAYMENT,
      minTimeoutCollateral: parseEther("1"),
      minCollateralMultiple: 2,
      mediators: [sorted[0]!, sorted[1]!, zeroAddress, zeroAddress],
      resultTimeout: 600,
      judgingWindow: 600,
      mediationTimeout: 600,
      expiry: (await now(f)) + 3600n,
      maxInstructions: 10n ** 10n,
      mediationFee: 0n,
      submitter: f.solver.account.address,
      judge: zeroAddress,
      ...overrides,
    };
  }

  /** Reads the JobRequested event of a requestJob transaction. */
  function requested(receipt: TransactionReceipt, expectedClient: Address, request: JobRequest): Requested {
    const events = parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "JobRequested" });
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(getAddress(event.address), jobCreator);
    assert.equal(event.args.client, expectedClient);
    assert.equal(event.args.inputs, request.inputs);
    assert.equal(keccak256(toHex(event.args.inputs)), event.args.offer.inputsHash, "the offer commits to the inputs");
    return { request, requestId: event.args.requestId, dealId: event.args.dealId, job: jobOfferSchema.parse({ ...event.args.offer, submitter: event.args.submitter }), receipt };
  }

  /** The owner of the ExampleJobClient asks for a job through it. */
  async function requestThroughClient(overrides: Partial<JobRequest> = {}, at: Address = client): Promise<Requested> {
    const request = await jobRequest(overrides);
    const receipt = await send(f, f.jc.writeContract({ address: at, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] }));
    return requested(receipt, at, request);
  }

  /** An externally owned account asks for a job directly. */
  async function requestAsAccount(wallet: Wallet, overrides: Partial<JobRequest> = {}): Promise<Requested> {
    const request = await jobRequest(overrides);
    await send(f, wallet.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "approve", args: [jobCreator, request.payment] }));
    const receipt = await send(
      f,
      wallet.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "requestJob", args: [request] }),
    );
    return requested(receipt, wallet.account.address, request);
  }

  /** What the solver submits: the relayed job offer with a placeholder signature, and the RP's signed offer. */
  async function offersFor(job: JobOffer, rp: Wallet = f.rp): Promise<SignedOffers> {
    const resource = await resourceOffer(f, job);
    return { job, jobSignature: NO_SIGNATURE, resource, resourceSignature: await signResourceOffer(rp, f.domain, resource) };
  }

  const openDealAs = (o: SignedOffers, by: Wallet = f.solver): Promise<Hex> =>
    by.writeContract({
      address: f.market,
      abi: lilypadMarketAbi,
      functionName: "openDeal",
      args: [o.job, o.jobSignature, resourceOfferCalldata(o.resource), o.resourceSignature],
    });

  /** The ResultReceived events that the ExampleJobClient at `at` emitted in a transaction. */
  const resultReceived = (receipt: TransactionReceipt, at: Address = client) =>
    parseEventLogs({ abi: exampleJobClientAbi, logs: receipt.logs, eventName: "ResultReceived" })
      .filter((e) => getAddress(e.address) === at)
      .map((e) => e.args);

  const jobCompleted = (receipt: TransactionReceipt) =>
    parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "JobCompleted" }).map((e) => e.args);
  const clientCallbackFailed = (receipt: TransactionReceipt) =>
    parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "ClientCallbackFailed" }).map((e) => e.args);
  const marketCallbackFailed = (receipt: TransactionReceipt) =>
    parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "CallbackFailed" }).map((e) => e.args);

  /**
   * The job creator's escrow must always back what it owes: its available balance equals the refunds its
   * clients can claim plus the payments of pending requests whose deal has not opened; its locked balance
   * equals the payments of open deals; it never keeps tokens outside the escrow.
   */
  async function assertJobCreatorSolvent(clients: Address[], unopened: bigint, open: bigint): Promise<void> {
    let owed = 0n;
    for (const c of clients) owed += await claimable(c);
    assert.deepEqual(await balanceOf(f, jobCreator), { available: owed + unopened, locked: open });
    assert.equal(await tokenBalance(jobCreator), 0n);
  }

  // -------------------------------------------------------------------------------------------- requests

  it("a client contract requests a job: the job creator publishes a job offer whose digest is the deal id", async () => {
    const client0 = await tokenBalance(client);
    const escrow0 = await balanceOf(f, jobCreator);
    const r = await requestThroughClient();
    const request = r.request;

    // The offer is the request, with this contract as creator and the protocol's fixed choices.
    assert.equal(r.requestId, 1n);
    assert.equal(r.job.creator, jobCreator);
    assert.equal(r.job.moduleId, MODULE_ID);
    assert.equal(r.job.inputsHash, keccak256(toHex(INPUTS)));
    assert.equal(r.job.paymentCollateral, PAYMENT);
    assert.equal(r.job.maxBasePrice, request.maxBasePrice);
    assert.equal(r.job.maxPricePerMInstr, request.maxPricePerMInstr);
    assert.equal(r.job.minTimeoutCollateral, request.minTimeoutCollateral);
    assert.equal(r.job.minCollateralMultiple, request.minCollateralMultiple);
    assert.deepEqual(r.job.mediators, request.mediators);
    assert.equal(r.job.mediationFee, request.mediationFee);
    assert.equal(r.job.maxInstructions, request.maxInstructions);
    assert.equal(r.job.submitter, f.solver.account.address);
    assert.equal(r.job.targetProvider, zeroAddress);
    assert.equal(r.job.callback, true);
    assert.equal(r.job.lane, 1);
    assert.equal(r.job.seq, 1);
    assert.equal(r.job.resultTimeout, request.resultTimeout);
    assert.equal(r.job.judgingWindow, request.judgingWindow);
    assert.equal(r.job.mediationTimeout, request.mediationTimeout);
    assert.equal(r.job.expiry, request.expiry);

    // The deal id is the market's EIP-712 digest of that offer, on chain and off.
    assert.equal(await hashJobOffer(r.job), r.dealId);
    assert.equal(jobOfferDigest(f.domain, r.job), r.dealId);

    // The payment moved from the client into the job creator's escrow balance.
    assert.equal(await tokenBalance(client), client0 - PAYMENT);
    assert.deepEqual(await balanceOf(f, jobCreator), { available: escrow0.available + PAYMENT, locked: escrow0.locked });
    assert.deepEqual(await requestOf(r.requestId), {
      client,
      status: RequestStatus.Pending,
      challenged: false,
      expiry: r.job.expiry,
      payment: PAYMENT,
      judge: client,
      mediationFee: 0n,
      dealId: r.dealId,
    });
    assert.equal(await isValidSignature(r.dealId), EIP1271_MAGIC);
    await assertConservation(f, everyone());
    // ExampleJobClient cannot cancel, so this request is served by the next tests.
    firstRequest = r;
  });

  it("only the client's owner may request, and requests need a payment and a future expiry", async () => {
    await expectRevert(
      async () =>
        f.stranger.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [await jobRequest()] }),
      "NotOwner",
    );
    await send(f, f.jc.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "approve", args: [jobCreator, PAYMENT] }));
    const direct = async (overrides: Partial<JobRequest>) =>
      f.jc.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "requestJob", args: [await jobRequest(overrides)] });
    await expectRevert(() => direct({ payment: 0n }), "InvalidRequest");
    await expectRevert(async () => direct({ expiry: await now(f) }), "InvalidRequest");
    await expectRevert(async () => direct({ expiry: (await now(f)) - 1n }), "InvalidRequest");
    await send(f, f.jc.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "approve", args: [jobCreator, 0n] }));
  });

  // ----------------------------------------------------------------------------------------- the loop

  it("the whole loop: the solver opens the deal, the RP posts, anyone finalizes, the client receives the result", async () => {
    const r = firstRequest;
    const rp0 = await balanceOf(f, f.rp.account.address);

    // The solver opens the deal with the relayed offer; the job creator approves it through EIP-1271.
    const offers = await offersFor(r.job);
    const d = await openDeal(f, offers);
    assert.equal(d.dealId, r.dealId);
    assert.equal(d.deal.creator, jobCreator);
    assert.equal(d.deal.provider, f.rp.account.address);
    assert.equal(d.deal.callback, true);
    assert.equal(d.deal.paymentCollateral, PAYMENT);
    assert.deepEqual(await balanceOf(f, jobCreator), { available: 0n, locked: PAYMENT });
    assert.equal((await laneStatus(f, d.deal)).state, DealState.Open);
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Pending, "pending until the deal closes");
    await assertJobCreatorSolvent([client], 0n, PAYMENT);

    // The RP posts, and nobody judges within the window: anyone may finalize.
    await send(f, dealCall(f, f.rp, "postResult", d));
    await expectRevert(() => dealCall(f, f.stranger, "finalize", d), "DeadlineNotReached");
    assert.equal(await clientView("delivered", r.requestId), false);
    await advance(f, r.job.judgingWindow + 1);
    const receipt = await send(f, dealCall(f, f.stranger, "finalize", d));

    // The market settled and called the job creator back, which called the client.
    const closed = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealClosed" }).map((e) => e.args);
    assert.deepEqual(closed, [{ dealId: r.dealId, outcome: Outcome.Finalized }]);
    assert.deepEqual(jobCompleted(receipt), [
      { requestId: r.requestId, dealId: r.dealId, outcome: Outcome.Finalized, resultCidDigest: RESULT.cidDigest },
    ]);
    assert.deepEqual(resultReceived(receipt), [{ requestId: r.requestId, ok: true, resultCidDigest: RESULT.cidDigest }]);
    assert.deepEqual(clientCallbackFailed(receipt), []);
    assert.deepEqual(marketCallbackFailed(receipt), []);

    assert.equal(await clientView("delivered", r.requestId), true);
    assert.equal(await clientView("succeeded", r.requestId), true);
    assert.equal(await clientView("resultOf", r.requestId), RESULT.cidDigest);
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Completed);
    assert.equal(await isValidSignature(r.dealId), EIP1271_REFUSED, "a completed request approves nothing");

    // The RP was paid the cost; the unspent payment waits for the client.
    const cost = costOf(d.deal, RESULT.instructions);
    assert.equal(cost, parseEther("0.1025"));
    assert.deepEqual(await balanceOf(f, f.rp.account.address), { available: rp0.available + cost, locked: rp0.locked });
    assert.equal(await claimable(client), PAYMENT - cost);
    await assertJobCreatorSolvent([client], 0n, 0n);
    await assertConservation(f, everyone());

    // Claiming moves the refund out of the escrow to the client contract (anyone may trigger the client's claim).
    const client0 = await tokenBalance(client);
    const claim = await send(f, f.stranger.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
    assert.deepEqual(
      parseEventLogs({ abi: onChainJobCreatorAbi, logs: claim.logs, eventName: "RefundClaimed" }).map((e) => e.args),
      [{ client, amount: PAYMENT - cost }],
    );
    assert.equal(await tokenBalance(client), client0 + PAYMENT - cost);
    assert.equal(await claimable(client), 0n);
    await assertJobCreatorSolvent([client], 0n, 0n);
    await assertConservation(f, everyone());
    await expectRevert(
      () => f.stranger.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "claimRefunds" }),
      "NothingToClaim",
    );
  });

  it("a deal that times out without a result delivers ok=false and refunds the payment plus the RP's timeout collateral", async () => {
    const r = await requestThroughClient();
    const rp0 = await balanceOf(f, f.rp.account.address);
    const d = await openDeal(f, await offersFor(r.job));
    assert.equal(d.dealId, r.dealId);
    const tc = d.deal.timeoutCollateral;
    assert.equal(tc, parseEther("2"));

    await expectRevert(() => dealCall(f, f.stranger, "finalize", d, emptyResult), "DeadlineNotReached");
    await advance(f, r.job.resultTimeout + 1);
    const receipt = await send(f, dealCall(f, f.stranger, "finalize", d, emptyResult));

    assert.deepEqual(jobCompleted(receipt), [
      { requestId: r.requestId, dealId: r.dealId, outcome: Outcome.ResultTimeout, resultCidDigest: ZERO32 },
    ]);
    assert.deepEqual(resultReceived(receipt), [{ requestId: r.requestId, ok: false, resultCidDigest: ZERO32 }]);
    assert.equal(await clientView("delivered", r.requestId), true);
    assert.equal(await clientView("succeeded", r.requestId), false);
    assert.equal(await clientView("resultOf", r.requestId), ZERO32);
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Completed);

    assert.equal(await claimable(client), PAYMENT + tc);
    assert.deepEqual(await balanceOf(f, f.rp.account.address), { available: rp0.available - tc, locked: rp0.locked });
    await assertJobCreatorSolvent([client], 0n, 0n);
    await assertConservation(f, everyone());

    const client0 = await tokenBalance(client);
    await send(f, f.jc.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
    assert.equal(await tokenBalance(client), client0 + PAYMENT + tc);
    assert.equal(await claimable(client), 0n);
    await assertJobCreatorSolvent([client], 0n, 0n);
  });

  it("a job offer opens one deal only: LaneBusy while it is open, refused once it closed", async () => {
    const r = await requestThroughClient();
    const d = await openDeal(f, await offersFor(r.job));
    // Another RP tries to take the same job (its own valid signature over the same job offer).
    const again = await offersFor(r.job, f.otherRp);
    assert.deepEqual(await expectRevert(() => openDealAs(again), "LaneBusy"), [jobCreator, r.job.lane]);

    await send(f, dealCall(f, f.rp, "postResult", d));
    await advance(f, r.job.judgingWindow + 1);
    await send(f, dealCall(f, f.stranger, "finalize", d));
    // The job creator approves only pending requests, and the market checks the approval before the lane.
    assert.deepEqual(await expectRevert(() => openDealAs(again), "InvalidSignature"), [jobCreator]);
    assert.deepEqual(await expectRevert(async () => openDealAs(await offersFor(r.job)), "InvalidSignature"), [jobCreator]);
    // One settlement only: the client was called back once and the RP paid once.
    assert.equal(await claimable(client), PAYMENT - costOf(d.deal, RESULT.instructions));
    await send(f, f.jc.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
    await assertJobCreatorSolvent([client], 0n, 0n);
  });

  it("the job creator approves nothing but its own pending requests' job offers", async () => {
    const r = await requestThroughClient();
    assert.equal(await isValidSignature(r.dealId), EIP1271_MAGIC);
    assert.equal(await isValidSignature(keccak256(toHex("some other digest"))), EIP1271_REFUSED);
    assert.equal(await isValidSignature(ZERO32), EIP1271_REFUSED);

    // A job offer altered in any field has another digest, so the job creator does not approve it.
    const richer = { ...r.job, paymentCollateral: r.job.paymentCollateral * 2n };
    const richerId = await hashJobOffer(richer);
    assert.notEqual(richerId, r.dealId);
    assert.equal(await isValidSignature(richerId), EIP1271_REFUSED);
    assert.deepEqual(await expectRevert(async () => openDealAs(await offersFor(richer)), "InvalidSignature"), [jobCreator]);
    const otherInputs = { ...r.job, inputsHash: keccak256(toHex('{"Message":"rm -rf"}')) };
    await expectRevert(async () => openDealAs(await offersFor(otherInputs)), "InvalidSignature");
    const withFee = { ...r.job, mediationFee: parseEther("1") };
    await expectRevert(async () => openDealAs(await offersFor(withFee)), "InvalidSignature");
    const noCallback = { ...r.job, callback: false };
    await expectRevert(async () => openDealAs(await offersFor(noCallback)), "InvalidSignature");

    // While its deal is open the request is still pending (the lane's sequence stops a second deal).
    const d = await openDeal(f, await offersFor(r.job));
    assert.equal(await isValidSignature(r.dealId), EIP1271_MAGIC);
    await advance(f, r.job.resultTimeout + 1);
    await send(f, dealCall(f, f.stranger, "finalize", d, emptyResult));
    assert.equal(await isValidSignature(r.dealId), EIP1271_REFUSED);
    await send(f, f.jc.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
    await assertJobCreatorSolvent([client], 0n, 0n);
  });

  // ------------------------------------------------------------------------------------------- cancel

  it("an unserved request can be cancelled by its client only, and only after its expiry", async () => {
    const jc = f.jc.account.address;
    const claimable0 = await claimable(jc);
    const wallet0 = await tokenBalance(jc);
    const r = await requestAsAccount(f.jc, { expiry: (await now(f)) + 300n });
    assert.equal(await tokenBalance(jc), wallet0 - PAYMENT);
    await assertJobCreatorSolvent([jc], PAYMENT, 0n);

    const cancelTx = (by: Wallet, id: bigint = r.requestId) =>
      by.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "cancel", args: [id] });
    assert.deepEqual(await expectRevert(() => cancelTx(f.jc), "NotCancellable"), [r.requestId]);
    assert.deepEqual(await expectRevert(() => cancelTx(f.stranger), "NotClient"), [f.stranger.account.address]);
    assert.deepEqual(await expectRevert(() => cancelTx(f.jc, 999n), "NotClient"), [jc], "unknown requests have no client");

    await advance(f, 301);
    // Past its expiry no deal can open from the offer any more...
    assert.deepEqual(await expectRevert(async () => openDealAs(await offersFor(r.job)), "OfferExpired"), [r.job.expiry]);
    // ...so the client can take its payment back; nobody else can.
    await expectRevert(() => cancelTx(f.stranger), "NotClient");
    const receipt = await send(f, cancelTx(f.jc));
    assert.deepEqual(
      parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "JobCancelled" }).map((e) => e.args),
      [{ requestId: r.requestId }],
    );
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Cancelled);
    assert.equal(await claimable(jc), claimable0 + PAYMENT);
    assert.equal(await isValidSignature(r.dealId), EIP1271_REFUSED, "a cancelled request approves nothing");
    await assertJobCreatorSolvent([jc], 0n, 0n);
    assert.deepEqual(await expectRevert(() => cancelTx(f.jc), "NotCancellable"), [r.requestId], "cancelled once only");

    await send(f, f.jc.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "claimRefunds" }));
    assert.equal(await tokenBalance(jc), wallet0);
    assert.equal(await claimable(jc), 0n);
    await assertJobCreatorSolvent([jc], 0n, 0n);
    await assertConservation(f, everyone());
  });

  it("a request whose deal opened cannot be cancelled, even after its expiry", async () => {
    const client2 = await deployRevertingClient(FailMode.Revert);
    const request = await jobRequest({ expiry: (await now(f)) + 300n });
    const receipt = await send(
      f,
      f.stranger.writeContract({ address: client2, abi: revertingJobClientAbi, functionName: "requestJob", args: [request] }),
    );
    const r = requested(receipt, client2, request);
    const d = await openDeal(f, await offersFor(r.job));
    await advance(f, 301);
    // The client contract's cancel bubbles the job creator's error up.
    const cancelTx = () =>
      f.stranger.writeContract({
        address: client2,
        abi: [...revertingJobClientAbi, ...onChainJobCreatorAbi],
        functionName: "cancel",
        args: [r.requestId],
      });
    assert.deepEqual(await expectRevert(cancelTx, "NotCancellable"), [r.requestId]);
    await assertJobCreatorSolvent([client2], 0n, PAYMENT);
    // Once the deal closes the payment is refunded through the deal, and cannot be refunded twice.
    await advance(f, r.job.resultTimeout);
    await send(f, dealCall(f, f.stranger, "finalize", d, emptyResult));
    assert.equal(await claimable(client2), PAYMENT + d.deal.timeoutCollateral);
    assert.deepEqual(await expectRevert(cancelTx, "NotCancellable"), [r.requestId]);
    await send(f, f.stranger.writeContract({ address: client2, abi: revertingJobClientAbi, functionName: "claimRefunds" }));
    assert.equal(await claimable(client2), 0n);
    await assertJobCreatorSolvent([client2], 0n, 0n);
  });

  // ------------------------------------------------------------------------------------------ callbacks

  it("only the market may deliver deal outcomes: onDealClosed from anyone else reverts NotMarket", async () => {
    const r = await requestThroughClient();
    const fake = (by: Wallet) =>
      by.writeContract({
        address: jobCreator,
        abi: onChainJobCreatorAbi,
        functionName: "onDealClosed",
        args: [r.dealId, Outcome.Accepted, RESULT.cidDigest, PAYMENT],
      });
    assert.deepEqual(await expectRevert(() => fake(f.stranger), "NotMarket"), [f.stranger.account.address]);
    assert.deepEqual(await expectRevert(() => fake(f.jc), "NotMarket"), [f.jc.account.address]);
    assert.deepEqual(await expectRevert(() => fake(f.governance), "NotMarket"), [f.governance.account.address]);
    assert.equal(await clientView("delivered", r.requestId), false);
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Pending);
    assert.equal(await claimable(client), 0n);

    // Serve it, so that later books balance.
    const d = await openDeal(f, await offersFor(r.job));
    await send(f, dealCall(f, f.rp, "postResult", d));
    await advance(f, r.job.judgingWindow + 1);
    await send(f, dealCall(f, f.stranger, "finalize", d));
    assert.equal(await clientView("succeeded", r.requestId), true);
    await send(f, f.jc.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
    await assertJobCreatorSolvent([client], 0n, 0n);
  });

  for (const [label, mode] of [
    ["reverts", FailMode.Revert],
    ["burns its whole gas allowance", FailMode.BurnGas],
    ["reverts with 200 KB of revert data", FailMode.ReturnBomb],
  ] as const) {
    it(`a client whose callback ${label} cannot block settlement`, async () => {
      const bad = await deployRevertingClient(mode);
      const request = await jobRequest();
      const r = requested(
        await send(f, f.stranger.writeContract({ address: bad, abi: revertingJobClientAbi, functionName: "requestJob", args: [request] })),
        bad,
        request,
      );
      const rp0 = await balanceOf(f, f.rp.account.address);
      const d = await openDeal(f, await offersFor(r.job));
      await send(f, dealCall(f, f.rp, "postResult", d));
      await advance(f, r.job.judgingWindow + 1);
      // An explicit gas limit: Hardhat refuses to estimate a transaction in which an inner call runs out of gas.
      const receipt = await send(
        f,
        f.stranger.writeContract({
          address: f.market,
          abi: lilypadMarketAbi,
          functionName: "finalize",
          args: [d.dealId, d.packed, RESULT],
          gas: 1_000_000n,
        }),
      );

      assert.deepEqual(
        parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealClosed" }).map((e) => e.args),
        [{ dealId: r.dealId, outcome: Outcome.Finalized }],
      );
      assert.deepEqual(jobCompleted(receipt), [
        { requestId: r.requestId, dealId: r.dealId, outcome: Outcome.Finalized, resultCidDigest: RESULT.cidDigest },
      ]);
      assert.deepEqual(clientCallbackFailed(receipt), [{ requestId: r.requestId, client: bad }]);
      assert.deepEqual(marketCallbackFailed(receipt), [], "the job creator itself handled the failure");
      assert.equal((await laneStatus(f, d.deal)).state, DealState.Closed);
      assert.equal((await requestOf(r.requestId)).status, RequestStatus.Completed);

      const cost = costOf(d.deal, RESULT.instructions);
      assert.deepEqual(await balanceOf(f, f.rp.account.address), { available: rp0.available + cost, locked: rp0.locked });
      assert.equal(await claimable(bad), PAYMENT - cost);
      await assertJobCreatorSolvent([bad], 0n, 0n);
      await assertConservation(f, everyone());

      const bad0 = await tokenBalance(bad);
      await send(f, f.stranger.writeContract({ address: bad, abi: revertingJobClientAbi, functionName: "claimRefunds" }));
      assert.equal(await tokenBalance(bad), bad0 + PAYMENT - cost);
      await assertJobCreatorSolvent([bad], 0n, 0n);
    });
  }

  it("an externally owned client cannot be called back, but its deal settles and its refund is claimable", async () => {
    const jc = f.jc.account.address;
    const r = await requestAsAccount(f.jc);
    const d = await openDeal(f, await offersFor(r.job));
    await send(f, dealCall(f, f.rp, "postResult", d));
    await advance(f, r.job.judgingWindow + 1);
    const receipt = await send(f, dealCall(f, f.stranger, "finalize", d));

    assert.deepEqual(jobCompleted(receipt), [
      { requestId: r.requestId, dealId: r.dealId, outcome: Outcome.Finalized, resultCidDigest: RESULT.cidDigest },
    ]);
    assert.deepEqual(clientCallbackFailed(receipt), [{ requestId: r.requestId, client: jc }]);
    assert.deepEqual(marketCallbackFailed(receipt), []);
    assert.equal((await requestOf(r.requestId)).status, RequestStatus.Completed);
    const cost = costOf(d.deal, RESULT.instructions);
    assert.equal(await claimable(jc), PAYMENT - cost);
    await assertJobCreatorSolvent([jc], 0n, 0n);

    const wallet0 = await tokenBalance(jc);
    await send(f, f.jc.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: "claimRefunds" }));
    assert.equal(await tokenBalance(jc), wallet0 + PAYMENT - cost);
    await assertJobCreatorSolvent([jc], 0n, 0n);
    await assertConservation(f, everyone());
  });

  it("settling a callback deal with too little gas for the callback's allowance is refused", async () => {
    const r = await requestThroughClient();
    const d = await openDeal(f, await offersFor(r.job));
    await send(f, dealCall(f, f.rp, "postResult", d));
    await advance(f, r.job.judgingWindow + 1);
    // A finalizer that starves the callback on purpose cannot settle the deal...
    await expectRevert(
      () =>
        f.dev.publicClient.simulateContract({
          account: f.stranger.account,
          address: f.market,
          abi: lilypadMarketAbi,
          functionName: "finalize",
          args: [d.dealId, d.packed, RESULT],
          gas: 150_000n,
        }),
      "CallbackGasTooLow",
    );
    // ...while one that pays for the allowance does, and the client hears of it.
    await send(f, dealCall(f, f.stranger, "finalize", d));
    assert.equal(await clientView("delivered", r.requestId), true);
  });

  // ------------------------------------------------------------------------- attack 1: garbage for full price

  describe("an on-chain job is protected like any other (attack 1)", () => {
    const FEE = parseEther("0.5");
    /** A fresh client whose request is judged by its owner's account (f.jc), as a relay running the SDK's checks would. */
    const judged = async () => {
      const fresh = await deployExampleClient(f.jc);
      await send(f, f.jc.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "transfer", args: [fresh, parseEther("100")] }));
      const r = await requestThroughClient({ mediationFee: FEE, judge: f.jc.account.address, maxInstructions: 10n ** 9n }, fresh);
      return { ...r, client: fresh };
    };
    const judgeCall = (fn: "accept" | "challenge", by: Wallet, r: Requested, d: OpenedDeal, result = RESULT) =>
      by.writeContract({ address: jobCreator, abi: onChainJobCreatorAbi, functionName: fn, args: [r.requestId, d.packed, result] });

    it("a sniper watching JobRequested cannot open the deal: only the request's solver may", async () => {
      const r = await judged();
      // Its digest, computed with the sniper as submitter, is not the one the job creator approved.
      const [creator] = await expectRevert(async () => openDealAs(await offersFor(r.job, f.otherRp), f.otherRp), "InvalidSignature");
      assert.equal(creator, jobCreator);
      const d = await openDeal(f, await offersFor(r.job));
      await advance(f, r.job.resultTimeout + 1);
      await send(f, dealCall(f, f.stranger, "finalize", d, emptyResult));
      // The client gets its payment and fee back, plus the timeout collateral.
      assert.equal(await claimable(r.client), PAYMENT + FEE + d.deal.timeoutCollateral);
      await send(f, f.stranger.writeContract({ address: r.client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
      await assertJobCreatorSolvent([client, r.client], 0n, 0n);
    });

    it("an instruction count of 2^64-1 is refused by the market: the cost cannot be inflated to the whole payment", async () => {
      const r = await judged();
      const d = await openDeal(f, await offersFor(r.job));
      await expectRevert(() => dealCall(f, f.rp, "postResult", d, { ...RESULT, instructions: 2n ** 64n - 1n }), "InstructionsAboveCeiling");
      await advance(f, r.job.resultTimeout + 1);
      await send(f, dealCall(f, f.stranger, "finalize", d, emptyResult));
      // The client gets its payment and fee back, plus the timeout collateral.
      assert.equal(await claimable(r.client), PAYMENT + FEE + d.deal.timeoutCollateral);
      await send(f, f.stranger.writeContract({ address: r.client, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
      await assertJobCreatorSolvent([client, r.client], 0n, 0n);
    });

    it("the judge challenges garbage; the mediator rules it wrong; the client gets its payment, its fee and the RP's stake, and hears 'not ok'", async () => {
      const r = await judged();
      const own = r.client;
      const client0 = parseEther("100"); // what judged() funded it with
      assert.equal(await tokenBalance(own), client0 - PAYMENT - FEE, "the fee is deposited with the payment");
      const d = await openDeal(f, await offersFor(r.job));
      const garbage = { ...RESULT, cidDigest: keccak256(toHex("garbage")) };
      await send(f, dealCall(f, f.rp, "postResult", d, garbage));
      await expectRevert(() => judgeCall("challenge", f.stranger, r, d, garbage), "NotJudge");
      await send(f, judgeCall("challenge", f.jc, r, d, garbage));
      assert.equal((await requestOf(r.requestId)).challenged, true);
      const receipt = await send(f, ruleTx(f, f.mediator.account.address === d.deal.mediator ? f.mediator : f.otherMediator, d, false, garbage));
      assert.deepEqual(resultReceived(receipt, own), [{ requestId: r.requestId, ok: false, resultCidDigest: ZERO32 }]);
      const stake = d.deal.timeoutCollateral;
      // The fee paid the mediator; the RP's whole stake compensates the client.
      assert.equal(await claimable(own), PAYMENT + stake);
      await send(f, f.stranger.writeContract({ address: own, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
      assert.equal(await tokenBalance(own), client0 - FEE + stake);
      await assertJobCreatorSolvent([client, own], 0n, 0n);
    });

    it("an accepted result returns the unused fee with the change", async () => {
      const r = await judged();
      const own = r.client;
      const client0 = parseEther("100"); // what judged() funded it with
      const d = await openDeal(f, await offersFor(r.job));
      await send(f, dealCall(f, f.rp, "postResult", d));
      await send(f, judgeCall("accept", f.jc, r, d));
      const cost = costOf(d.deal, RESULT.instructions);
      assert.equal(await claimable(own), PAYMENT - cost + FEE);
      await send(f, f.stranger.writeContract({ address: own, abi: exampleJobClientAbi, functionName: "claimRefunds" }));
      assert.equal(await tokenBalance(own), client0 - cost);
      await assertJobCreatorSolvent([client, own], 0n, 0n);
    });
  });
});
