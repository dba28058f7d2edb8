import type { Command } from "commander";
import { moduleIdOf } from "../../core/moduleId.ts";
import { loadModule } from "../../modules/loadModule.ts";
import { checkModuleName, describeModuleOrigin } from "../../modules/moduleOrigin.ts";
import { resolveModuleRef } from "../../modules/resolveModuleRef.ts";
import type { CliContext } from "../context.ts";
import { resolveFolderRef } from "../folderRef.ts";
import { localModules } from "../localModules.ts";
import { join } from "node:path";

/** Registers `module inspect`: what a module is, what it takes, and what it may use. */
export function registerModuleInspect(module: Command, ctx: CliContext): Command {
  return module
    .command("inspect")
    .description("show a module's manifest: inputs, limits, ids")
    .argument("<module>", "NAME:VERSION, 0x<publisher>/NAME:VERSION, a module CID, or a folder")
    .option("--json", "print the manifest as JSON")
    .addHelpText("after", "\nA folder is rebuilt first when its sources changed since its last build (or it was never built).")
    .action(async (typed: string, flags: { json?: boolean }) => {
      const local = await localModules(ctx);
      const origin = await resolveModuleRef({
        ref: resolveFolderRef(ctx, typed),
        blockstore: local.blockstore,
        catalogs: local.catalogs,
        registry: local.registry,
        env: ctx.env,
        onRebuild: (reason) => ctx.stderr(`rebuilding ${typed} (${reason})…\n`),
      });
      const { manifest } = await loadModule({ cid: origin.cid, blockstore: local.blockstore, artifactsDir: join(local.workDir, "artifacts") });
      checkModuleName(origin, manifest);
      const id = await moduleIdOf(manifest);
      if (flags.json) {
        const publisher = origin.name?.publisher;
        ctx.stdout(`${JSON.stringify({ cid: id.cid, moduleId: id.digest, source: origin.source, ...(publisher ? { publisher } : {}), manifest })}\n`);
        return;
      }
      const lines = [
        `${manifest.name}:${manifest.version}  ${manifest.description}`,
        `from         ${describeModuleOrigin(origin, manifest)}`,
        `module CID   ${id.cid}`,
        `module id    ${id.digest}  (on chain)`,
        `engine       ${manifest.engine}, priced ${manifest.pricing}, ${manifest.deterministic ? "deterministic" : "not deterministic"}`,
        `artifact     ${manifest.artifact.cid}${manifest.artifact.entry ? ` (entry ${manifest.artifact.entry})` : ""}`,
        `author       ${manifest.author}`,
        `limits       ${manifest.limits.memoryMiB} MiB memory, ${BigInt(manifest.limits.instructions).toLocaleString("en-US")} instructions, ${manifest.limits.timeoutMs} ms, ${manifest.limits.outputBytes} bytes of output`,
        `resources    ${manifest.resources.cpu} CPU, ${manifest.resources.ramMiB} MiB RAM, ${manifest.resources.gpu} GPU, ${manifest.resources.diskMiB} MiB disk`,
        "inputs",
        ...manifest.inputs.map((i) => {
          const limits =
            i.type === "string" ? `max ${i.maxLength} chars` : i.type === "file" ? `max ${i.maxBytes} bytes, at /inputs/${i.fileName ?? i.name}` : i.type === "boolean" ? "" : `${i.min}..${i.max}`;
          const fallback = "default" in i && i.default !== undefined ? ` default ${JSON.stringify(i.default)}` : "";
          return `  ${i.name.padEnd(12)} ${i.type}${i.required ? " (required)" : ""}${fallback} ${limits}  ${i.description}`.trimEnd();
        }),
      ];
      ctx.stdout(`${lines.join("\n")}\n`);
    });
}
