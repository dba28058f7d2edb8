// The dashboard in a real browser (Chromium, driven by playwright-core) against a real devnet and its indexer:
// jobs appear live without a reload, an image job's PNG is drawn, a challenged deal shows its ruling, and the
// leaderboard's order and figures equal what the chain's own logs say. Each page is saved as a screenshot under
// test-artifacts/screenshots/ for a person to look at.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getAddress, parseEther, type Hex } from "viem";
import type { BrowserContext, Page } from "playwright-core";
import { DevAccountIndex, devAccount } from "../../src/chain/devAccounts.ts";
import { sendMarketTx } from "../../src/chain/market/sendMarketTx.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import { POINTS_FORMULA } from "../../src/core/points.ts";
import type { LilypadClient } from "../../src/job-creator/lilypadClient.ts";
import { CHROMIUM_MISSING, launchBrowser, saveScreenshot } from "../browser.ts";
import { chainLeaderboard } from "../helpers/chainLeaderboard.ts";
import { shippedModuleId, startTestNetwork, type TestNetwork } from "../network/helpers.ts";

const HONEST = devAccount(4).address;
const CHEAP = devAccount(5).address;
/** Posts a count 1000 instructions above the real one: a mediator re-runs the job and rules against it. */
const INFLATES = devAccount(7).address;
/** Publishes a name for cowsay's module in its own namespace (the registry's non-governance names). */
const PUBLISHER = 14;
/** How long the browser may take to show what the chain did: the indexer publishes at most once a second. */
const SHOWN_WITHIN = 20_000;

const id = (dealId: Hex) => dealId.toLowerCase();

describe("the dashboard, in a browser, on a devnet", { skip: CHROMIUM_MISSING }, () => {
  let t: TestNetwork;
  let client: LilypadClient;
  let context: BrowserContext;
  let base: string;
  let closeBrowser: () => Promise<void>;

  before(async () => {
    const modules = [shippedModuleId("cowsay:v1"), shippedModuleId("image:v1")];
    t = await startTestNetwork({
      providers: [
        { account: 4, modules },
        { account: 5, modules: [shippedModuleId("cowsay:v1")], pricing: { basePrice: parseEther("0.005") } },
        // Dear enough that its results collateral covers the mediation fee (as in test/scenarios/cheating.test.ts).
        { account: 7, modules, pricing: { basePrice: parseEther("0.3"), timeoutCollateral: parseEther("0.2") }, faults: { inflateInstructions: 1000n } },
      ],
      indexer: {},
    });
    base = t.net.indexer!.url;
    client = await t.client();
    const browser = await launchBrowser();
    closeBrowser = () => browser.close();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(SHOWN_WITHIN);
  });
  after(async () => {
    await closeBrowser?.();
    await t?.close();
  });

  /** A new tab on `path`, failing the test on any error the page throws. */
  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (error) => assert.fail(`the page threw: ${error.message}`));
    await page.goto(`${base}${path}`);
    return page;
  }

  /** Saves the page once its live indicator is connected, so every screenshot shows the feed's state alike. */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.locator("[data-testid=live-indicator][data-status=live]").waitFor();
    await saveScreenshot(page, name);
  }

  /** Marks the page, so that finding the mark later proves it was never reloaded. */
  const mark = (page: Page) => page.evaluate(() => Object.assign(window, { lilypadNoReload: true }));
  const marked = (page: Page) => page.evaluate(() => "lilypadNoReload" in window);

  it("shows jobs appearing live on the overview and the deals list, without a reload", async () => {
    const overview = await open("/");
    await overview.getByTestId("live-indicator").and(overview.locator("[data-status=live]")).waitFor();
    const deals = await open("/deals");
    await deals.getByTestId("deals-total").waitFor();
    const totalBefore = Number(await overview.getByTestId("stat-deals-total").textContent());
    await mark(overview);
    await mark(deals);

    const results = await Promise.all(["live one", "live two"].map((Message) => client.run("cowsay:v1", { Message })));
    for (const result of results) {
      assert.equal(result.outcome, Outcome.Accepted);
      await overview.locator(`[data-testid=recent-deals] [data-deal-id="${id(result.dealId)}"]`).waitFor();
      await deals.locator(`[data-deal-id="${id(result.dealId)}"] [data-testid=deal-state][data-outcome=accepted]`).waitFor();
    }
    await overview.getByTestId("stat-deals-total").filter({ hasText: String(totalBefore + 2) }).waitFor();
    assert.ok(await marked(overview), "the overview was not reloaded");
    assert.ok(await marked(deals), "the deals list was not reloaded");
    await overview.close();
    await deals.close();
  });

  it("opens an image job's deal from a search and draws its PNG", async () => {
    const result = await client.run("image:v1", { Prompt: "lilypads at dawn", Seed: 7 }, { targetProvider: HONEST });
    assert.equal(result.outcome, Outcome.Accepted);
    const page = await open("/deals");
    await page.getByTestId("deals-total").waitFor();
    await page.getByTestId("deals-search").fill("image");
    // The search goes to the URL (and to the indexer) after a pause in typing.
    await page.waitForURL(/[?&]q=image/);
    await page.getByTestId("deals-total").filter({ hasText: /^1 deal$/ }).waitFor();
    const row = page.locator(`[data-deal-id="${id(result.dealId)}"]`);
    await row.waitFor();
    assert.equal(await page.getByTestId("deal-row").count(), 1, "the search finds only the image job");
    await row.locator("a").first().click();
    await page.locator(`[data-testid=page-deal][data-deal-id="${id(result.dealId)}"]`).waitFor();
    assert.equal(new URL(page.url()).pathname, `/deals/${result.dealId}`);
    assert.equal(await page.getByTestId("deal-module").textContent(), "image:v1");

    const image = page.getByTestId("file-preview-image");
    await image.waitFor();
    await page.waitForFunction((img) => (img as HTMLImageElement).complete, await image.elementHandle());
    const size = await image.evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, height: img.naturalHeight }));
    assert.deepEqual(size, { width: 256, height: 256 }, "the module draws a 256x256 PNG, and the browser decoded it");
    // The timeline names each step's transaction.
    for (const step of ["opened", "result", "closed"]) assert.match((await page.getByTestId(`timeline-${step}`).textContent()) ?? "", /tx 0x[0-9a-f]{8}/);
    await shoot(page, "deal-image");
    await page.close();
  });

  it("shows a challenged deal's ruling: against a provider that lied, and for one that did not", async () => {
    const lied = await client.run("cowsay:v1", { Message: "count me" }, { mediationChance: 1, targetProvider: INFLATES });
    assert.equal(lied.outcome, Outcome.ProviderWrong);
    const honest = await client.run("cowsay:v1", { Message: "check me" }, { mediationChance: 1, targetProvider: HONEST });
    assert.equal(honest.outcome, Outcome.ProviderRight);

    const page = await open(`/deals/${lied.dealId}`);
    const ruling = page.locator("[data-testid=deal-ruling][data-outcome=provider_wrong]");
    await ruling.waitFor();
    assert.match((await ruling.textContent()) ?? "", /ruled against the provider/);
    assert.match((await page.getByTestId("timeline-challenged").textContent()) ?? "", /mediator 0x/);
    assert.match((await page.getByTestId("timeline-closed").textContent()) ?? "", /Provider wrong/);
    assert.equal(await page.getByTestId("deal-payment").textContent(), "0 LP", "a provider found wrong is not paid");
    // The result itself was fine (only the count was a lie): its stdout is shown.
    assert.match((await page.getByTestId("file-preview-text").textContent()) ?? "", /< count me >/);
    await shoot(page, "deal-challenged");

    await page.goto(`${base}/deals/${honest.dealId}`);
    await page.locator("[data-testid=deal-ruling][data-outcome=provider_right]").waitFor();
    assert.match((await page.getByTestId("deal-ruling").textContent()) ?? "", /upheld/);
    await page.close();
  });

  it("ranks the providers exactly as the chain's logs do, with the same figures and the formula", async () => {
    await t.net.indexer!.poll();
    const page = await open("/leaderboard");
    const table = page.getByTestId("leaderboard-table");
    await table.waitFor();
    const conn = t.net.connect(4);
    const expected = await chainLeaderboard(conn.publicClient, t.net.network.contracts.market, BigInt(t.net.network.deployBlock));
    assert.deepEqual(new Set(expected.map((r) => r.provider)), new Set([HONEST, CHEAP, INFLATES]), "three providers worked");
    assert.deepEqual(await shownRows(page), expected.map(asShown));
    assert.equal(await page.getByTestId("points-formula").textContent(), POINTS_FORMULA);

    // Every deal is minutes old: the last 24 hours rank the same.
    await page.getByTestId("period-24h").click();
    await page.locator("[data-testid=leaderboard-table][data-period='24h']").waitFor();
    assert.deepEqual(await shownRows(page), expected.map(asShown));
    await page.getByTestId("period-all").click();
    await page.locator("[data-testid=leaderboard-table][data-period=all]").waitFor();
    await shoot(page, "leaderboard");
    await page.close();
  });

  it("is served beside the indexer's own routes without taking any of them", async () => {
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /lilypad_/);
    const unknown = await fetch(`${base}/api/v1/nothing`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, "NOT_FOUND");
    const page = await fetch(`${base}/deals/0x${"ab".repeat(32)}`);
    assert.equal(page.status, 200, "a deal's URL loads the dashboard, which then says the deal is unknown");
    assert.match(await page.text(), /<div id="app">/);
  });

  it("shows every page with what happened, and saves a screenshot of each", async () => {
    // The registry's side of the modules page: a name a publisher bound, and a module governance blocked.
    await sendMarketTx(t.net.connect(PUBLISHER), { functionName: "publishModule", args: ["moo", "v2", shippedModuleId("cowsay:v1")] });
    await sendMarketTx(t.net.connect(DevAccountIndex.deployer), { functionName: "setModuleBlocked", args: [shippedModuleId("etl:v1"), true, "test: blocked by governance"] });
    await t.net.indexer!.poll();
    const overview = await open("/");
    await overview.locator("[data-testid=live-indicator][data-status=live]").waitFor();
    await overview.locator("[data-testid=recent-deals] [data-testid=deal-row]").first().waitFor();
    assert.equal(await overview.getByTestId("stat-deals-total").textContent(), "5");
    assert.match((await overview.getByTestId("stat-providers").textContent()) ?? "", /3 \/ 3/);
    assert.match((await overview.getByTestId("outcome-provider_wrong").textContent()) ?? "", /Provider wrong\s*1$/);
    // A few live samples, so the live charts have a line to draw.
    await overview.waitForTimeout(3000);
    await shoot(overview, "overview");
    await overview.close();

    const deals = await open("/deals");
    await deals.getByTestId("deals-total").filter({ hasText: /^5 deals$/ }).waitFor();
    await shoot(deals, "deals");
    await deals.selectOption("[data-testid=filter-outcome]", "provider_wrong");
    await deals.getByTestId("deals-total").filter({ hasText: /^1 deal$/ }).waitFor();
    await deals.close();

    const providers = await open("/providers");
    await providers.getByTestId("providers-table").waitFor();
    assert.equal(await providers.getByTestId("provider-row").count(), 3);
    await shoot(providers, "providers");
    await providers.locator(`[data-provider="${INFLATES}"] a`).first().click();
    await providers.getByTestId("page-provider").waitFor();
    assert.match((await providers.getByTestId("rel-challenged").textContent()) ?? "", /1 lost to a mediator/);
    await shoot(providers, "provider");
    await providers.close();

    const modules = await open("/modules");
    const row = (name: string) => modules.locator(`[data-testid=module-row][data-module-id="${shippedModuleId(name)}"]`);
    await row("image:v1").waitFor();
    assert.match((await row("image:v1").textContent()) ?? "", /image:v1\s*catalog.*1\s*\d+ s ago$/);
    const cowsay = (await row("cowsay:v1").textContent()) ?? "";
    assert.match(cowsay, /cowsay:v1\s*catalog/);
    assert.match(cowsay, new RegExp(`moo:v2\\s*registry\\s*by ${devAccount(PUBLISHER).address.slice(0, 6)}`));
    assert.match(cowsay, /Allowed\s*4/, "cowsay ran four times");
    assert.match((await row("etl:v1").textContent()) ?? "", /Blocked\s*test: blocked by governance\s*0\s*never/);
    await shoot(modules, "modules");
    await modules.close();
  });
});

interface ShownRow {
  provider: string;
  points: number;
  verifiedInstructions: string;
  jobsCompleted: number;
  activeHours: number;
  earned: string;
  lost: number;
  timedOut: number;
  challenged: number;
}

/** The leaderboard's rows as the page shows them (exact amounts from each cell's data-value). */
async function shownRows(page: Page): Promise<ShownRow[]> {
  const rows = await page.getByTestId("leaderboard-row").evaluateAll((rows) =>
    rows.map((row) => {
      const cell = (name: string) => row.querySelector(`[data-testid=${name}]`) as HTMLElement;
      const count = (name: string) => Number(cell(name).textContent!.replace(/,/g, ""));
      return {
        provider: row.getAttribute("data-provider")!,
        points: count("lb-points"),
        verifiedInstructions: cell("lb-instructions").dataset.value!,
        jobsCompleted: count("lb-jobs"),
        activeHours: count("lb-hours"),
        earned: cell("lb-earned").dataset.value!,
        lost: count("lb-lost"),
        timedOut: count("lb-timed-out"),
        challenged: count("lb-challenged"),
      };
    }),
  );
  return rows.map((row) => ({ ...row, provider: getAddress(row.provider) }));
}

function asShown(row: Awaited<ReturnType<typeof chainLeaderboard>>[number]): ShownRow {
  return {
    provider: getAddress(row.provider),
    points: row.points,
    verifiedInstructions: String(row.verifiedInstructions),
    jobsCompleted: row.jobsCompleted,
    activeHours: row.activeHours,
    earned: String(row.earned),
    lost: row.lost,
    timedOut: row.timedOut,
    challenged: row.challenged,
  };
}
