// File inputs end to end, with every role on its own block store: a job creator names a local file, the SDK adds it
// and leaves its blocks with the solver before signing anything, and the provider (and a mediator re-running the
// deal) fetch it from there, checked against its CID; the creator serves nothing. A missing, oversize or unknown
// file is refused before any job reaches the solver.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Outcome } from "../../src/core/dealTypes.ts";
import { InvalidInputError } from "../../src/core/errors.ts";
import { SolverClient, SolverRequestError } from "../../src/net/solverClient.ts";
import { createLogger } from "../../src/core/logger.ts";
import { startSolver } from "../../src/solver/solverServer.ts";
import { addBytes } from "../../src/storage/addBytes.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";
import { fetchCar } from "../../src/storage/fetchCar.ts";
import { readFileBytes } from "../../src/storage/readFileBytes.ts";
import { exportCarBytes } from "../../src/storage/exportCar.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { devAccount, DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { resolveModuleOnChain } from "../../src/chain/moduleRegistry.ts";
import { NotMediableModuleError } from "../../src/modules/errors.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { startTestNetwork, type TestNetwork } from "./helpers.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const execFileAsync = promisify(execFile);

const CSV = "region,amount\nnorth,10\nsouth,5.5\nnorth,2\n";

describe("file inputs and modules across separate stores", { timeout: 240_000 }, () => {
  let t: TestNetwork;
  let client: LilypadClient;
  let csvPath: string;
  let networkFile: string;

  before(async () => {
    networkFile = join(await mkdtemp(join(tmpdir(), "lilypad-files-")), "devnet.json");
    t = await startTestNetwork({ networkFile });
    client = await t.client(DevAccountIndex.jobCreator, { readLocalFiles: true });
    csvPath = join(t.home, "sales.csv");
    await writeFile(csvPath, CSV);
  });
  after(async () => {
    await t?.close();
    await rm(dirname(networkFile), { recursive: true, force: true });
  });

  it("runs etl on a local CSV: the file reaches the provider through the solver, and a mediator re-runs it alike", async () => {
    const result = await client.run("etl:v1", { Data: csvPath, GroupBy: "region", Value: "amount" });
    assert.match(new TextDecoder().decode(result.stdout), /3 rows, 2 groups by "region"/);
    assert.equal(result.outcome, Outcome.Accepted);

    // The solver holds the file, verified, for anyone with the CID.
    const store = await createBlockstore({ path: join(t.home, "check", "blocks") });
    const { cid } = await addBytes({ blockstore: store, bytes: new TextEncoder().encode(CSV) });
    const fetched = await createBlockstore({ path: join(t.home, "check2", "blocks") });
    await fetchCar({ url: t.net.solver.url, root: cid, blockstore: fetched });
    assert.equal(new TextDecoder().decode(await readFileBytes({ blockstore: fetched, cid, maxBytes: 1 << 20 })), CSV);

    // The same job spot-checked by the mediator: it gathers the file too, and finds for the provider.
    const checked = await client.run("etl:v1", { Data: csvPath, GroupBy: "amount", Value: "amount" }, { mediationChance: 1 });
    assert.equal(checked.outcome, Outcome.ProviderRight);
  });

  it("runs a module the provider has never seen: the client leaves it with the solver, the provider fetches it", async () => {
    const dir = join(t.home, "sheep");
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { name: string };
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "sheep" }));
    const store = await createBlockstore({ path: join(t.home, "jc-sheep", "blocks") });
    const { cid } = await packageModule({ dir, blockstore: store });
    const author = await t.client(DevAccountIndex.jobCreator, {
      blockstore: store,
      resolveModule: createModuleResolver({ blockstore: store, workDir: join(t.home, "jc-sheep", "work") }),
    });
    const result = await author.run(cid.toString(), { Message: "baa" });
    assert.match(new TextDecoder().decode(result.stdout), /< baa >/);
    assert.equal(result.outcome, Outcome.Accepted);
  });

  it("refuses to offer a module whose manifest says it is not deterministic: nothing is signed or sent", async () => {
    const dir = join(t.home, "goat");
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { name: string };
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "goat", deterministic: false }));
    const store = await createBlockstore({ path: join(t.home, "jc-goat", "blocks") });
    const { cid } = await packageModule({ dir, blockstore: store });
    const author = await t.client(DevAccountIndex.jobCreator, {
      blockstore: store,
      resolveModule: createModuleResolver({ blockstore: store, workDir: join(t.home, "jc-goat", "work") }),
    });
    const before = (await author.solver.listJobs(1000)).length;
    await assert.rejects(author.run(cid.toString(), { Message: "meh" }), (error: unknown) => error instanceof NotMediableModuleError && error.code === "MODULE_NOT_MEDIABLE");
    assert.equal((await author.solver.listJobs(1000)).length, before, "nothing reached the solver");
  });

  it("a published module runs for another user, whose store and provider never saw it: both fetch it from the solver", async () => {
    const dir = join(t.home, "lamb");
    await cp(join(repo, "modules", "cowsay"), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { name: string };
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, name: "lamb" }));
    const publisher = devAccount(5).address;
    const { stdout } = await execFileAsync(process.execPath, [join(repo, "bin", "lilypad.js"), "module", "publish", "./lamb", "--network-file", networkFile, "--dev-account", "5"], {
      cwd: t.home,
      env: { ...process.env, LILYPAD_HOME: join(t.home, "publisher-home") },
      timeout: 120_000,
    });
    assert.match(stdout, new RegExp(`stored at  ${t.net.solver.url}`));

    const store = await createBlockstore({ path: join(t.home, "jc-lamb", "blocks") });
    const conn = t.net.connect(DevAccountIndex.jobCreator);
    const user = await t.client(DevAccountIndex.jobCreator, {
      blockstore: store,
      resolveModule: createModuleResolver({
        blockstore: store,
        workDir: join(t.home, "jc-lamb", "work"),
        registry: ({ publisher: p, name, version }) => resolveModuleOnChain({ publicClient: conn.publicClient, market: t.net.network.contracts.market, publisher: p, name, version }),
        stores: [t.net.solver.url],
      }),
    });
    const result = await user.run(`${publisher}/lamb:v1`, { Message: "meh" });
    assert.match(new TextDecoder().decode(result.stdout), /< meh >/);
  });

  it("refuses a missing file, a file over the module's limit and a CID this client does not hold, before submitting", async () => {
    const before = (await client.solver.listJobs(1000)).length;
    await assert.rejects(client.run("etl:v1", { Data: join(t.home, "nope.csv"), GroupBy: "region", Value: "amount" }), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError, String(error));
      assert.match(error.message, /no such file/);
      return true;
    });
    const big = join(t.home, "big.csv");
    await writeFile(big, Buffer.alloc((16 << 20) + 1, 0x31));
    await assert.rejects(client.run("etl:v1", { Data: big, GroupBy: "region", Value: "amount" }), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError, String(error));
      assert.match(error.message, /16777217 bytes/);
      assert.match(error.hint ?? "", /at most 16777216 bytes/);
      return true;
    });
    const elsewhere = await createBlockstore({ path: join(t.home, "elsewhere", "blocks") });
    const { cid } = await addBytes({ blockstore: elsewhere, bytes: new TextEncoder().encode("a,b\n1,2\n") });
    await assert.rejects(client.run("etl:v1", { Data: cid.toString(), GroupBy: "a", Value: "b" }), /not in this client's block store/);
    // A client that passes on others' inputs (the gateway) reads no path of its machine: only CIDs.
    const guarded = await t.client(DevAccountIndex.jobCreator);
    await assert.rejects(guarded.run("etl:v1", { Data: csvPath, GroupBy: "region", Value: "amount" }), /must be the CID of a file/);
    assert.equal((await client.solver.listJobs(1000)).length, before, "nothing reached the solver");
  });

  it("the solver refuses an upload that does not hold the CID it names", async () => {
    const store = await createBlockstore({ path: join(t.home, "upload", "blocks") });
    const one = await addBytes({ blockstore: store, bytes: new TextEncoder().encode("one") });
    const two = await addBytes({ blockstore: store, bytes: new TextEncoder().encode("two") });
    await assert.rejects(client.solver.uploadContent(two.cid.toString(), await exportCarBytes(store, one.cid)), (error: unknown) => {
      assert.ok(error instanceof SolverRequestError);
      assert.equal(error.code, "INVALID_FILE");
      assert.equal(error.status, 400);
      return true;
    });
    await assert.rejects(client.solver.uploadContent("not-a-cid", new Uint8Array(4)), /INVALID_FILE|not a CID/);
    // An account's uploads are bounded per day (a solver's disk is shared): past the quota, 429 UPLOAD_QUOTA.
    const car = await exportCarBytes(store, one.cid);
    const small = await startSolver({ conn: t.net.connect(14), databasePath: ":memory:", log: createLogger({ role: "test", level: "silent" }), uploadQuotaBytes: car.byteLength + 10 });
    try {
      const uploader = (index: number) =>
        new SolverClient({ url: small.url, account: t.net.connect(index).account, scope: { chainId: t.net.network.chainId, market: t.net.network.contracts.market } });
      await uploader(15).uploadContent(one.cid.toString(), car);
      await assert.rejects(uploader(15).uploadContent(one.cid.toString(), car), (error: unknown) => {
        assert.ok(error instanceof SolverRequestError && error.code === "UPLOAD_QUOTA" && error.status === 429, String(error));
        return true;
      });
      await uploader(16).uploadContent(one.cid.toString(), car);
    } finally {
      await small.close();
    }
    // The file it does hold is accepted (and again: uploads are idempotent).
    await client.solver.uploadContent(one.cid.toString(), await exportCarBytes(store, one.cid));
    await client.solver.uploadContent(one.cid.toString(), await exportCarBytes(store, one.cid));
  });
});
