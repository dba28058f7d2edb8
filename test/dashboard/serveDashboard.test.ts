// The dashboard's files as the indexer serves them: index.html for each page's URL, hashed assets cached for
// good, the JSON API left alone, and a page saying how to build the dashboard when it was not built.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { DASHBOARD_NOT_BUILT, DASHBOARD_PAGES, dashboardDistDir, serveDashboard } from "../../src/dashboard/serveDashboard.ts";

const INDEX = '<!doctype html><title>Lilypad network</title><script type="module" src="/assets/index-abc123.js"></script>';

async function appServing(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  // As the indexer has it: its JSON API beside the dashboard, and its own 404 for everything else.
  app.get("/api/v1/stats", async () => ({ ok: true }));
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: "NOT_FOUND", message: "no such route" }));
  await app.register(serveDashboard, { root });
  await app.ready();
  return app;
}

describe("serveDashboard", () => {
  let work: string;
  let built: FastifyInstance;
  let unbuilt: FastifyInstance;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "lilypad-dashboard-"));
    const root = join(work, "dist");
    await mkdir(join(root, "assets"), { recursive: true });
    await writeFile(join(root, "index.html"), INDEX);
    await writeFile(join(root, "assets", "index-abc123.js"), "console.log('dashboard')");
    built = await appServing(root);
    unbuilt = await appServing(join(work, "never-built"));
  });
  after(async () => {
    await built.close();
    await unbuilt.close();
    await rm(work, { recursive: true, force: true });
  });

  it("answers / and every page's URL with index.html, revalidated each time", async () => {
    for (const url of ["/", "/deals", "/deals/0xabc", "/providers", "/providers/0x1234", "/leaderboard?period=7d", "/modules"]) {
      const response = await built.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.headers["content-type"] ?? "", /text\/html/, url);
      assert.equal(response.body, INDEX, url);
      assert.equal(response.headers["cache-control"], "no-cache", url);
    }
    assert.equal(DASHBOARD_PAGES.length, 6);
  });

  it("serves hashed assets with their type, cacheable for good", async () => {
    const response = await built.inject({ url: "/assets/index-abc123.js" });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers["content-type"] ?? "", /javascript/);
    assert.match(String(response.headers["cache-control"]), /immutable/);
  });

  it("leaves the API and unknown paths to the server that registered it", async () => {
    assert.deepEqual((await built.inject({ url: "/api/v1/stats" })).json(), { ok: true });
    const unknownApi = await built.inject({ url: "/api/v1/nothing" });
    assert.equal(unknownApi.statusCode, 404);
    assert.equal(unknownApi.json().code, "NOT_FOUND");
    assert.equal((await built.inject({ url: "/assets/missing.js" })).statusCode, 404);
    assert.equal((await built.inject({ url: "/deals/0xabc/extra" })).statusCode, 404);
  });

  it("says how to build the dashboard when it was not built", async () => {
    for (const url of ["/", "/deals/0xabc", "/leaderboard"]) {
      const response = await unbuilt.inject({ url });
      assert.equal(response.statusCode, 500, url);
      assert.match(response.body, /npm run build:dashboard/);
    }
    assert.match(DASHBOARD_NOT_BUILT, /npm run build:dashboard/);
    assert.deepEqual((await unbuilt.inject({ url: "/api/v1/stats" })).json(), { ok: true });
  });

  it("finds the checkout's build under dashboard/dist", () => {
    assert.equal(dashboardDistDir(), join(import.meta.dirname, "..", "..", "dashboard", "dist") + "/");
    assert.ok(existsSync(join(dashboardDistDir(), "index.html")), "npm test builds the dashboard first (scripts/build-dashboard.ts)");
  });
});
