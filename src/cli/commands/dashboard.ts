// `lilypad dashboard` (also `lilypad indexer`): the indexer role with its public API and the web dashboard. It
// needs no key: it only reads the chain (and the solver's public list of offers).
import { join } from "node:path";
import type { Command } from "commander";
import { createLogger } from "../../core/logger.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { startIndexer } from "../../indexer/startIndexer.ts";
import { createRoleMetrics } from "../../metrics/roleMetrics.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { requireNetwork } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";
import { portOf } from "../portOf.ts";
import { runUntilSignal } from "../runUntilSignal.ts";

/** The dashboard's port unless --port says otherwise (after the chain's 8545, the solver's 8546, the gateway's 8547). */
export const DASHBOARD_PORT = 8549;

interface DashboardFlags extends ConfigFlags {
  host?: string;
  port?: string;
  database?: string;
  allowPrivateAddresses?: boolean;
}

export function registerDashboard(program: Command, ctx: CliContext): void {
  program
    .command("dashboard")
    .alias("indexer")
    .description("index the network's deals from the chain and serve its dashboard and public JSON API (no key needed)")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "HTTP port", String(DASHBOARD_PORT))
    .option("--database <file>", "SQLite file of the index (default: $LILYPAD_HOME/indexer/<network>.db)")
    .option("--allow-private-addresses", "fetch result previews from loopback and private addresses off a devnet")
    .action(async (flags: DashboardFlags, command: Command) => {
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const port = portOf("--port", flags.port, DASHBOARD_PORT);
      const network = await requireNetwork(ctx, config);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      await runUntilSignal(ctx, "dashboard", async () => {
        const indexer = await startIndexer({
          network,
          databasePath: flags.database ?? join(paths.home, "indexer", `${network.name}-${network.chainId}.db`),
          blockstore: join(paths.home, "indexer", "blocks"),
          log: createLogger({ role: "indexer", level: config.logLevel }),
          host: flags.host,
          port,
          solverUrl: config.solverUrl,
          allowPrivateAddresses: flags.allowPrivateAddresses,
          metrics: createRoleMetrics({ role: "indexer", processMetrics: true }),
        });
        ctx.stdout(`dashboard  ${indexer.url}\napi        ${indexer.url}/api/v1\n`);
        ctx.stderr(`indexing ${network.name} from block ${indexer.cursor}; Ctrl-C stops it\n`);
        return indexer;
      });
    });
}
