// Builds the web dashboard (dashboard/, Vite + Preact) into dashboard/dist/, which `lilypad dashboard` and the
// devnet's indexer serve. Runs on `npm ci` (prepare) and before `npm pack` (prepack); the output is not committed.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "vite";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const dashboard = join(repoRoot, "dashboard");
const outDir = join(dashboard, "dist");

const started = performance.now();
await build({ configFile: join(dashboard, "vite.config.ts"), logLevel: "warn" });
const seconds = (performance.now() - started) / 1000;

// What a browser downloads on a first visit, raw and gzipped: the figure to keep small.
let raw = 0;
let gzipped = 0;
const lines: string[] = [];
for (const file of walk(outDir)) {
  const bytes = readFileSync(file);
  const gz = gzipSync(bytes).length;
  raw += bytes.length;
  gzipped += gz;
  lines.push(`  ${relative(repoRoot, file).padEnd(44)} ${kib(bytes.length).padStart(9)}  ${kib(gz).padStart(9)} gzipped`);
}
console.log(lines.join("\n"));
console.log(`lilypad: built the dashboard into ${relative(repoRoot, outDir)}/ (${kib(raw)}, ${kib(gzipped)} gzipped) in ${seconds.toFixed(1)} s`);

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
