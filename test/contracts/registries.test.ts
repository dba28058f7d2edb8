import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keccak256, parseEventLogs, toHex, zeroAddress, type Address, type Hex } from "viem";
import { lilypadMarketAbi, serviceRegistryAbi } from "../../src/chain/generated/contracts.ts";
import {
  balanceOf,
  expectRevert,
  jobOffer,
  openDeal,
  openDealTx,
  resourceOffer,
  send,
  setup,
  signOffers,
  type Fixture,
  type Wallet,
} from "./fixture.ts";

/** Mirrors IServiceRegistry.Role. */
const Role = { Solver: 0, ResourceProvider: 1, Mediator: 2, JobCreator: 3 } as const;
type Role = (typeof Role)[keyof typeof Role];

const ZERO_ID = `0x${"0".repeat(64)}` as Hex;
const moduleId = (label: string): Hex => keccak256(toHex(`${label} manifest`));

describe("registries", () => {
  let f: Fixture;
  let registry: Address;
  before(async () => {
    f = await setup();
    registry = f.dev.network.contracts.serviceRegistry;
  });
  after(() => f.dev.close());

  // ------------------------------------------------------------------------------------- module registry

  const publishTx = (wallet: Wallet, name: string, version: string, id: Hex): Promise<Hex> =>
    wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "publishModule", args: [name, version, id] });

  const approveTx = (wallet: Wallet, name: string, version: string, id: Hex): Promise<Hex> =>
    wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "approveModule", args: [name, version, id] });

  /** `<publisher>/name:version`; publisher zero reads the bare names governance approved. */
  const resolve = (publisher: Address, name: string, version: string): Promise<Hex> =>
    f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "resolveModule", args: [publisher, name, version] });

  const setBlockedTx = (wallet: Wallet, id: Hex, blocked: boolean, reason: string): Promise<Hex> =>
    wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "setModuleBlocked", args: [id, blocked, reason] });

  const isBlocked = (id: Hex): Promise<boolean> =>
    f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "isModuleBlocked", args: [id] });

  it("publishModule binds name:version in the caller's own namespace, <caller>/name:version, for one storage slot", async () => {
    const id = moduleId("cowsay:v1");
    const jc = f.jc.account.address;
    assert.equal(await resolve(jc, "cowsay", "v1"), ZERO_ID, "unknown versions resolve to zero");
    const receipt = await send(f, publishTx(f.jc, "cowsay", "v1", id));
    assert.equal(await resolve(jc, "cowsay", "v1"), id);
    assert.equal(await resolve(jc, "cowsay", "v2"), ZERO_ID);
    assert.equal(await resolve(f.stranger.account.address, "cowsay", "v1"), ZERO_ID, "only in the publisher's namespace");
    assert.equal(await resolve(zeroAddress, "cowsay", "v1"), ZERO_ID, "never the bare name");
    const events = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "ModulePublished" });
    assert.deepEqual(events.map((e) => e.args), [{ publisher: jc, name: "cowsay", version: "v1", moduleId: id }]);
    // One new slot (22,100) plus the transaction, the calldata, the name check and the event.
    assert.ok(receipt.gasUsed < 60_000n, `publishModule used ${receipt.gasUsed} gas`);
    // There is no way to name another namespace: the publisher is always the caller.
    const publish = lilypadMarketAbi.find((item) => item.type === "function" && item.name === "publishModule");
    assert.deepEqual(publish?.inputs.map((i) => i.name), ["name", "version", "moduleId"]);
  });

  it("attack 14: a squatter publishing a familiar name gets it only under its own address; the owner's and the bare name are untouched", async () => {
    const jc = f.jc.account.address;
    const squatter = f.stranger.account.address;
    const evil = moduleId("squatter's cowsay");
    const receipt = await send(f, publishTx(f.stranger, "cowsay", "v1", evil));
    assert.deepEqual(
      parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "ModulePublished" }).map((e) => e.args),
      [{ publisher: squatter, name: "cowsay", version: "v1", moduleId: evil }],
    );
    assert.equal(await resolve(squatter, "cowsay", "v1"), evil);
    assert.equal(await resolve(jc, "cowsay", "v1"), moduleId("cowsay:v1"), "the owner's name still means the owner's module");
    assert.equal(await resolve(zeroAddress, "cowsay", "v1"), ZERO_ID, "and the bare name nobody's");
    // Squatting a version the owner has not published yet takes nothing from the owner either.
    await send(f, publishTx(f.stranger, "cowsay", "v2", evil));
    const v2 = moduleId("cowsay:v2");
    await send(f, publishTx(f.jc, "cowsay", "v2", v2));
    assert.equal(await resolve(jc, "cowsay", "v2"), v2);
    assert.equal(await resolve(squatter, "cowsay", "v2"), evil);
    assert.equal(await resolve(jc, "cowsay", "v1"), moduleId("cowsay:v1"), "older versions are untouched");
  });

  it("published versions are immutable: a second publish in the same namespace gets VersionExists", async () => {
    const jc = f.jc.account.address;
    assert.deepEqual(await expectRevert(() => publishTx(f.jc, "cowsay", "v1", moduleId("evil")), "VersionExists"), [jc, "cowsay", "v1"]);
    await expectRevert(() => publishTx(f.jc, "cowsay", "v1", moduleId("cowsay:v1")), "VersionExists");
    assert.deepEqual(await expectRevert(() => publishTx(f.stranger, "cowsay", "v1", moduleId("cowsay:v1")), "VersionExists"), [
      f.stranger.account.address,
      "cowsay",
      "v1",
    ]);
    assert.equal(await resolve(jc, "cowsay", "v1"), moduleId("cowsay:v1"));
    assert.equal(await resolve(f.stranger.account.address, "cowsay", "v1"), moduleId("squatter's cowsay"));
  });

  it("names and versions must be 1-64 bytes of [a-z0-9._-] starting with a letter or digit: otherwise InvalidModuleName", async () => {
    const id = moduleId("names");
    const publisher = f.otherRp.account.address;
    const bad = ["", "a".repeat(65), "Cowsay", "cow say", "cow/say", "cow:say", "cowsay\n", "cowsäy", "@scope", ".hidden", "-v1", "_x", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8/cowsay"];
    for (const name of bad) {
      await expectRevert(() => publishTx(f.otherRp, name, "v1", id), "InvalidModuleName");
      await expectRevert(() => publishTx(f.otherRp, "valid-name", name, id), "InvalidModuleName");
      await expectRevert(() => approveTx(f.governance, name, "v1", id), "InvalidModuleName");
    }
    assert.equal(await resolve(publisher, "valid-name", "v1"), ZERO_ID, "nothing was bound");

    // The edges of what is allowed.
    const longest = "z".repeat(64);
    await send(f, publishTx(f.otherRp, longest, "1.0.0-rc_1", id));
    assert.equal(await resolve(publisher, longest, "1.0.0-rc_1"), id);
    await send(f, publishTx(f.otherRp, "a", "0", id));
    assert.equal(await resolve(publisher, "a", "0"), id);
    await send(f, publishTx(f.otherRp, "lib.wasm_tools-2", "v1", id));
    assert.equal(await resolve(publisher, "lib.wasm_tools-2", "v1"), id);
    // The same module id may sit under several names.
    await send(f, publishTx(f.otherRp, "alias", "v1", id));
    assert.equal(await resolve(publisher, "alias", "v1"), id);
  });

  it("a zero module id gets InvalidModuleId", async () => {
    await expectRevert(() => publishTx(f.otherRp, "zero", "v1", ZERO_ID), "InvalidModuleId");
    await expectRevert(() => approveTx(f.governance, "zero", "v1", ZERO_ID), "InvalidModuleId");
    assert.equal(await resolve(f.otherRp.account.address, "zero", "v1"), ZERO_ID);
    // The failed publish bound nothing: the same publisher may still publish that version.
    await send(f, publishTx(f.otherRp, "zero", "v1", moduleId("zero")));
    assert.equal(await resolve(f.otherRp.account.address, "zero", "v1"), moduleId("zero"));
  });

  it("bare names are governance's: only the market's owner approves one, once; publishing as the owner is its own namespace", async () => {
    const id = moduleId("sheep:v1");
    for (const wallet of [f.stranger, f.jc]) {
      assert.deepEqual(await expectRevert(() => approveTx(wallet, "sheep", "v1", moduleId("squat")), "OwnableUnauthorizedAccount"), [wallet.account.address]);
    }
    assert.equal(await resolve(zeroAddress, "sheep", "v1"), ZERO_ID);

    const receipt = await send(f, approveTx(f.governance, "sheep", "v1", id));
    assert.deepEqual(
      parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "ModulePublished" }).map((e) => e.args),
      [{ publisher: zeroAddress, name: "sheep", version: "v1", moduleId: id }],
    );
    assert.equal(await resolve(zeroAddress, "sheep", "v1"), id);
    assert.equal(await resolve(f.governance.account.address, "sheep", "v1"), ZERO_ID, "approval is not the owner's namespace");
    assert.deepEqual(await expectRevert(() => approveTx(f.governance, "sheep", "v1", moduleId("other")), "VersionExists"), [zeroAddress, "sheep", "v1"]);

    await send(f, publishTx(f.governance, "sheep", "v2", moduleId("sheep:v2")));
    assert.equal(await resolve(f.governance.account.address, "sheep", "v2"), moduleId("sheep:v2"));
    assert.equal(await resolve(zeroAddress, "sheep", "v2"), ZERO_ID, "publishing as the owner approves nothing");
  });

  it("governance blocks a module: new deals using it revert with ModuleIsBlocked; unblocking restores them", async () => {
    const id = moduleId("malware:v1");
    assert.equal(await isBlocked(id), false);

    const blocked = await send(f, setBlockedTx(f.governance, id, true, "malware"));
    assert.deepEqual(
      parseEventLogs({ abi: lilypadMarketAbi, logs: blocked.logs, eventName: "ModuleBlockStatusChanged" }).map((e) => e.args),
      [{ moduleId: id, blocked: true, reason: "malware" }],
    );
    assert.equal(await isBlocked(id), true);
    assert.equal(await isBlocked(moduleId("cowsay:v1")), false, "other modules are unaffected");

    const jc0 = await balanceOf(f, f.jc.account.address);
    const job = await jobOffer(f, { moduleId: id });
    const offers = await signOffers(f, job, await resourceOffer(f, job));
    const args = await expectRevert(() => openDealTx(f, offers), "ModuleIsBlocked");
    assert.deepEqual(args, [id]);
    assert.deepEqual(await balanceOf(f, f.jc.account.address), jc0, "nothing was locked");

    // Deals for other modules still open.
    const other = await jobOffer(f);
    await openDeal(f, await signOffers(f, other, await resourceOffer(f, other)));

    const unblocked = await send(f, setBlockedTx(f.governance, id, false, "false positive"));
    assert.deepEqual(
      parseEventLogs({ abi: lilypadMarketAbi, logs: unblocked.logs, eventName: "ModuleBlockStatusChanged" }).map((e) => e.args),
      [{ moduleId: id, blocked: false, reason: "false positive" }],
    );
    assert.equal(await isBlocked(id), false);
    // The very offers that were refused now open a deal.
    const d = await openDeal(f, offers);
    assert.equal((await balanceOf(f, f.jc.account.address)).locked - jc0.locked, d.deal.paymentCollateral + other.paymentCollateral);
  });

  it("only governance may block: anyone else gets OwnableUnauthorizedAccount", async () => {
    const id = moduleId("cowsay:v1");
    const args = await expectRevert(() => setBlockedTx(f.stranger, id, true, "grief"), "OwnableUnauthorizedAccount");
    assert.deepEqual(args, [f.stranger.account.address]);
    await expectRevert(() => setBlockedTx(f.jc, id, true, "i published it"), "OwnableUnauthorizedAccount");
    assert.equal(await isBlocked(id), false);
    const owner = await f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "owner" });
    assert.equal(owner, f.governance.account.address);
  });

  // ------------------------------------------------------------------------------------ service registry

  const registerTx = (wallet: Wallet, role: Role, url: string): Promise<Hex> =>
    wallet.writeContract({ address: registry, abi: serviceRegistryAbi, functionName: "register", args: [role, url] });

  const unregisterTx = (wallet: Wallet, role: Role): Promise<Hex> =>
    wallet.writeContract({ address: registry, abi: serviceRegistryAbi, functionName: "unregister", args: [role] });

  const servicesOf = async (role: Role): Promise<{ services: readonly Address[]; urls: readonly string[] }> => {
    const [services, urls] = await f.dev.publicClient.readContract({
      address: registry,
      abi: serviceRegistryAbi,
      functionName: "servicesOf",
      args: [role],
    });
    return { services, urls };
  };

  const serviceUrl = (service: Address, role: Role): Promise<string> =>
    f.dev.publicClient.readContract({ address: registry, abi: serviceRegistryAbi, functionName: "serviceUrl", args: [service, role] });

  /** Checks servicesOf(role) against the expected (address, url) pairs in order, and serviceUrl for each. */
  async function expectServices(role: Role, expected: [Wallet, string][]): Promise<void> {
    const { services, urls } = await servicesOf(role);
    assert.deepEqual(services, expected.map(([w]) => w.account.address));
    assert.deepEqual(urls, expected.map(([, url]) => url));
    for (const [w, url] of expected) assert.equal(await serviceUrl(w.account.address, role), url);
  }

  it("every role starts empty", async () => {
    for (const role of Object.values(Role)) await expectServices(role, []);
  });

  it("register announces a service per role, in registration order, with events", async () => {
    const receipt = await send(f, registerTx(f.solver, Role.Solver, "http://127.0.0.1:8080"));
    assert.deepEqual(
      parseEventLogs({ abi: serviceRegistryAbi, logs: receipt.logs, eventName: "ServiceRegistered" }).map((e) => e.args),
      [{ service: f.solver.account.address, role: Role.Solver, url: "http://127.0.0.1:8080" }],
    );
    await send(f, registerTx(f.rp, Role.ResourceProvider, "http://rp-a:9000"));
    await send(f, registerTx(f.otherRp, Role.ResourceProvider, "http://rp-b:9000"));
    await send(f, registerTx(f.stranger, Role.ResourceProvider, "http://rp-c:9000"));
    await send(f, registerTx(f.mediator, Role.Mediator, "https://mediator.example"));
    await send(f, registerTx(f.jc, Role.JobCreator, "http://jc:7000"));
    // The same address may hold several roles, each with its own URL.
    await send(f, registerTx(f.rp, Role.Mediator, "http://rp-a:9001"));

    await expectServices(Role.Solver, [[f.solver, "http://127.0.0.1:8080"]]);
    await expectServices(Role.ResourceProvider, [
      [f.rp, "http://rp-a:9000"],
      [f.otherRp, "http://rp-b:9000"],
      [f.stranger, "http://rp-c:9000"],
    ]);
    await expectServices(Role.Mediator, [
      [f.mediator, "https://mediator.example"],
      [f.rp, "http://rp-a:9001"],
    ]);
    await expectServices(Role.JobCreator, [[f.jc, "http://jc:7000"]]);
    assert.equal(await serviceUrl(f.solver.account.address, Role.Mediator), "", "unregistered roles have no URL");
  });

  it("registering again updates the URL in place without duplicating the entry", async () => {
    const receipt = await send(f, registerTx(f.otherRp, Role.ResourceProvider, "http://rp-b:9999"));
    assert.deepEqual(
      parseEventLogs({ abi: serviceRegistryAbi, logs: receipt.logs, eventName: "ServiceRegistered" }).map((e) => e.args),
      [{ service: f.otherRp.account.address, role: Role.ResourceProvider, url: "http://rp-b:9999" }],
    );
    await expectServices(Role.ResourceProvider, [
      [f.rp, "http://rp-a:9000"],
      [f.otherRp, "http://rp-b:9999"],
      [f.stranger, "http://rp-c:9000"],
    ]);
  });

  it("URLs must be 1-256 bytes: otherwise InvalidUrl", async () => {
    await expectRevert(() => registerTx(f.otherMediator, Role.Mediator, ""), "InvalidUrl");
    await expectRevert(() => registerTx(f.otherMediator, Role.Mediator, `http://${"x".repeat(250)}`), "InvalidUrl"); // 257 bytes
    // Bytes, not characters: 129 two-byte characters are 258 bytes.
    await expectRevert(() => registerTx(f.otherMediator, Role.Mediator, "é".repeat(129)), "InvalidUrl");
    // An update to an invalid URL is refused too and keeps the old one.
    await expectRevert(() => registerTx(f.rp, Role.ResourceProvider, ""), "InvalidUrl");
    await expectServices(Role.Mediator, [
      [f.mediator, "https://mediator.example"],
      [f.rp, "http://rp-a:9001"],
    ]);
    assert.equal(await serviceUrl(f.rp.account.address, Role.ResourceProvider), "http://rp-a:9000");

    const longest = `http://${"x".repeat(249)}`;
    assert.equal(longest.length, 256);
    await send(f, registerTx(f.otherMediator, Role.Mediator, longest));
    await expectServices(Role.Mediator, [
      [f.mediator, "https://mediator.example"],
      [f.rp, "http://rp-a:9001"],
      [f.otherMediator, longest],
    ]);
  });

  it("unregistering a middle entry swaps the last one into its place and keeps every URL right", async () => {
    const receipt = await send(f, unregisterTx(f.otherRp, Role.ResourceProvider));
    assert.deepEqual(
      parseEventLogs({ abi: serviceRegistryAbi, logs: receipt.logs, eventName: "ServiceUnregistered" }).map((e) => e.args),
      [{ service: f.otherRp.account.address, role: Role.ResourceProvider }],
    );
    await expectServices(Role.ResourceProvider, [
      [f.rp, "http://rp-a:9000"],
      [f.stranger, "http://rp-c:9000"],
    ]);
    assert.equal(await serviceUrl(f.otherRp.account.address, Role.ResourceProvider), "");

    // The moved entry can still update and unregister itself (its position was kept up to date).
    await send(f, registerTx(f.stranger, Role.ResourceProvider, "http://rp-c:1234"));
    await expectServices(Role.ResourceProvider, [
      [f.rp, "http://rp-a:9000"],
      [f.stranger, "http://rp-c:1234"],
    ]);
    // Re-registering appends at the end.
    await send(f, registerTx(f.otherRp, Role.ResourceProvider, "http://rp-b:1"));
    await expectServices(Role.ResourceProvider, [
      [f.rp, "http://rp-a:9000"],
      [f.stranger, "http://rp-c:1234"],
      [f.otherRp, "http://rp-b:1"],
    ]);
    // Removing the first entry moves the last one to the front.
    await send(f, unregisterTx(f.rp, Role.ResourceProvider));
    await expectServices(Role.ResourceProvider, [
      [f.otherRp, "http://rp-b:1"],
      [f.stranger, "http://rp-c:1234"],
    ]);
    // Removing the last entry just pops it.
    await send(f, unregisterTx(f.stranger, Role.ResourceProvider));
    await expectServices(Role.ResourceProvider, [[f.otherRp, "http://rp-b:1"]]);
    // The swapped-forward entry can still leave, emptying the role.
    await send(f, unregisterTx(f.otherRp, Role.ResourceProvider));
    await expectServices(Role.ResourceProvider, []);

    // Other roles of the same addresses are untouched.
    await expectServices(Role.Mediator, [
      [f.mediator, "https://mediator.example"],
      [f.rp, "http://rp-a:9001"],
      [f.otherMediator, `http://${"x".repeat(249)}`],
    ]);
  });

  it("unregistering without holding the role reverts with NotRegistered", async () => {
    await send(f, unregisterTx(f.jc, Role.JobCreator));
    await expectServices(Role.JobCreator, []);
    assert.deepEqual(await expectRevert(() => unregisterTx(f.jc, Role.JobCreator), "NotRegistered"), [f.jc.account.address, Role.JobCreator]);
    // Holding another role does not count.
    assert.deepEqual(await expectRevert(() => unregisterTx(f.solver, Role.Mediator), "NotRegistered"), [
      f.solver.account.address,
      Role.Mediator,
    ]);
    await expectServices(Role.Solver, [[f.solver, "http://127.0.0.1:8080"]]);
    for (const role of Object.values(Role)) {
      await expectRevert(() => unregisterTx(f.governance, role), "NotRegistered");
    }
  });
});
