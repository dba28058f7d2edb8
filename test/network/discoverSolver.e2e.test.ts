// A network file that names only the chain: the solver is found in the service registry, the latest registration
// that answers for this chain and market as the address that registered it; a dead URL, or a URL that points at a
// solver the registrant is not, is passed over.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { discoverSolver } from "../../src/chain/discoverSolver.ts";
import { registerService, ServiceRole } from "../../src/chain/serviceRegistry.ts";
import { startTestNetwork, type TestNetwork } from "./helpers.ts";

describe("discoverSolver", { timeout: 120_000 }, () => {
  let t: TestNetwork;
  before(async () => {
    t = await startTestNetwork();
  });
  after(() => t?.close());

  it("finds the registered solver, passing over later registrations that are dead or not who they claim", async () => {
    const { solverUrl, ...chainOnly } = t.net.network;
    assert.ok(solverUrl);
    assert.equal(await discoverSolver(chainOnly), t.net.solver.url);
    // Registered later: a URL where nothing listens, and another account claiming the real solver's URL.
    await registerService(t.net.connect(18), { role: ServiceRole.Solver, url: "http://127.0.0.1:1" });
    await registerService(t.net.connect(19), { role: ServiceRole.Solver, url: t.net.solver.url });
    assert.equal(await discoverSolver(chainOnly), t.net.solver.url);
  });

  it("finds nothing on a chain where no solver registered", async () => {
    const elsewhere = { ...t.net.network, contracts: { ...t.net.network.contracts, serviceRegistry: t.net.network.contracts.token } };
    await assert.rejects(discoverSolver(elsewhere));
  });
});
