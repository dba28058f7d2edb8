import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { writeCatalogEntry } from "../../modules/moduleCatalog.ts";
import { packageModule } from "../../modules/packageModule.ts";
import type { CliContext } from "../context.ts";
import { localModules } from "../localModules.ts";

/** Registers `module build`: compile (AssemblyScript sources), package, and add to the user's catalog. */
export function registerModuleBuild(module: Command, ctx: CliContext): Command {
  return module
    .command("build")
    .description("compile a module folder (assembly/index.ts, if any), package it and print its CID")
    .argument("<dir>", "the module folder (manifest.json, and module.wasm or assembly/index.ts or js files)")
    .option("--json", "print one JSON object")
    .action(async (dir: string, flags: { json?: boolean }) => {
      const root = resolve(ctx.cwd, dir);
      const source = join(root, "assembly", "index.ts");
      if (existsSync(source)) {
        // Loaded only here: the compiler is large and only module authors need it.
        const { compileModule, repoRoot } = await import("../../modules/compileAssemblyScript.ts");
        ctx.stderr(`compiling ${relative(ctx.cwd, source) || source}…\n`);
        const wasm = await compileModule({ entry: relative(repoRoot, source) });
        await mkdir(join(root, "build"), { recursive: true });
        await writeFile(join(root, "build", "module.wasm"), wasm);
      }
      const local = await localModules(ctx);
      const packaged = await packageModule({ dir: root, blockstore: local.blockstore });
      const key = `${packaged.manifest.name}:${packaged.manifest.version}`;
      await writeCatalogEntry(local.catalogFile, key, packaged.cid);
      const summary = { module: key, cid: packaged.cid, moduleId: packaged.digest, artifact: packaged.manifest.artifact.cid, manifest: packaged.manifestPath };
      if (flags.json) ctx.stdout(`${JSON.stringify(summary)}\n`);
      else {
        ctx.stdout(
          `built ${key}\nmodule CID ${summary.cid}\nmodule id  ${summary.moduleId}\nartifact   ${summary.artifact}\nmanifest   ${summary.manifest}\n` +
            `run it with: lilypad module run ${key}\n`,
        );
      }
    });
}
