// Compiles src/ to the JavaScript and declarations the npm package ships (dist/), and copies the files beside the
// sources that the compiled code loads at run time. Runs before `npm pack` (prepack); the checkout itself runs the
// TypeScript sources directly.
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

const dist = join(repoRoot, "dist");
/** Files under src/ that are not TypeScript but are part of the program (child entries). */
const assets = ["sandbox/js/jsChild.mjs"];

const started = performance.now();
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", join(repoRoot, "tsconfig.build.json")], {
  cwd: repoRoot,
  stdio: "inherit",
});
for (const asset of assets) cpSync(join(repoRoot, "src", asset), join(dist, asset));
console.log(`lilypad: compiled src/ to dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
