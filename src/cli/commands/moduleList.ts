import type { Command } from "commander";
import { lilypadPaths } from "../../core/paths.ts";
import { listModules } from "../../modules/listModules.ts";
import { readCatalog, readShippedCatalog } from "../../modules/moduleCatalog.ts";
import { readPublishedModules } from "../../modules/publishedModules.ts";
import type { CliContext } from "../context.ts";
import { localModules } from "../localModules.ts";

/** Registers `module list`: the modules this machine knows by name, and where each comes from. */
export function registerModuleList(module: Command, ctx: CliContext): Command {
  return module
    .command("list")
    .description("list the modules this machine knows: shipped with lilypad, built and published by you")
    .option("--json", "print one JSON array")
    .addHelpText(
      "after",
      `
Sources: shipped (comes with lilypad), built (your catalog, $LILYPAD_HOME/catalog.json), published (what you
published from this machine, $LILYPAD_HOME/published.json). Names approved by a network's governance live on chain
and are not listed.`,
    )
    .action(async (flags: { json?: boolean }) => {
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      const local = await localModules(ctx);
      const listed = await listModules({
        blockstore: local.blockstore,
        shipped: readShippedCatalog(),
        catalog: await readCatalog(local.catalogFile),
        published: await readPublishedModules(paths.publishedFile),
      });
      if (flags.json) {
        ctx.stdout(`${JSON.stringify(listed)}\n`);
        return;
      }
      const rows = [["MODULE", "CID", "ENGINE", "SOURCE"], ...listed.map((m) => [m.module, m.cid, m.engine ?? "?", m.chainId ? `${m.source} (chain ${m.chainId})` : m.source])];
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      ctx.stdout(rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n") + "\n");
      if (listed.some((m) => m.engine === undefined)) ctx.stderr("note: ? means the module's manifest is not in the local store ($LILYPAD_HOME/blocks)\n");
    });
}
