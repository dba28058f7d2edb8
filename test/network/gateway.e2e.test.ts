// The job gateway end to end: an app with no keys POSTs a job over HTTP, polls it to success, and fetches the
// result file from the gateway, on a whole in-process network (chain, solver, resource provider, mediator). The
// gateway pays from dev account 10.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex, getAddress, parseEther, zeroAddress } from "viem";
import { CID } from "multiformats/cid";
import { moduleRegistryOf, publishModuleOnChain } from "../../src/chain/moduleRegistry.ts";
import { gatewayHealthSchema, gatewayJobListSchema, gatewayJobSchema, type GatewayJob } from "../../src/core/api/gatewayProtocol.ts";
import { createLogger } from "../../src/core/logger.ts";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";
import { startGateway, type RunningGateway } from "../../src/job-creator/gateway.ts";
import { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore, type CreateBlockstoreResult } from "../../src/storage/createBlockstore.ts";

const GATEWAY_ACCOUNT = 10;
/** Publishes modules in its own namespace on chain. */
const PUBLISHER_ACCOUNT = 17;
const API_KEY = "test-key-0123456789";

interface Answer {
  status: number;
  json: unknown;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return call(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** Polls a job until it is no longer running (at most 20 s). */
async function settle(url: string, first: GatewayJob, headers: Record<string, string> = {}): Promise<GatewayJob> {
  let job = first;
  const deadline = Date.now() + 20_000;
  while (job.status === "running") {
    assert.ok(Date.now() < deadline, `job still running after 20 s: ${JSON.stringify(job.events)}`);
    await new Promise((r) => setTimeout(r, 100));
    const polled = await call(`${url}/api/v1/jobs/${first.id}`, { headers });
    assert.equal(polled.status, 200);
    job = gatewayJobSchema.parse(polled.json);
  }
  return job;
}

function errorCode(answer: Answer): string | undefined {
  return (answer.json as { code?: string }).code;
}

describe("job gateway (e2e)", { timeout: 120_000 }, () => {
  let home: string;
  let net: EmbeddedNetwork;
  let blockstore: CreateBlockstoreResult;
  let client: LilypadClient;
  let gateway: RunningGateway;
  const log = createLogger({ role: "gateway-test", level: "silent" });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-gateway-"));
    net = await startNetwork({ home: join(home, "network") });
    blockstore = await createBlockstore({ path: join(home, "gateway", "blocks") });
    const conn = net.connect(GATEWAY_ACCOUNT);
    client = new LilypadClient({
      conn,
      solverUrl: net.solver.url,
      blockstore,
      // As `lilypad gateway` and the devnet's gateway resolve: published names through the network's registry.
      resolveModule: createModuleResolver({ blockstore, workDir: join(home, "gateway"), registry: moduleRegistryOf(conn) }),
      mediators: [net.mediatorAddress],
      keepInEscrow: parseEther("100"),
    });
    gateway = await startGateway({ client, blockstore, log });
  });

  after(async () => {
    // A job still in flight keeps the client polling after close (see LilypadClient.close): let it end first.
    const deadline = Date.now() + 20_000;
    while (gateway && Date.now() < deadline) {
      const health = await call(`${gateway.url}/api/v1/health`).catch(() => undefined);
      if (!health || gatewayHealthSchema.parse(health.json).jobs.running === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await gateway?.close();
    await client?.close();
    await blockstore?.close();
    await net?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("runs a job for an app: POST, poll to success, fetch the result file", async () => {
    const posted = await postJson(`${gateway.url}/api/v1/jobs`, { module: "cowsay:v1", inputs: { Message: "hi from an app" } });
    assert.equal(posted.status, 202, JSON.stringify(posted.json));
    const created = gatewayJobSchema.parse(posted.json);
    assert.equal(created.status, "running");
    assert.ok(created.dealId);
    assert.equal(created.id, created.dealId);
    assert.equal(created.module, "cowsay:v1");

    const job = await settle(gateway.url, created);
    assert.equal(job.status, "succeeded", JSON.stringify(job.error));
    const result = job.result;
    assert.ok(result);
    assert.match(result.stdout, /hi from an app/);
    assert.ok(BigInt(result.instructions) > 0n);
    assert.ok(BigInt(result.paid) > 0n);
    assert.equal(result.outcome, 0);
    assert.equal(result.filesUrl, `/ipfs/${result.resultCid}`);
    const types = job.events.map((e) => e.type);
    for (const step of ["submitted", "deal-opened", "result-posted", "downloaded", "accepted", "closed"]) assert.ok(types.includes(step), `no ${step} event in ${types.join(", ")}`);
    assert.ok(job.finishedAt && job.finishedAt >= job.createdAt);

    const file = await fetch(`${gateway.url}${result.filesUrl}/stdout`);
    assert.equal(file.status, 200);
    assert.equal(await file.text(), result.stdout);

    const list = gatewayJobListSchema.parse((await call(`${gateway.url}/api/v1/jobs`)).json);
    assert.equal(list.jobs[0]?.id, created.id);
    const succeeded = gatewayJobListSchema.parse((await call(`${gateway.url}/api/v1/jobs?status=succeeded&limit=5`)).json);
    assert.ok(succeeded.jobs.some((j) => j.id === created.id));
  });

  it("takes an input file as an upload, runs a job naming its CID, and never reads a path of its own machine", async () => {
    const csv = "region,amount\nnorth,10\nsouth,5.5\nnorth,2\n";
    const uploaded = await call(`${gateway.url}/api/v1/uploads`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: csv });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.json));
    const { cid, bytes } = uploaded.json as { cid: string; bytes: number };
    assert.equal(bytes, csv.length);
    const posted = await postJson(`${gateway.url}/api/v1/jobs`, { module: "etl:v1", inputs: { Data: cid, GroupBy: "region", Value: "amount" } });
    assert.equal(posted.status, 202, JSON.stringify(posted.json));
    const job = await settle(gateway.url, gatewayJobSchema.parse(posted.json));
    assert.equal(job.status, "succeeded", JSON.stringify(job.error));
    assert.match(job.result?.stdout ?? "", /3 rows, 2 groups by "region"/);

    // A path names a file of the gateway's machine: refused, as any value that is not a CID.
    const stolen = await postJson(`${gateway.url}/api/v1/jobs`, { module: "etl:v1", inputs: { Data: "/etc/passwd", GroupBy: "root", Value: "x" } });
    assert.equal(stolen.status, 400, JSON.stringify(stolen.json));
    assert.match(JSON.stringify(stolen.json), /must be the CID of a file/);
    // An upload is raw bytes.
    const wrongType = await postJson(`${gateway.url}/api/v1/uploads`, { data: csv });
    assert.ok(wrongType.status === 415 || wrongType.status === 400, JSON.stringify(wrongType.json));
  });

  it("answers bad requests with a 400 and a code, and unknown jobs with a 404", async () => {
    const jobs = `${gateway.url}/api/v1/jobs`;

    const unknownModule = await postJson(jobs, { module: "nosuchmodule:v9", inputs: {} });
    assert.equal(unknownModule.status, 400);
    assert.equal(errorCode(unknownModule), "UNKNOWN_MODULE");

    const badInput = await postJson(jobs, { module: "cowsay:v1", inputs: { Nope: "x" } });
    assert.equal(badInput.status, 400);
    assert.equal(errorCode(badInput), "INVALID_INPUT");
    assert.match((badInput.json as { message: string }).message, /Nope/);

    const malformed = await call(jobs, { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" });
    assert.equal(malformed.status, 400);
    assert.equal(errorCode(malformed), "INVALID_JSON");

    const noModule = await postJson(jobs, { inputs: { Message: "x" } });
    assert.equal(noModule.status, 400);
    assert.equal(errorCode(noModule), "INVALID_BODY");
    assert.match((noModule.json as { message: string }).message, /module/);

    const emptyBody = await call(jobs, { method: "POST", headers: { "content-type": "application/json" } });
    assert.equal(emptyBody.status, 400);

    const badValue = await postJson(jobs, { module: "cowsay:v1", inputs: { Message: { nested: true } } });
    assert.equal(badValue.status, 400);
    assert.equal(errorCode(badValue), "INVALID_BODY");

    // A folder is a module to the CLI, never to a remote app.
    for (const module of ["/", "./modules/cowsay", "modules"]) {
      const folder = await postJson(jobs, { module });
      assert.equal(folder.status, 400, module);
      assert.equal(errorCode(folder), "INVALID_BODY", module);
    }

    const notJson = await call(jobs, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" });
    assert.equal(notJson.status, 400);
    const xml = await call(jobs, { method: "POST", headers: { "content-type": "application/xml" }, body: "<job/>" });
    assert.equal(xml.status, 415);

    const missing = await call(`${jobs}/0x${"ab".repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), "NOT_FOUND");
    assert.equal((await call(`${jobs}/whatever`)).status, 404);

    const badQuery = await call(`${jobs}?limit=0`);
    assert.equal(badQuery.status, 400);

    // Still serving after all that.
    const health = await call(`${gateway.url}/api/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(gatewayHealthSchema.parse(health.json).payer, client.address);
  });

  it("takes every module form the CLI takes: a published 0x<publisher>/NAME:VERSION (any case of address), a CID, a bare name; refuses malformed names as the CLI does", async () => {
    const jobs = `${gateway.url}/api/v1/jobs`;
    const shipped = readShippedCatalog();
    const cowsayCid = shipped["cowsay:v1"]!;
    const computeCid = shipped["compute:v1"]!;
    const digestOf = (cid: string) => bytesToHex(CID.parse(cid).multihash.digest);
    // The publisher binds cowsay's module as its own cowsay:v1, and compute's as its cowsay:v2 (a name the module
    // does not bear).
    const publisher = net.connect(PUBLISHER_ACCOUNT);
    for (const [version, cid] of [["v1", cowsayCid], ["v2", computeCid]] as const) {
      await publishModuleOnChain({ wallet: publisher.wallet, publicClient: publisher.publicClient, market: net.network.contracts.market, name: "cowsay", version, digest: digestOf(cid) });
    }
    const address = getAddress(publisher.address);

    for (const [module, message] of [
      [`${address}/cowsay:v1`, "published"],
      [`${address.toLowerCase()}/cowsay:v1`, "published, lower case"],
      [cowsayCid, "by CID"],
      ["cowsay:v1", "bare"],
    ] as const) {
      const posted = await postJson(jobs, { module, inputs: { Message: message } });
      assert.equal(posted.status, 202, `${module}: ${JSON.stringify(posted.json)}`);
      const created = gatewayJobSchema.parse(posted.json);
      assert.equal(created.module, module);
      const job = await settle(gateway.url, created);
      assert.equal(job.status, "succeeded", `${module}: ${JSON.stringify(job.error)}`);
      assert.match(job.result?.stdout ?? "", new RegExp(`< ${message} >`));
    }

    // Well-formed names the network does not bind to a module that bears them: refused as the CLI refuses them.
    const unpublished = await postJson(jobs, { module: `${address}/cowsay:v9`, inputs: { Message: "x" } });
    assert.equal(unpublished.status, 400, JSON.stringify(unpublished.json));
    assert.equal(errorCode(unpublished), "UNKNOWN_MODULE");
    assert.match((unpublished.json as { message: string }).message, new RegExp(`no module "${address}/cowsay:v9"`));
    const mismatch = await postJson(jobs, { module: `${address}/cowsay:v2`, inputs: { Message: "x" } });
    assert.equal(mismatch.status, 400, JSON.stringify(mismatch.json));
    assert.equal(errorCode(mismatch), "MODULE_NAME_MISMATCH");

    // Malformed names never reach the resolver: a 400 INVALID_BODY saying what is wrong, in the parser's words.
    // The address with one letter's case flipped: mixed case that is not EIP-55.
    const badChecksum = `0x${address.slice(2).replace(/[a-f]/, (c) => c.toUpperCase())}`;
    assert.notEqual(badChecksum, address);
    for (const [module, why] of [
      ["0x1234/cowsay:v1", /"0x1234" is not a publisher address/],
      [`${zeroAddress}/cowsay:v1`, /the zero address publishes nothing/],
      [`${address}/cowsay`, /it has no version/],
      [`${address}/Cowsay:v1`, /its name "Cowsay" is not 1-64 characters.*lower case/],
      ["Cowsay:v1", /module names are lower case: cowsay:v1/],
      [`${address}/${"a".repeat(65)}:v1`, /its name "a{65}" is not 1-64 characters/],
      ["someone/cowsay:v1", /"someone" is not a publisher address/],
      [`${badChecksum}/cowsay:v1`, /fails its checksum/],
      ["cowsay", /must be NAME:VERSION \(e\.g\. cowsay:v1\), 0x<publisher>\/NAME:VERSION or a module CID/],
    ] as const) {
      const refused = await postJson(jobs, { module, inputs: { Message: "x" } });
      assert.equal(refused.status, 400, `${module}: ${JSON.stringify(refused.json)}`);
      assert.equal(errorCode(refused), "INVALID_BODY", module);
      assert.match((refused.json as { message: string }).message, why, module);
    }
  });

  it("with an API key, refuses /api requests without it and serves them with it", async () => {
    const guarded = await startGateway({ client, blockstore, log, apiKey: API_KEY });
    try {
      const jobs = `${guarded.url}/api/v1/jobs`;
      const bare = await postJson(jobs, { module: "cowsay:v1", inputs: { Message: "no key" } });
      assert.equal(bare.status, 401);
      assert.equal(errorCode(bare), "UNAUTHORIZED");
      const wrong = await postJson(jobs, { module: "cowsay:v1" }, { authorization: `Bearer ${API_KEY}x` });
      assert.equal(wrong.status, 401);
      assert.equal((await call(jobs)).status, 401);
      assert.equal((await call(`${jobs}/0x${"ab".repeat(32)}`)).status, 401);
      // Health stays open.
      assert.equal((await call(`${guarded.url}/api/v1/health`)).status, 200);

      const auth = { authorization: `Bearer ${API_KEY}` };
      const posted = await postJson(jobs, { module: "cowsay:v1", inputs: { Message: "with a key" } }, auth);
      assert.equal(posted.status, 202, JSON.stringify(posted.json));
      const job = gatewayJobSchema.parse(posted.json);
      const done = await settle(guarded.url, job, auth);
      assert.equal(done.status, "succeeded", JSON.stringify(done.error));
      assert.match(done.result?.stdout ?? "", /with a key/);
      // Bad input still gets its 400 once authorized.
      const badInput = await postJson(jobs, { module: "cowsay:v1", inputs: { Nope: 1 } }, auth);
      assert.equal(badInput.status, 400);
      assert.equal(errorCode(badInput), "INVALID_INPUT");
    } finally {
      await guarded.close();
    }
  });
});
