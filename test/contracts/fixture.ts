// Shared setup for the contract tests: a fresh dev chain (anvil), funded role wallets, and helpers that
// walk a deal through the market with real signatures.
import assert from "node:assert/strict";
import type { z } from "zod";
import {
  BaseError,
  ContractFunctionRevertedError,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type Transport,
  type WalletClient,
} from "viem";
import { DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { lilypadMarketAbi, lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
import { jobOfferDigest, signJobOffer, signResourceOffer } from "../../src/chain/offers.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";
import { unpackDeal, type PackedDeal } from "../../src/core/dealPacking.ts";
import {
  jobOfferSchema,
  resourceOfferCalldata,
  resourceOfferSchema,
  type Deal,
  type JobOffer,
  type ResourceOffer,
  type Result,
  type Signature,
} from "../../src/core/dealTypes.ts";

export type Wallet = WalletClient<Transport, Chain, Account>;

export interface Fixture {
  dev: DevChain;
  market: Address;
  token: Address;
  governance: Wallet;
  solver: Wallet;
  mediator: Wallet;
  otherMediator: Wallet;
  jc: Wallet;
  rp: Wallet;
  otherRp: Wallet;
  stranger: Wallet;
  domain: { chainId: number; market: Address };
}

export const MODULE_ID = keccak256(toHex("cowsay:v1 manifest"));
export const INPUTS_HASH = keccak256(toHex('{"Message":"hello"}'));
export const DEPOSIT = parseEther("1000");

export async function setup(): Promise<Fixture> {
  const dev = await startDevChain();
  const w = (i: number) => dev.wallet(i);
  const f: Fixture = {
    dev,
    market: dev.network.contracts.market,
    token: dev.network.contracts.token,
    governance: w(DevAccountIndex.deployer),
    solver: w(DevAccountIndex.solver),
    mediator: w(DevAccountIndex.mediator),
    jc: w(DevAccountIndex.jobCreator),
    rp: w(DevAccountIndex.firstResourceProvider),
    otherRp: w(5),
    otherMediator: w(6),
    stranger: w(7),
    domain: { chainId: dev.chain.id, market: dev.network.contracts.market },
  };
  for (const wallet of [f.jc, f.rp, f.otherRp, f.mediator, f.otherMediator]) await deposit(f, wallet, DEPOSIT);
  return f;
}

export async function send(f: Fixture, hash: Promise<Hex>) {
  const receipt = await f.dev.publicClient.waitForTransactionReceipt({ hash: await hash });
  assert.equal(receipt.status, "success");
  return receipt;
}

export async function deposit(f: Fixture, wallet: Wallet, amount: bigint): Promise<void> {
  await send(f, wallet.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "approve", args: [f.market, amount] }));
  await send(f, wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "deposit", args: [amount] }));
}

export async function balanceOf(f: Fixture, who: Address): Promise<{ available: bigint; locked: bigint }> {
  const [available, locked] = await f.dev.publicClient.readContract({
    address: f.market,
    abi: lilypadMarketAbi,
    functionName: "balanceOf",
    args: [who],
  });
  return { available, locked };
}

export async function now(f: Fixture): Promise<bigint> {
  return (await f.dev.publicClient.getBlock()).timestamp;
}

/** Moves the chain's clock forward and mines a block. */
export async function advance(f: Fixture, seconds: number): Promise<void> {
  await f.dev.testClient.increaseTime({ seconds });
  await f.dev.testClient.mine({ blocks: 1 });
}

let nextLane = 1;

export async function jobOffer(f: Fixture, overrides: Partial<z.input<typeof jobOfferSchema>> = {}): Promise<JobOffer> {
  return jobOfferSchema.parse({
    creator: f.jc.account.address,
    moduleId: MODULE_ID,
    inputsHash: INPUTS_HASH,
    maxBasePrice: parseEther("1"),
    maxPricePerMInstr: parseEther("0.01"),
    paymentCollateral: parseEther("10"),
    mediationFee: parseEther("0.5"),
    minTimeoutCollateral: parseEther("1"),
    minCollateralMultiple: 2,
    mediators: [f.mediator.account.address],
    targetProvider: "0x0000000000000000000000000000000000000000",
    resultTimeout: 600,
    judgingWindow: 600,
    mediationTimeout: 600,
    callback: false,
    lane: nextLane++,
    seq: 1,
    expiry: (await now(f)) + 3600n,
    maxInstructions: 10n ** 10n,
    submitter: f.solver.account.address,
    ...overrides,
  });
}

export async function resourceOffer(
  f: Fixture,
  job: JobOffer,
  overrides: Partial<ResourceOffer> = {},
): Promise<ResourceOffer> {
  return resourceOfferSchema.parse({
    jobOfferHash: jobOfferDigest(f.domain, job),
    basePrice: parseEther("0.1"),
    pricePerMInstr: parseEther("0.001"),
    timeoutCollateral: parseEther("2"),
    collateralMultiple: 3,
    expiry: (await now(f)) + 3600n,
    ...overrides,
  });
}

export interface SignedOffers {
  job: JobOffer;
  jobSignature: Signature;
  resource: ResourceOffer;
  resourceSignature: Signature;
}

export async function signOffers(
  f: Fixture,
  job: JobOffer,
  resource: ResourceOffer,
  signers: { jc?: Wallet; rp?: Wallet } = {},
): Promise<SignedOffers> {
  return {
    job,
    jobSignature: await signJobOffer(signers.jc ?? f.jc, f.domain, job),
    resource,
    resourceSignature: await signResourceOffer(signers.rp ?? f.rp, f.domain, resource),
  };
}

export interface OpenedDeal {
  dealId: Hex;
  deal: Deal;
  packed: PackedDeal;
  gasUsed: bigint;
}

export function openDealTx(f: Fixture, o: SignedOffers, by: Wallet = f.solver): Promise<Hex> {
  return by.writeContract({
    address: f.market,
    abi: lilypadMarketAbi,
    functionName: "openDeal",
    args: [o.job, o.jobSignature, resourceOfferCalldata(o.resource), o.resourceSignature],
  });
}

export async function openDeal(f: Fixture, o: SignedOffers, by: Wallet = f.solver): Promise<OpenedDeal> {
  const receipt = await send(f, openDealTx(f, o, by));
  const [event] = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "DealOpened" });
  assert.ok(event, "DealOpened emitted");
  const packed = event.args.deal;
  return { dealId: event.args.dealId, deal: unpackDeal(packed), packed, gasUsed: receipt.gasUsed };
}

/** Signs both offers with defaults (plus overrides) and opens the deal. */
export async function openDefaultDeal(
  f: Fixture,
  jobOverrides: Partial<JobOffer> = {},
  resourceOverrides: Partial<ResourceOffer> = {},
): Promise<OpenedDeal> {
  const job = await jobOffer(f, jobOverrides);
  return openDeal(f, await signOffers(f, job, await resourceOffer(f, job, resourceOverrides)));
}

export const RESULT: Result = {
  cidDigest: keccak256(toHex("result directory root block")),
  outputHash: keccak256(toHex("the cow says hello")),
  instructions: 2_500_000n,
};

type DealCall = "postResult" | "accept" | "challenge" | "finalize";

export function dealCall(f: Fixture, by: Wallet, fn: DealCall, d: OpenedDeal, result: Result = RESULT): Promise<Hex> {
  return by.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: fn, args: [d.dealId, d.packed, result] });
}

export function ruleTx(f: Fixture, by: Wallet, d: OpenedDeal, providerRight: boolean, result: Result = RESULT): Promise<Hex> {
  return by.writeContract({
    address: f.market,
    abi: lilypadMarketAbi,
    functionName: "rule",
    args: [d.dealId, d.packed, result, providerRight],
  });
}

export async function laneStatus(f: Fixture, deal: Deal): Promise<{ state: number; deadline: number; seq: number }> {
  const [state, deadline, seq] = await f.dev.publicClient.readContract({
    address: f.market,
    abi: lilypadMarketAbi,
    functionName: "laneStatus",
    args: [deal.creator, deal.lane],
  });
  return { state, deadline, seq };
}

/** Asserts that the call reverts with the named custom error (and returns its arguments). */
export async function expectRevert(call: () => Promise<unknown>, errorName: string): Promise<readonly unknown[]> {
  try {
    await call();
  } catch (error) {
    if (error instanceof BaseError) {
      const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (reverted instanceof ContractFunctionRevertedError) {
        assert.equal(reverted.data?.errorName, errorName, `expected ${errorName}, got ${reverted.data?.errorName}`);
        return reverted.data?.args ?? [];
      }
    }
    throw error;
  }
  assert.fail(`expected revert ${errorName}, but the call succeeded`);
}

/** The vault's token balance must equal the sum of every account's available plus locked. */
export async function assertConservation(f: Fixture, accounts: Address[]): Promise<void> {
  const vault = await f.dev.publicClient.readContract({
    address: f.token,
    abi: lilypadTokenAbi,
    functionName: "balanceOf",
    args: [f.market],
  });
  let sum = 0n;
  for (const a of accounts) {
    const b = await balanceOf(f, a);
    sum += b.available + b.locked;
  }
  assert.equal(sum, vault, "vault balance equals the sum of all escrow balances");
}
