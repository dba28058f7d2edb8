// A provider bound to every interface advertises the public URL it is told, on chain and in its offers, and job
// creators download from there; told nothing, it refuses to start rather than advertise its bind address.
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { serviceUrlOf, ServiceRole } from "../../src/chain/serviceRegistry.ts";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import { createLogger } from "../../src/core/logger.ts";
import { DEFAULT_PROVIDER_PRICING } from "../../src/devnet/startNetwork.ts";
import { ResourceProvider } from "../../src/resource-provider/resourceProvider.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";
import { shippedModuleId, startTestNetwork, type TestNetwork } from "./helpers.ts";

const PUBLIC_PROVIDER = 16;
const SILENT_PROVIDER = 17;

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const probe = createServer().listen(0, "0.0.0.0", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe("public URLs", { timeout: 180_000 }, () => {
  let t: TestNetwork;
  const pools: SandboxPool[] = [];
  const providers: ResourceProvider[] = [];
  before(async () => {
    t = await startTestNetwork();
  });
  after(async () => {
    for (const p of providers) await p.stop();
    for (const p of pools) await p.close();
    await t?.close();
  });

  const provider = async (index: number, listen: { host: string; port: number; publicUrl?: string }) => {
    const workRoot = join(t.home, `provider-${index}`, "work");
    const pool = new SandboxPool({ workRoot, size: 1 });
    pools.push(pool);
    return new ResourceProvider({
      conn: t.net.connect(index),
      solverUrl: t.net.solver.url,
      log: createLogger({ role: "test", level: "silent" }),
      blockstore: await createBlockstore({ path: join(t.home, `provider-${index}`, "blocks") }),
      pool,
      workRoot,
      pricing: DEFAULT_PROVIDER_PRICING,
      mediators: [t.net.mediatorAddress],
      slots: 1,
      resources: { cpu: 1, ramMiB: 1024, gpu: 0, diskMiB: 1024 },
      modules: [shippedModuleId("cowsay:v1")],
      ...listen,
    });
  };

  it("a provider on every interface registers and offers its public URL, and its results are fetched there", async () => {
    const port = await freePort();
    // 127.0.0.2 stands in for the machine's public address: the provider binds every interface, so it answers there.
    const publicUrl = `http://127.0.0.2:${port}`;
    const rp = await provider(PUBLIC_PROVIDER, { host: "0.0.0.0", port, publicUrl });
    await rp.start();
    providers.push(rp);
    assert.equal(rp.resultsUrl, publicUrl);
    const conn = t.net.connect(DevAccountIndex.jobCreator);
    assert.equal(await serviceUrlOf(conn, { service: rp.address, role: ServiceRole.ResourceProvider }), publicUrl);

    const client = await t.client();
    const result = await client.run("cowsay:v1", { Message: "from afar" }, { targetProvider: rp.address });
    assert.equal(result.provider, rp.address);
    assert.match(new TextDecoder().decode(result.stdout), /< from afar >/);
  });

  it("a provider on every interface with no public URL refuses to start, and registers nothing", async () => {
    const rp = await provider(SILENT_PROVIDER, { host: "0.0.0.0", port: 0 });
    await assert.rejects(rp.start(), (error: unknown) => error instanceof InvalidArgumentError && /--public-url/.test(error.hint ?? ""));
    const conn = t.net.connect(DevAccountIndex.jobCreator);
    assert.equal(await serviceUrlOf(conn, { service: rp.address, role: ServiceRole.ResourceProvider }), undefined);
  });
});
