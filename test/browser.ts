// A real browser for the dashboard's tests: Debian's Chromium (which .ci/run installs), driven by playwright-core.
// On a machine without it the browser tests are skipped with CHROMIUM_MISSING instead of failing on the setup.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { findExecutables } from "../src/modules/findExecutable.ts";

const APT = "apt-get install chromium (as .ci/run does), or set LILYPAD_CHROMIUM to a Chromium binary";

/** Chromium's binary: $LILYPAD_CHROMIUM, Debian's /usr/bin/chromium, or the first chromium on PATH. */
export const CHROMIUM_PATH: string | undefined = [
  process.env.LILYPAD_CHROMIUM,
  "/usr/bin/chromium",
  ...findExecutables("chromium", process.env.PATH),
  ...findExecutables("chromium-browser", process.env.PATH),
].find((candidate): candidate is string => !!candidate && existsSync(candidate));

/** Why the browser tests cannot run here, or undefined when they can. */
export const CHROMIUM_MISSING: string | undefined = CHROMIUM_PATH ? undefined : `no Chromium: ${APT}`;

/**
 * The flags that work on this kind of machine (docs: /work/shared/notes/toolchain.md): no sandbox (CI runs as root
 * in a container), no GPU, and nothing that reaches out to the network on its own. No --user-data-dir: playwright
 * makes its own.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Where the tests save screenshots of each page (the README names it; .gitignore keeps it out of git). */
export const SCREENSHOTS_DIR = join(import.meta.dirname, "..", "test-artifacts", "screenshots");

/** Saves the whole page as test-artifacts/screenshots/<name>.png, and returns the path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
