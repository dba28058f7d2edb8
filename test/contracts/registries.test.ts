import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
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

  const resolve = (name: string, version: string): Promise<Hex> =>
    f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "resolveModule", args: [name, version] });

  const setBlockedTx = (wallet: Wallet, id: Hex, blocked: boolean, reason: string): Promise<Hex> =>
    wallet.writeContract({ address: f.market, abi: lilypadMarketAbi, functionName: "setModuleBlocked", args: [id, blocked, reason] });

  const isBlocked = (id: Hex): Promise<boolean> =>
    f.dev.publicClient.readContract({ address: f.market, abi: lilypadMarketAbi, functionName: "isModuleBlocked", args: [id] });

  it("publishModule binds name:version to a module id that resolveModule returns", async () => {
    const id = moduleId("cowsay:v1");
    assert.equal(await resolve("cowsay", "v1"), ZERO_ID, "unknown versions resolve to zero");
    const receipt = await send(f, publishTx(f.jc, "cowsay", "v1", id));
    assert.equal(await resolve("cowsay", "v1"), id);
    assert.equal(await resolve("cowsay", "v2"), ZERO_ID);
    const events = parseEventLogs({ abi: lilypadMarketAbi, logs: receipt.logs, eventName: "ModulePublished" });
    assert.deepEqual(events.map((e) => e.args), [{ name: "cowsay", version: "v1", moduleId: id, publisher: f.jc.account.address }]);
  });

  it("the first publisher owns the name: it may add versions, anyone else gets NameTaken", async () => {
    const v2 = moduleId("cowsay:v2");
    const args = await expectRevert(() => publishTx(f.stranger, "cowsay", "v2", v2), "NameTaken");
    assert.deepEqual(args, ["cowsay", f.jc.account.address]);
    assert.equal(await resolve("cowsay", "v2"), ZERO_ID);

    await send(f, publishTx(f.jc, "cowsay", "v2", v2));
    assert.equal(await resolve("cowsay", "v2"), v2);
    assert.equal(await resolve("cowsay", "v1"), moduleId("cowsay:v1"), "older versions are untouched");

    // Another name is free for anyone; the same module id may sit under several names.
    await send(f, publishTx(f.stranger, "cowsay-fork", "v1", v2));
    assert.equal(await resolve("cowsay-fork", "v1"), v2);
    await expectRevert(() => publishTx(f.jc, "cowsay-fork", "v9", v2), "NameTaken");
  });

  it("published versions are immutable: a second publish gets VersionExists", async () => {
    const args = await expectRevert(() => publishTx(f.jc, "cowsay", "v1", moduleId("evil")), "VersionExists");
    assert.deepEqual(args, ["cowsay", "v1"]);
    await expectRevert(() => publishTx(f.jc, "cowsay", "v1", moduleId("cowsay:v1")), "VersionExists");
    assert.equal(await resolve("cowsay", "v1"), moduleId("cowsay:v1"));
  });

  it("names and versions must be 1-64 bytes of [a-z0-9._-]: otherwise InvalidModuleName", async () => {
    const id = moduleId("names");
    const bad = ["", "a".repeat(65), "Cowsay", "cow say", "cow/say", "cow:say", "cowsay\n", "cowsäy", "@scope"];
    for (const name of bad) {
      await expectRevert(() => publishTx(f.otherRp, name, "v1", id), "InvalidModuleName");
      await expectRevert(() => publishTx(f.otherRp, "valid-name", name, id), "InvalidModuleName");
    }
    assert.equal(await resolve("valid-name", "v1"), ZERO_ID, "nothing was bound");

    // The edges of what is allowed.
    const longest = "z".repeat(64);
    await send(f, publishTx(f.otherRp, longest, "1.0.0-rc_1", id));
    assert.equal(await resolve(longest, "1.0.0-rc_1"), id);
    await send(f, publishTx(f.otherRp, "a", "0", id));
    assert.equal(await resolve("a", "0"), id);
    await send(f, publishTx(f.otherRp, "lib.wasm_tools-2", "v1", id));
    assert.equal(await resolve("lib.wasm_tools-2", "v1"), id);
  });

  it("a zero module id gets InvalidModuleId", async () => {
    await expectRevert(() => publishTx(f.otherRp, "zero", "v1", ZERO_ID), "InvalidModuleId");
    assert.equal(await resolve("zero", "v1"), ZERO_ID);
    // The failed publish did not claim the name either.
    await send(f, publishTx(f.otherMediator, "zero", "v1", moduleId("zero")));
    assert.equal(await resolve("zero", "v1"), moduleId("zero"));
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
