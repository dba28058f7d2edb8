import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { readShippedCatalog, writeCatalogEntry } from "../../modules/moduleCatalog.ts";
import type { CliContext } from "../context.ts";
import { buildModuleFolder } from "../buildModuleFolder.ts";
import { localModules } from "../localModules.ts";
import { collectInput, parseInputFlags } from "../parseInputFlags.ts";

/** Registers `module build`: compile (AssemblyScript sources), package, and add to the user's catalog. */
export function registerModuleBuild(module: Command, ctx: CliContext): Command {
  return module
    .command("build")
    .description("compile a module folder's sources (AssemblyScript, C or Rust), package it and print its CID")
    .argument("<dir>", "the module folder: manifest.json, and assembly/index.ts, src/main.c, src/main.rs, module.wasm or js files")
    .option("-i, --input <Key=Value>", "an input for the two check runs of a container module (repeatable; defaults fill the rest)", collectInput)
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Sources: assembly/index.ts (AssemblyScript), src/main.c (C: clang + wasi-libc), src/main.rs (Rust: rustc with the
wasm32-wasip1 or wasm32-wasi target). The build writes build/module.wasm and build/manifest.json (with
artifact.cid filled in), and adds NAME:VERSION to your catalog. A container module (image.json or image.oci.tar) is
run twice with the same inputs, and refused when the results differ, unless its manifest says "deterministic":
false (then it runs only locally): docs/containers.md.`,
    )
    .action(async (dir: string, flags: { json?: boolean; input?: string[] }) => {
      const local = await localModules(ctx);
      const packaged = await buildModuleFolder(ctx, local, resolve(ctx.cwd, dir), parseInputFlags(flags.input ?? []));
      const key = `${packaged.manifest.name}:${packaged.manifest.version}`;
      const catalogued = (await writeCatalogEntry(local.catalogFile, key, packaged.cid)) === "added";
      const shadowing = !catalogued && readShippedCatalog()[key] !== packaged.cid;
      if (shadowing) {
        ctx.stderr(`note: ${key} is the name of a module shipped with lilypad, and keeps meaning that one: run this build by its folder or its CID\n`);
      }
      const runAs = shadowing ? `./${relative(ctx.cwd, resolve(ctx.cwd, dir)) || "."}` : key;
      const summary = { module: key, cid: packaged.cid, moduleId: packaged.digest, artifact: packaged.manifest.artifact.cid, manifest: packaged.manifestPath, runAs };
      if (flags.json) ctx.stdout(`${JSON.stringify(summary)}\n`);
      else {
        ctx.stdout(
          `built ${key}\nmodule CID ${summary.cid}\nmodule id  ${summary.moduleId}\nartifact   ${summary.artifact}\nmanifest   ${summary.manifest}\n` +
            `run it with: lilypad module run ${runAs}\n`,
        );
      }
    });
}
