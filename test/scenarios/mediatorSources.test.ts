// Issue 11, attack 8: a mediator that could never mediate some jobs. It used to fetch a job's inputs from its one
// configured solver only, so a deal matched through another solver, or a mediator restarted elsewhere, timed out
// and the creator kept the result for free. Now everything a re-run needs is found from the deal's on-chain data:
// the inputs by the deal's inputsHash, the module by its moduleId, input files by the CIDs in the inputs, asked of
// the deal's parties at the URLs they registered on chain, and checked against those hashes. Real chain, solvers,
// providers and mediators on loopback; every escrow account moves by exactly settlementOf's amounts.
import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { CID } from "multiformats/cid";
import { parseEther, type Address, type Hex } from "viem";
import type { ChainConnection } from "../../src/chain/chainConnection.ts";
import { dealServicesOf } from "../../src/chain/dealServices.ts";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { depositToEscrow } from "../../src/chain/market/escrow.ts";
import { readDeal } from "../../src/chain/market/readDeal.ts";
import { registerService, ServiceRole } from "../../src/chain/serviceRegistry.ts";
import { createLogger } from "../../src/core/logger.ts";
import { unpackDeal } from "../../src/core/dealPacking.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { moduleCidOfDigest } from "../../src/core/moduleId.ts";
import { parseManifest } from "../../src/core/moduleId.ts";
import { settlementOf } from "../../src/core/settlement.ts";
import { DEFAULT_PROVIDER_PRICING } from "../../src/devnet/startNetwork.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { Mediator, type Ruling } from "../../src/mediator/mediator.ts";
import { repoRoot } from "../../src/modules/compileAssemblyScript.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { ResourceProvider } from "../../src/resource-provider/resourceProvider.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { startSolver, type RunningSolver } from "../../src/solver/solverServer.ts";
import { addBytes } from "../../src/storage/addBytes.ts";
import { carRoutes } from "../../src/storage/carRoutes.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { jobInputsCidOf } from "../../src/storage/jobInputsBlock.ts";
import { readFileBytes } from "../../src/storage/readFileBytes.ts";
import { shippedModuleId, startTestNetwork, text, type TestNetwork } from "../network/helpers.ts";
import { assertSettled, balancesOf, blockOf, type Balances, type Party } from "./helpers.ts";

const JC = DevAccountIndex.jobCreator;
const PROVIDER_A = devAccount(4).address;
/** A second solver, its provider and its creator: a market the network's mediator was never told of. */
const SOLVER_B = 14;
const PROVIDER_B = 15;
const JC_B = 13;
const DATA = "first line\nsecond line\nthird line\n";

describe("any mediator can gather any deal's job (issue 11, attack 8)", () => {
  let t: TestNetwork;
  let work: string;
  let conn: ChainConnection;
  /** The creator's own store: the file-lines module and its data file exist nowhere else at first. */
  let creatorStore: Blockstore;
  let creatorServer: FastifyInstance;
  let client: LilypadClient;
  let solverB: RunningSolver;
  let providerB: ResourceProvider;
  const pools: SandboxPool[] = [];
  const rulings: Ruling[] = [];
  let warmUpDeal: Hex;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "lilypad-sources-"));
    t = await startTestNetwork({ providers: [{ account: 4 }] });
    t.net.mediator.onRuling((ruling) => rulings.push(ruling));
    conn = t.net.connect(JC);
    await depositToEscrow(conn, parseEther("100"));
    creatorStore = await createBlockstore({ path: join(work, "creator", "blocks") });
    client = await t.client(JC, {
      keepInEscrow: 0n,
      blockstore: creatorStore,
      resolveModule: createModuleResolver({ blockstore: creatorStore, workDir: join(work, "creator", "work") }),
    });
    warmUpDeal = (await client.run("cowsay:v1", { Message: "warm up" })).dealId;
  });

  after(async () => {
    await providerB?.stop();
    await solverB?.close();
    await creatorServer?.close();
    for (const pool of pools) await pool.close();
    await t?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function who(provider: Address, creator: Address = conn.address): Record<Party, Address> {
    return { creator, provider, mediator: t.net.mediatorAddress };
  }

  async function settled(dealId: Hex, provider: Address, outcome: Outcome, before: Balances, after: Balances, creator?: Address) {
    const onChain = await readDeal(conn, dealId);
    assert.ok(onChain);
    const s = settlementOf(unpackDeal(onChain.deal), outcome, onChain.result.instructions);
    const during = await balancesOf(conn, who(provider, creator), await blockOf(conn, dealId, "DealChallenged"));
    assertSettled(s, before, during, after);
    return s;
  }

  function newPool(name: string): { pool: SandboxPool; workRoot: string } {
    const workRoot = join(work, name, "work");
    const pool = new SandboxPool({ workRoot, size: 1 });
    pools.push(pool);
    return { pool, workRoot };
  }

  it("a deal matched through a solver the mediator never heard of is mediated: the inputs come from the deal's provider", async () => {
    const log = createLogger({ role: "test", level: "silent" });
    solverB = await startSolver({ conn: t.net.connect(SOLVER_B), databasePath: join(work, "solver-b", "solver.db"), log, port: 0 });
    providerB = new ResourceProvider({
      conn: t.net.connect(PROVIDER_B),
      solverUrl: solverB.url,
      log,
      blockstore: await createBlockstore({ path: join(work, "provider-b", "blocks") }),
      ...newPool("provider-b"),
      pricing: DEFAULT_PROVIDER_PRICING,
      mediators: [t.net.mediatorAddress],
      slots: 2,
      resources: { cpu: 4, ramMiB: 4096, gpu: 0, diskMiB: 10_240 },
      modules: [shippedModuleId("cowsay:v1")],
    });
    await providerB.start();
    const connB = t.net.connect(JC_B);
    await depositToEscrow(connB, parseEther("100"));
    const clientB = await t.client(JC_B, { solverUrl: solverB.url, keepInEscrow: 0n });

    const before = await balancesOf(conn, who(providerB.address, connB.address));
    const result = await clientB.run("cowsay:v1", { Message: "elsewhere" }, { mediationChance: 1 });
    const after = await balancesOf(conn, who(providerB.address, connB.address));
    assert.equal(result.outcome, Outcome.ProviderRight);
    assert.equal(result.provider, providerB.address);
    assert.match(text(result.stdout), /< elsewhere >/);
    assert.equal(rulings.find((r) => r.dealId === result.dealId)?.providerRight, true);
    const s = await settled(result.dealId, providerB.address, Outcome.ProviderRight, before, after, connB.address);
    assert.equal(s.payment, result.paid);

    // What the mediator could find from the chain: solver B never registered, so the provider's URL was the way.
    const onChain = await readDeal(conn, result.dealId);
    assert.ok(onChain);
    assert.deepEqual(await dealServicesOf(conn, { dealId: result.dealId, provider: providerB.address, creator: connB.address }), { provider: providerB.resultsUrl });
    // The network's own solver registered: a deal it opened names it (the sender of the opening transaction).
    const warmUp = await dealServicesOf(conn, { dealId: warmUpDeal, provider: PROVIDER_A, creator: conn.address });
    assert.deepEqual(warmUp.solver, { address: devAccount(DevAccountIndex.solver).address, url: t.net.solver.url });
    assert.equal(warmUp.provider, t.net.providers[0]?.resultsUrl);
  });

  it("a mediator offline when the challenge came, started afresh with an empty store and no solver, gathers module, inputs and input file from the provider", async () => {
    // The module and the data file exist only in the creator's store, served at the URL it registered on chain:
    // the provider fetches them from there.
    const dir = join(work, "modules", "file-lines");
    await cp(join(repoRoot, "test", "fixtures", "scenarios", "file-lines"), dir, { recursive: true });
    const moduleCid = (await packageModule({ dir, blockstore: creatorStore })).cid;
    const { cid: fileCid } = await addBytes({ blockstore: creatorStore, bytes: new TextEncoder().encode(DATA) });
    creatorServer = Fastify({ logger: false });
    await creatorServer.register(carRoutes, { blockstore: creatorStore });
    await registerService(conn, { role: ServiceRole.JobCreator, url: await creatorServer.listen({ host: "127.0.0.1", port: 0 }) });

    // The network's mediator goes away before the challenge.
    await t.net.mediator.stop();
    const before = await balancesOf(conn, who(PROVIDER_A));
    const handle = await client.submit(moduleCid, { Label: "lines", Data: fileCid.toString() }, { mediationChance: 1, targetProvider: PROVIDER_A });
    const events: JobEvent[] = [];
    await new Promise<void>((resolve) =>
      handle.events.on((e) => {
        events.push(e);
        if (e.type === "challenged") resolve();
      }),
    );
    // Now the creator goes offline too: only the provider is left to ask.
    await creatorServer.close();

    // The same mediator account, on another machine: nothing in its store, no solver configured.
    const blockstore = await createBlockstore({ path: join(work, "mediator-2", "blocks") });
    const inputsHash = (await readDeal(conn, handle.dealId))?.inputsHash;
    assert.ok(inputsHash);
    const artifactCid = parseManifest(JSON.parse(text(await readFileBytes({ blockstore: creatorStore, cid: CID.parse(moduleCid), maxBytes: 1 << 20 }))), moduleCid).artifact.cid;
    const expected = [CID.parse(moduleCid), CID.parse(artifactCid), fileCid, jobInputsCidOf(inputsHash)];
    for (const cid of expected) assert.equal(await blockstore.has(cid), false);
    const mediator = new Mediator({
      conn: t.net.connect(DevAccountIndex.mediator),
      log: createLogger({ role: "test", level: "silent" }),
      blockstore,
      ...newPool("mediator-2"),
    });
    const restartedRulings: Ruling[] = [];
    mediator.onRuling((ruling) => restartedRulings.push(ruling));
    await mediator.start();
    try {
      const result = await handle.result;
      const after = await balancesOf(conn, who(PROVIDER_A));
      assert.equal(result.outcome, Outcome.ProviderRight);
      assert.equal(text(result.stdout), "lines: 34 bytes\n1 first line\n2 second line\n3 third line\n");
      assert.equal(moduleCidOfDigest((await readDeal(conn, handle.dealId))!.moduleId), moduleCid);
      // Everything it re-ran came from the provider, checked against the deal's hashes, and is kept to serve.
      for (const cid of expected) assert.equal(await blockstore.has(cid), true, `${cid} gathered`);
      await settled(handle.dealId, PROVIDER_A, Outcome.ProviderRight, before, after);
      for (let i = 0; i < 100 && restartedRulings.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(restartedRulings, [{ dealId: handle.dealId, providerRight: true, reason: undefined }]);
    } finally {
      await mediator.stop();
    }
  });
});
