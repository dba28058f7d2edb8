import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseEther, parseEventLogs, parseSignature, type Address, type Hex } from "viem";
import {
  lilypadMarketAbi,
  lilypadMarketBytecode,
  lilypadTokenAbi,
  lilypadTokenBytecode,
} from "../../src/chain/generated/contracts.ts";
import { emptyResult } from "../../src/core/dealTypes.ts";
import {
  advance,
  assertConservation,
  balanceOf,
  dealCall,
  expectRevert,
  now,
  openDefaultDeal,
  send,
  setup,
  type Fixture,
  type Wallet,
} from "./fixture.ts";

/** The market's errors plus the token's, so that reverts bubbled up from the token decode by name. */
const marketAndTokenAbi = [...lilypadMarketAbi, ...lilypadTokenAbi] as const;

describe("escrow", () => {
  let f: Fixture;
  before(async () => {
    f = await setup();
  });
  after(() => f.dev.close());

  /** Every account that ever holds an escrow balance in this file. */
  const everyone = (): Address[] =>
    [f.jc, f.rp, f.otherRp, f.mediator, f.otherMediator, f.stranger, f.solver, f.governance].map((w) => w.account.address);

  const walletBalance = (who: Address): Promise<bigint> =>
    f.dev.publicClient.readContract({ address: f.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [who] });

  const allowance = (owner: Address): Promise<bigint> =>
    f.dev.publicClient.readContract({ address: f.token, abi: lilypadTokenAbi, functionName: "allowance", args: [owner, f.market] });

  const nonceOf = (owner: Address): Promise<bigint> =>
    f.dev.publicClient.readContract({ address: f.token, abi: lilypadTokenAbi, functionName: "nonces", args: [owner] });

  const approve = (wallet: Wallet, amount: bigint) =>
    send(f, wallet.writeContract({ address: f.token, abi: lilypadTokenAbi, functionName: "approve", args: [f.market, amount] }));

  const depositTx = (wallet: Wallet, amount: bigint): Promise<Hex> =>
    wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "deposit", args: [amount] });

  const withdrawTx = (wallet: Wallet, amount: bigint): Promise<Hex> =>
    wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "withdraw", args: [amount] });

  /** A real ERC-2612 permit for the market to pull `value` of `wallet`'s tokens, signed with EIP-712. */
  async function signPermit(wallet: Wallet, value: bigint, deadline: bigint) {
    const owner = wallet.account.address;
    const nonce = await nonceOf(owner);
    const signature = await wallet.signTypedData({
      account: wallet.account,
      domain: { name: "Lilypad", version: "1", chainId: 31337, verifyingContract: f.token },
      types: {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Permit",
      message: { owner, spender: f.market, value, nonce, deadline },
    });
    const { r, s, v, yParity } = parseSignature(signature);
    return { v: Number(v ?? BigInt(yParity + 27)), r, s, nonce };
  }

  const depositWithPermitTx = (wallet: Wallet, amount: bigint, deadline: bigint, p: { v: number; r: Hex; s: Hex }) =>
    wallet.writeContract({
      address: f.market,
      abi: marketAndTokenAbi,
      functionName: "depositWithPermit",
      args: [amount, deadline, p.v, p.r, p.s],
    });

  it("the escrowed token is the network's token", async () => {
    const token = await f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "token" });
    assert.equal(token, f.token);
  });

  it("deposit moves tokens from the wallet to the available balance and emits Deposited", async () => {
    const who = f.stranger.account.address;
    const amount = parseEther("250");
    assert.deepEqual(await balanceOf(f, who), { available: 0n, locked: 0n });
    const wallet0 = await walletBalance(who);
    const vault0 = await walletBalance(f.market);

    await approve(f.stranger, amount);
    const receipt = await send(f, depositTx(f.stranger, amount));

    assert.deepEqual(await balanceOf(f, who), { available: amount, locked: 0n });
    assert.equal(await walletBalance(who), wallet0 - amount);
    assert.equal(await walletBalance(f.market), vault0 + amount);
    assert.equal(await allowance(who), 0n, "the approval is used up exactly");
    const events = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "Deposited" });
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.args, { account: who, amount });
    await assertConservation(f, everyone());
  });

  it("deposits accumulate", async () => {
    const who = f.stranger.account.address;
    const before = await balanceOf(f, who);
    await approve(f.stranger, parseEther("5"));
    await send(f, depositTx(f.stranger, parseEther("2")));
    await send(f, depositTx(f.stranger, parseEther("3")));
    assert.deepEqual(await balanceOf(f, who), { available: before.available + parseEther("5"), locked: 0n });
    await assertConservation(f, everyone());
  });

  it("deposit without an allowance reverts in the token and moves nothing", async () => {
    const who = f.solver.account.address;
    const wallet0 = await walletBalance(who);
    await expectRevert(
      () => f.solver.writeContract({ address: f.market, abi: marketAndTokenAbi, functionName: "deposit", args: [1n] }),
      "ERC20InsufficientAllowance",
    );
    assert.deepEqual(await balanceOf(f, who), { available: 0n, locked: 0n });
    assert.equal(await walletBalance(who), wallet0);
  });

  it("withdraw moves tokens back to the wallet and emits Withdrawn", async () => {
    const who = f.stranger.account.address;
    const before = await balanceOf(f, who);
    const wallet0 = await walletBalance(who);
    const amount = parseEther("100");

    const receipt = await send(f, withdrawTx(f.stranger, amount));

    assert.deepEqual(await balanceOf(f, who), { available: before.available - amount, locked: 0n });
    assert.equal(await walletBalance(who), wallet0 + amount);
    const events = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "Withdrawn" });
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.args, { account: who, amount });
    await assertConservation(f, everyone());
  });

  it("withdrawing the whole available balance leaves it at zero", async () => {
    const who = f.stranger.account.address;
    const { available } = await balanceOf(f, who);
    const wallet0 = await walletBalance(who);
    await send(f, withdrawTx(f.stranger, available));
    assert.deepEqual(await balanceOf(f, who), { available: 0n, locked: 0n });
    assert.equal(await walletBalance(who), wallet0 + available);
    await assertConservation(f, everyone());
  });

  it("withdrawing more than available reverts with InsufficientBalance", async () => {
    const who = f.rp.account.address;
    const before = await balanceOf(f, who);
    const args = await expectRevert(() => withdrawTx(f.rp, before.available + 1n), "InsufficientBalance");
    assert.deepEqual(args, [who, before.available + 1n, before.available]);
    // An account that never deposited has nothing to withdraw.
    const none = await expectRevert(() => withdrawTx(f.solver, 1n), "InsufficientBalance");
    assert.deepEqual(none, [f.solver.account.address, 1n, 0n]);
    assert.deepEqual(await balanceOf(f, who), before);
    await assertConservation(f, everyone());
  });

  it("zero deposits and withdrawals revert with ZeroAmount", async () => {
    await approve(f.jc, parseEther("1"));
    await expectRevert(() => depositTx(f.jc, 0n), "ZeroAmount");
    await expectRevert(() => withdrawTx(f.jc, 0n), "ZeroAmount");
    const deadline = (await now(f)) + 3600n;
    const permit = await signPermit(f.jc, 0n, deadline);
    await expectRevert(() => depositWithPermitTx(f.jc, 0n, deadline, permit), "ZeroAmount");
    await approve(f.jc, 0n);
    await assertConservation(f, everyone());
  });

  it("funds locked in an open deal cannot be withdrawn; only the available part can", async () => {
    const jc = f.jc.account.address;
    const rp = f.rp.account.address;
    const jc0 = await balanceOf(f, jc);
    const rp0 = await balanceOf(f, rp);
    const d = await openDefaultDeal(f);
    const jc1 = await balanceOf(f, jc);
    const rp1 = await balanceOf(f, rp);
    assert.deepEqual(jc1, { available: jc0.available - d.deal.paymentCollateral, locked: jc0.locked + d.deal.paymentCollateral });
    assert.deepEqual(rp1, { available: rp0.available - d.deal.timeoutCollateral, locked: rp0.locked + d.deal.timeoutCollateral });

    // Everything the JC has in escrow, locked included, is more than it may withdraw.
    const all = jc1.available + jc1.locked;
    assert.deepEqual(await expectRevert(() => withdrawTx(f.jc, all), "InsufficientBalance"), [jc, all, jc1.available]);
    assert.deepEqual(await expectRevert(() => withdrawTx(f.jc, jc1.available + 1n), "InsufficientBalance"), [
      jc,
      jc1.available + 1n,
      jc1.available,
    ]);
    const rpAll = rp1.available + rp1.locked;
    assert.deepEqual(await expectRevert(() => withdrawTx(f.rp, rpAll), "InsufficientBalance"), [rp, rpAll, rp1.available]);

    // The whole available balance can go; the lock stays.
    const wallet0 = await walletBalance(jc);
    await send(f, withdrawTx(f.jc, jc1.available));
    assert.deepEqual(await balanceOf(f, jc), { available: 0n, locked: d.deal.paymentCollateral + jc0.locked });
    assert.equal(await walletBalance(jc), wallet0 + jc1.available);
    await assertConservation(f, everyone());

    // Once the deal settles (the RP never answered) the lock is released and can be withdrawn too.
    await advance(f, d.deal.resultTimeout + 1);
    await send(f, dealCall(f, f.stranger, "finalize", d, emptyResult));
    const jc2 = await balanceOf(f, jc);
    assert.deepEqual(jc2, { available: d.deal.paymentCollateral + d.deal.timeoutCollateral, locked: jc0.locked });
    assert.deepEqual(await balanceOf(f, rp), { available: rp1.available, locked: rp0.locked });
    await send(f, withdrawTx(f.jc, jc2.available));
    assert.deepEqual(await balanceOf(f, jc), { available: 0n, locked: jc0.locked });
    await assertConservation(f, everyone());
  });

  it("depositWithPermit deposits with a real ERC-2612 permit instead of an approval", async () => {
    const owner = f.otherRp.account.address;
    const amount = parseEther("42");
    const deadline = (await now(f)) + 3600n;
    assert.equal(await allowance(owner), 0n);
    const before = await balanceOf(f, owner);
    const wallet0 = await walletBalance(owner);
    const permit = await signPermit(f.otherRp, amount, deadline);

    const receipt = await send(f, depositWithPermitTx(f.otherRp, amount, deadline, permit));

    assert.deepEqual(await balanceOf(f, owner), { available: before.available + amount, locked: before.locked });
    assert.equal(await walletBalance(owner), wallet0 - amount);
    assert.equal(await nonceOf(owner), permit.nonce + 1n, "the permit was consumed");
    assert.equal(await allowance(owner), 0n);
    const approvals = parseEventLogs({ abi: lilypadTokenAbi, logs: receipt.logs, eventName: "Approval" });
    assert.ok(approvals.some((e) => e.args.owner === owner && e.args.spender === f.market && e.args.value === amount));
    const deposits = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "Deposited" });
    assert.deepEqual(deposits.map((e) => e.args), [{ account: owner, amount }]);
    await assertConservation(f, everyone());
  });

  it("a front-run permit does not block depositWithPermit: the allowance it left is used", async () => {
    const owner = f.otherMediator.account.address;
    const amount = parseEther("7");
    const deadline = (await now(f)) + 3600n;
    const before = await balanceOf(f, owner);
    const wallet0 = await walletBalance(owner);
    const permit = await signPermit(f.otherMediator, amount, deadline);

    // Someone who saw the permit in the mempool submits it to the token first.
    await send(
      f,
      f.stranger.writeContract({
        address: f.token,
        abi: lilypadTokenAbi,
        functionName: "permit",
        args: [owner, f.market, amount, deadline, permit.v, permit.r, permit.s],
      }),
    );
    assert.equal(await allowance(owner), amount);
    assert.equal(await nonceOf(owner), permit.nonce + 1n);

    const receipt = await send(f, depositWithPermitTx(f.otherMediator, amount, deadline, permit));

    assert.deepEqual(await balanceOf(f, owner), { available: before.available + amount, locked: before.locked });
    assert.equal(await walletBalance(owner), wallet0 - amount);
    assert.equal(await allowance(owner), 0n);
    assert.equal(await nonceOf(owner), permit.nonce + 1n, "the permit was used once only");
    const deposits = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "Deposited" });
    assert.deepEqual(deposits.map((e) => e.args), [{ account: owner, amount }]);
    await assertConservation(f, everyone());
  });

  it("a failed permit without an allowance still fails the deposit, and replaying a used permit moves nothing", async () => {
    const owner = f.mediator.account.address;
    const before = await balanceOf(f, owner);
    const wallet0 = await walletBalance(owner);

    // Expired permit: the permit call fails, and with no allowance the transfer fails too.
    const past = (await now(f)) - 1n;
    const expired = await signPermit(f.mediator, parseEther("1"), past);
    await expectRevert(() => depositWithPermitTx(f.mediator, parseEther("1"), past, expired), "ERC20InsufficientAllowance");

    // A permit signed by someone else does not authorise the caller's deposit.
    const deadline = (await now(f)) + 3600n;
    const foreign = await signPermit(f.otherRp, parseEther("1"), deadline);
    await expectRevert(() => depositWithPermitTx(f.mediator, parseEther("1"), deadline, foreign), "ERC20InsufficientAllowance");

    // A permit for less than the amount leaves too small an allowance.
    const small = await signPermit(f.mediator, parseEther("1"), deadline);
    await expectRevert(() => depositWithPermitTx(f.mediator, parseEther("2"), deadline, small), "ERC20InsufficientAllowance");

    // Used once, then replayed: the second time the nonce is stale and the allowance is spent.
    await send(f, depositWithPermitTx(f.mediator, parseEther("1"), deadline, small));
    await expectRevert(() => depositWithPermitTx(f.mediator, parseEther("1"), deadline, small), "ERC20InsufficientAllowance");

    assert.deepEqual(await balanceOf(f, owner), { available: before.available + parseEther("1"), locked: before.locked });
    assert.equal(await walletBalance(owner), wallet0 - parseEther("1"));
    await assertConservation(f, everyone());
  });

  it("refuses a deposit that would take an account past 128 bits, instead of wrapping", async () => {
    // The network token's supply cannot get there, so this uses a token with a larger supply and its own market.
    const huge = 1n << 129n;
    const tokenReceipt = await send(
      f,
      f.stranger.deployContract({ abi: lilypadTokenAbi, bytecode: lilypadTokenBytecode, args: [f.stranger.account.address, huge] }),
    );
    const token = tokenReceipt.contractAddress!;
    const marketReceipt = await send(
      f,
      f.stranger.deployContract({ abi: lilypadMarketAbi, bytecode: lilypadMarketBytecode, args: [token, f.stranger.account.address] }),
    );
    const market = marketReceipt.contractAddress!;
    await send(f, f.stranger.writeContract({ address: token, abi: lilypadTokenAbi, functionName: "approve", args: [market, huge] }));
    const max = (1n << 128n) - 1n;
    await send(f, f.stranger.writeContract({ address: market, abi: lilypadMarketAbi, functionName: "deposit", args: [max] }));
    const [who] = await expectRevert(
      () => f.stranger.writeContract({ address: market, abi: lilypadMarketAbi, functionName: "deposit", args: [1n] }),
      "BalanceOverflow",
    );
    assert.equal(who, f.stranger.account.address);
    const [available, locked] = await f.dev.publicClient.readContract({
      address: market,
      abi: lilypadMarketAbi,
      functionName: "balanceOf",
      args: [f.stranger.account.address],
    });
    assert.deepEqual([available, locked], [max, 0n]);
  });
});
