import type { Command } from "commander";
import { describeModuleOrigin } from "../../modules/moduleOrigin.ts";
import { loadCliConfig } from "../config.ts";
import type { CliContext } from "../context.ts";
import { resolveFolderRef } from "../folderRef.ts";
import { localModules, localResolver } from "../localModules.ts";

/** Registers `module inspect`: what a module is, what it takes, and what it may use. */
export function registerModuleInspect(module: Command, ctx: CliContext): Command {
  return module
    .command("inspect")
    .description("show a module's manifest: inputs, limits, ids")
    .argument("<module>", "NAME:VERSION, 0x<publisher>/NAME:VERSION, a module CID, or a folder")
    .option("--json", "print the manifest as JSON")
    .addHelpText("after", "\nA folder is rebuilt first when its sources changed since its last build (or it was never built).")
    .action(async (typed: string, flags: { json?: boolean }, command: Command) => {
      const local = await localModules(ctx, loadCliConfig(ctx, command.optsWithGlobals()));
      const { origin, manifest, id } = await localResolver(ctx, local, typed)(resolveFolderRef(ctx, typed));
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
