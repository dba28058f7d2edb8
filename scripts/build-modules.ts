// Builds the WASI command modules written in AssemblyScript (with @assemblyscript/wasi-shim):
//   modules/<name>/assembly/index.ts      -> modules/<name>/build/module.wasm
//   test/fixtures/hostile/<name>.ts       -> test/fixtures/hostile/build/<name>.wasm
// Usage: node scripts/build-modules.ts [--verify] [name ...]
//   --verify  compiles each module a second time and fails unless the bytes are identical.
//   name      builds only the modules and fixtures with these names.
// Builds are reproducible (see src/modules/compileAssemblyScript.ts).
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { compileModule, repoRoot } from "../src/modules/compileAssemblyScript.ts";

export { repoRoot };

export interface ModuleSource {
  /** Module name: modules/<name> or the hostile fixture's file name. */
  name: string;
  kind: "module" | "hostile";
  /** Entry file, relative to the repository root, with '/' separators. */
  entry: string;
  /** Output file, relative to the repository root. */
  outFile: string;
}

/** Every module and hostile fixture in the repository. */
export function listModuleSources(): ModuleSource[] {
  const sources: ModuleSource[] = [];
  const modulesDir = join(repoRoot, "modules");
  if (existsSync(modulesDir)) {
    for (const name of readdirSync(modulesDir).sort()) {
      if (!existsSync(join(modulesDir, name, "assembly", "index.ts"))) continue; // e.g. modules/shared
      sources.push({ name, kind: "module", entry: `modules/${name}/assembly/index.ts`, outFile: `modules/${name}/build/module.wasm` });
    }
  }
  const hostileDir = join(repoRoot, "test", "fixtures", "hostile");
  if (existsSync(hostileDir)) {
    for (const entry of readdirSync(hostileDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      let name: string;
      let file: string;
      if (entry.isFile() && entry.name.endsWith(".ts")) {
        name = entry.name.slice(0, -3);
        file = entry.name;
      } else if (entry.isDirectory() && entry.name !== "build" && existsSync(join(hostileDir, entry.name, "index.ts"))) {
        name = entry.name;
        file = `${entry.name}/index.ts`;
      } else continue;
      sources.push({ name, kind: "hostile", entry: `test/fixtures/hostile/${file}`, outFile: `test/fixtures/hostile/build/${name}.wasm` });
    }
  }
  return sources;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The js modules' model files come from npm packages (nothing can be downloaded at run time); the build copies
 * them into each module's models/ folder, so that they become part of its artifact and are named by its CID.
 */
export function copyModelFiles(): void {
  const copies: [string, string][] = [
    ["node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz", "modules/ocr/models/eng.traineddata.gz"],
    // .cjs: the files are CommonJS (UMD) and the artifact may be unpacked under a "type": "module" package.
    ["node_modules/nsfwjs/dist/models/mobilenet_v2/model.min.js", "modules/classify/models/mobilenet_v2/model.min.cjs"],
    ["node_modules/nsfwjs/dist/models/mobilenet_v2/group1-shard1of1.min.js", "modules/classify/models/mobilenet_v2/group1-shard1of1.min.cjs"],
  ];
  for (const [from, to] of copies) {
    mkdirSync(dirname(join(repoRoot, to)), { recursive: true });
    copyFileSync(join(repoRoot, from), join(repoRoot, to));
  }
}

async function main(argv: string[]): Promise<void> {
  copyModelFiles();
  const verify = argv.includes("--verify");
  const only = argv.filter((a) => !a.startsWith("--"));
  const sources = listModuleSources().filter((s) => only.length === 0 || only.includes(s.name));
  if (only.length > 0 && sources.length === 0) throw new Error(`no module or hostile fixture named ${only.join(", ")}`);
  const started = performance.now();
  let failed = false;
  for (const source of sources) {
    const t0 = performance.now();
    const bytes = await compileModule({ entry: source.entry });
    let note = "";
    if (verify) {
      const again = await compileModule({ entry: source.entry });
      const same = Buffer.from(bytes).equals(Buffer.from(again));
      note = same ? "  reproducible" : "  NOT REPRODUCIBLE";
      failed ||= !same;
    }
    const out = join(repoRoot, source.outFile);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    const ms = Math.round(performance.now() - t0);
    console.log(
      `${relative(repoRoot, out).padEnd(44)} ${String(bytes.length).padStart(7)} bytes  sha256 ${sha256Hex(bytes).slice(0, 16)}  ${ms} ms${note}`,
    );
  }
  console.log(`built ${sources.length} modules in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (failed) {
    console.error("some modules did not build reproducibly");
    process.exitCode = 1;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
