import type { Command } from "commander";
import { InvalidArgumentError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { startNetwork } from "../../devnet/startNetwork.ts";
import { join } from "node:path";
import type { CliContext } from "../context.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { portOf } from "../portOf.ts";
import { runUntilSignal } from "../runUntilSignal.ts";
import { registerDevnetChain } from "./devnetChain.ts";
import { DASHBOARD_PORT } from "./dashboard.ts";

interface DevnetFlags extends ConfigFlags {
  providers?: string;
  host?: string;
  port?: string;
  solverPort?: string;
  gatewayPort?: string;
  dashboardPort?: string;
  json?: boolean;
}

/** Registers `devnet` (the whole network) and `devnet chain` (the chain alone). */
export function registerDevnet(program: Command, ctx: CliContext): Command {
  const devnet = program.command("devnet").description("run a local development network (`lilypad devnet` starts all of it)");
  devnet
    // The default subcommand, so that `lilypad devnet` starts everything while `devnet chain` keeps its own flags.
    .command("start", { isDefault: true })
    .description("run a whole local network: dev chain, solver, resource providers, mediator, on-chain job relay, gateway, dashboard")
    .option("--providers <n>", "resource providers to start (1-4)", "2")
    .option("--port <port>", "chain JSON-RPC port", "8545")
    .option("--solver-port <port>", "solver HTTP/WebSocket port", "8546")
    .option("--gateway-port <port>", "HTTP gateway port", "8547")
    .option("--dashboard-port <port>", "dashboard and indexer API port", String(DASHBOARD_PORT))
    .option("--json", "print one JSON object with the network info on stdout")
    .action(async (flags: DevnetFlags, command: Command) => {
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const providers = Number(flags.providers);
      if (!Number.isInteger(providers) || providers < 1 || providers > 4) {
        throw new InvalidArgumentError({ argument: "--providers", message: "must be 1-4" });
      }
      const port = portOf("--port", flags.port);
      const solverPort = portOf("--solver-port", flags.solverPort);
      const gatewayPort = portOf("--gateway-port", flags.gatewayPort);
      const dashboardPort = portOf("--dashboard-port", flags.dashboardPort);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      await runUntilSignal(ctx, "devnet", async () => {
        const net = await startNetwork({
          home: join(paths.home, "devnet"),
          chainListen: { host: "127.0.0.1", port },
          solverPort,
          providers: Array.from({ length: providers }, () => ({})),
          networkFile: paths.devnetNetworkFile,
          relay: true,
          gateway: { port: gatewayPort },
          indexer: { port: dashboardPort },
          log: createLogger({ role: "devnet", level: config.logLevel ?? "warn" }),
          onProgress: ({ message }) => ctx.stderr(`${message}…\n`),
        });
        const info = {
          network: net.network,
          networkFile: paths.devnetNetworkFile,
          relay: true,
          gateway: { port: gatewayPort },
          providers: net.providers.map((p) => ({ address: p.address, resultsUrl: p.resultsUrl })),
          mediator: net.mediatorAddress,
          gatewayUrl: net.gatewayUrl,
          dashboardUrl: net.indexer?.url,
          // The relay has no server of its own; every other role serves /metrics at its URL above.
          relayMetricsUrl: net.relayMetricsUrl,
        };
        if (flags.json) ctx.stdout(`${JSON.stringify(info)}\n`);
        else {
          ctx.stdout(
            `chain      ${net.network.rpcUrl} (chain id ${net.network.chainId})\nsolver     ${net.network.solverUrl}\n` +
              `gateway    ${net.gatewayUrl}\ndashboard  ${net.indexer?.url}\nmarket     ${net.network.contracts.market}\nmediator   ${net.mediatorAddress}\n` +
              info.providers.map((p) => `provider   ${p.address} (results ${p.resultsUrl})\n`).join("") +
              `metrics    GET /metrics on the solver, gateway, providers and mediator; the relay's at ${net.relayMetricsUrl}\n` +
              `network    ${paths.devnetNetworkFile}\n\nTry: lilypad run cowsay:v1 -i Message=hello\n`,
          );
        }
        ctx.stderr("devnet ready; Ctrl-C stops it\n");
        return net;
      });
    });
  registerDevnetChain(devnet, ctx);
  return devnet;
}
