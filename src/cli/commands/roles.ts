// The long-running roles, one command each: `lilypad solver`, `lilypad resource-provider`, `lilypad mediator`.
// Each reads the network and its key from the configuration (flags, environment, config file) and logs JSON lines.
// Each serves Prometheus metrics at /metrics on its HTTP server (the relay, which has none, on --metrics-port), with
// the process's own metrics too: here a role has its process to itself (docs/operators.md).
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { parseEther, type Address } from "viem";
import { DevAccountIndex } from "../../chain/devAccounts.ts";
import { withTransactionObserver } from "../../chain/observeTransactions.ts";
import { moduleRegistryOf } from "../../chain/moduleRegistry.ts";
import { registerService, ServiceRole } from "../../chain/serviceRegistry.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { addressSchema } from "../../core/primitives.ts";
import { DEFAULT_PROVIDER_PRICING } from "../../devnet/startNetwork.ts";
import { startGateway } from "../../job-creator/gateway.ts";
import { LilypadClient } from "../../job-creator/lilypadClient.ts";
import { OnChainJobRelay } from "../../job-creator/onChainRelay.ts";
import { Mediator } from "../../mediator/mediator.ts";
import { createRoleMetrics } from "../../metrics/roleMetrics.ts";
import { startMetricsServer } from "../../metrics/startMetricsServer.ts";
import { resolveAllowedModules } from "../../modules/allowedModules.ts";
import { readCatalog } from "../../modules/moduleCatalog.ts";
import { createModuleResolver } from "../../modules/moduleResolver.ts";
import { detectResources } from "../../resource-provider/detectResources.ts";
import { ResourceProvider } from "../../resource-provider/resourceProvider.ts";
import { SandboxPool } from "../../sandbox/sandboxPool.ts";
import { startSolver } from "../../solver/solverServer.ts";
import { createBlockstore } from "../../storage/createBlockstore.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { addResourceFlags, describeOffer, offeredResources, parseResourceFlags, type ResourceFlags } from "../resourceFlags.ts";
import { connectAs, requireNetwork, solverUrlOf } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";
import { portOf } from "../portOf.ts";
import { runUntilSignal } from "../runUntilSignal.ts";

interface ListenFlags extends ConfigFlags {
  host?: string;
  port?: string;
  publicUrl?: string;
}

/**
 * Where `lilypad jobcreator` serves its metrics by default: next to the devnet's chain (8545), solver (8546) and
 * gateway (8547), on loopback.
 */
export const RELAY_METRICS_PORT = 8548;

function etherOf(argument: string, value: string | undefined, fallback: bigint): bigint {
  if (value === undefined) return fallback;
  try {
    return parseEther(value);
  } catch {
    throw new InvalidArgumentError({ argument, message: `"${value}" is not an amount of tokens (e.g. 0.01)` });
  }
}

export function registerRoles(program: Command, ctx: CliContext): void {
  program
    .command("solver")
    .description("run a solver: matches job offers with resource offers and opens the deals on chain")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "HTTP and WebSocket port", "8546")
    .option("--database <file>", "SQLite file (default: $LILYPAD_HOME/solver/solver.db)")
    .option("--public-url <url>", "the URL parties reach this solver at, registered on chain (default: the one it listens on)")
    .action(async (flags: ListenFlags & { database?: string }, command: Command) => {
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const network = await requireNetwork(ctx, config);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      await runUntilSignal(ctx, "solver", async () => {
        const conn = connectAs(network, config, DevAccountIndex.solver);
        const solver = await startSolver({
          conn,
          databasePath: flags.database ?? join(paths.home, "solver", "solver.db"),
          log: createLogger({ role: "solver", level: config.logLevel }),
          host: flags.host,
          port: portOf("--port", flags.port, 8546),
          publicUrl: flags.publicUrl,
          metrics: createRoleMetrics({ role: "solver", processMetrics: true }),
        });
        // Mediators find the solver of a deal they did not see matched (the sender of its opening transaction) here.
        await registerService(withTransactionObserver(conn, solver.metrics.transaction), { role: ServiceRole.Solver, url: solver.url });
        ctx.stderr(`solver listening on ${solver.url}\n`);
        return solver;
      });
    });

  addResourceFlags(program.command("resource-provider"))
    .description("run a resource provider: offers this machine's capacity, runs jobs, posts results, gets paid")
    .option("--host <host>", "interface to serve results on", "127.0.0.1")
    .option("--port <port>", "results port (0: a free one)", "0")
    .option("--public-url <url>", "the URL others reach its results at, registered on chain and sent in offers (needed with --host 0.0.0.0)")
    .option("--slots <n>", "jobs run at once", String(Math.max(1, availableParallelism() - 1)))
    .option("--base-price <tokens>", "asked per job", "0.01")
    .option("--price-per-minstr <tokens>", "asked per million instructions", "0.001")
    .option("--timeout-collateral <tokens>", "staked per job against not answering", "1")
    .option("--collateral-multiple <n>", "results collateral as a multiple of the job's cost", "2")
    .option("--modules <modules>", "comma-separated modules to run, by NAME:VERSION, 0x<publisher>/NAME:VERSION, CID or id; or 'any'", "any")
    .option("--mediators <addresses>", "comma-separated mediators trusted (default: the network's)")
    .action(async (flags: ListenFlags & ResourceFlags & Record<string, string>, command: Command) => {
      const overrides = parseResourceFlags(flags);
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const network = await requireNetwork(ctx, config);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      const slots = Number(flags.slots);
      if (!Number.isInteger(slots) || slots < 1) throw new InvalidArgumentError({ argument: "--slots", message: "must be a whole number >= 1" });
      const multiple = Number(flags.collateralMultiple);
      if (!Number.isInteger(multiple) || multiple < 1) throw new InvalidArgumentError({ argument: "--collateral-multiple", message: "must be a whole number >= 1" });
      const conn = connectAs(network, config, DevAccountIndex.firstResourceProvider);
      const blockstore = await createBlockstore({ path: paths.blocksDir });
      const modules =
        flags.modules === "any"
          ? "any"
          : await resolveAllowedModules({
              entries: parseList("--modules", flags.modules ?? "", (s) => s),
              blockstore,
              catalogs: [await readCatalog(paths.catalogFile)],
              registry: moduleRegistryOf(conn),
            });
      const mediators = flags.mediators ? parseList("--mediators", flags.mediators, (s) => addressSchema.parse(s) as Address) : (network.mediators ?? []);
      if (mediators.length === 0) throw new InvalidArgumentError({ argument: "--mediators", message: "no mediators: the network names none" });
      const detected = await detectResources({ workDir: paths.workDir, env: ctx.env });
      const resources = offeredResources(detected, overrides);
      ctx.stderr(describeOffer(resources, detected));
      await runUntilSignal(ctx, "resource provider", async () => {
        const pool = new SandboxPool({ workRoot: paths.workDir, size: slots });
        const rp = new ResourceProvider({
          conn,
          solverUrl: solverUrlOf(network),
          log: createLogger({ role: "resource-provider", level: config.logLevel }),
          blockstore,
          pool,
          workRoot: paths.workDir,
          pricing: {
            basePrice: etherOf("--base-price", flags.basePrice, DEFAULT_PROVIDER_PRICING.basePrice),
            pricePerMInstr: etherOf("--price-per-minstr", flags.pricePerMinstr, DEFAULT_PROVIDER_PRICING.pricePerMInstr),
            timeoutCollateral: etherOf("--timeout-collateral", flags.timeoutCollateral, DEFAULT_PROVIDER_PRICING.timeoutCollateral),
            collateralMultiple: multiple,
          },
          mediators,
          slots,
          resources,
          modules,
          host: flags.host,
          port: portOf("--port", flags.port, 0),
          publicUrl: flags.publicUrl,
          metrics: createRoleMetrics({ role: "resource-provider", processMetrics: true }),
        });
        await rp.start();
        ctx.stderr(`resource provider ${rp.address} serving results on ${rp.resultsUrl}\n`);
        return {
          close: async () => {
            await rp.stop();
            await pool.close();
          },
        };
      });
    });

  program
    .command("mediator")
    .description("run a mediator: re-runs challenged jobs and rules on chain")
    .option("--host <host>", "interface to serve the results it re-ran on", "127.0.0.1")
    .option("--port <port>", "results port (0: a free one)", "0")
    .option("--public-url <url>", "the URL others reach its results at, registered on chain (needed with --host 0.0.0.0)")
    .action(async (flags: ListenFlags, command: Command) => {
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const network = await requireNetwork(ctx, config);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      await runUntilSignal(ctx, "mediator", async () => {
        const pool = new SandboxPool({ workRoot: paths.workDir, size: 1 });
        const mediator = new Mediator({
          conn: connectAs(network, config, DevAccountIndex.mediator),
          solverUrl: solverUrlOf(network),
          log: createLogger({ role: "mediator", level: config.logLevel }),
          blockstore: await createBlockstore({ path: paths.blocksDir }),
          pool,
          workRoot: paths.workDir,
          host: flags.host,
          port: portOf("--port", flags.port, 0),
          publicUrl: flags.publicUrl,
          metrics: createRoleMetrics({ role: "mediator", processMetrics: true }),
        });
        await mediator.start();
        ctx.stderr(`mediator ${mediator.address} watching for challenges, serving results on ${mediator.url}\n`);
        return {
          close: async () => {
            await mediator.stop();
            await pool.close();
          },
        };
      });
    });
}

export function registerServices(program: Command, ctx: CliContext): void {
  program
    .command("jobcreator")
    .description("run the on-chain job relay: forwards jobs that contracts request on chain to the solver, and judges the results of those that name it")
    .option("--mediation-chance <p>", "for requests naming this relay as judge: probability 0-1 of sending a result that passes the checks to the mediator as a spot check", "0")
    .option("--metrics-host <host>", "interface to serve Prometheus metrics on (GET /metrics)", "127.0.0.1")
    .option("--metrics-port <port>", "port to serve Prometheus metrics on (0: a free one)", String(RELAY_METRICS_PORT))
    .option("--no-metrics", "serve no metrics")
    .action(async (flags: ConfigFlags & { mediationChance?: string; metrics: boolean; metricsHost: string; metricsPort?: string }, command: Command) => {
      const mediationChance = Number(flags.mediationChance ?? "0");
      if (!Number.isFinite(mediationChance) || mediationChance < 0 || mediationChance > 1) {
        throw new InvalidArgumentError({ argument: "--mediation-chance", message: "must be a number from 0 to 1" });
      }
      const metricsPort = portOf("--metrics-port", flags.metricsPort, RELAY_METRICS_PORT);
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const network = await requireNetwork(ctx, config);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      await runUntilSignal(ctx, "job relay", async () => {
        const relay = new OnChainJobRelay({
          conn: connectAs(network, config, DevAccountIndex.jobRelay),
          solverUrl: solverUrlOf(network),
          log: createLogger({ role: "jobcreator", level: config.logLevel }),
          blockstore: await createBlockstore({ path: paths.blocksDir }),
          workDir: paths.workDir,
          mediationChance,
          metrics: createRoleMetrics({ role: "jobcreator", processMetrics: true }),
        });
        // Before the relay starts: a port already taken stops the command at once, with nothing to undo.
        const metricsServer = flags.metrics ? await startMetricsServer({ metrics: relay.metrics, host: flags.metricsHost, port: metricsPort }) : undefined;
        try {
          await relay.start();
        } catch (error) {
          await metricsServer?.close();
          throw error;
        }
        ctx.stderr(`relaying jobs requested from ${network.contracts.jobCreator}; judging those that name ${relay.address}\n`);
        if (metricsServer) ctx.stderr(`metrics on ${metricsServer.url}\n`);
        return {
          close: async () => {
            await relay.stop();
            await metricsServer?.close();
          },
        };
      });
    });

  program
    .command("gateway")
    .description("run the HTTP gateway: POST /api/v1/jobs for apps that hold no keys, paid from this account")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "HTTP port", "8547")
    .option("--api-key <key>", "require 'authorization: Bearer <key>' (env LILYPAD_GATEWAY_API_KEY)")
    .action(async (flags: ListenFlags & { apiKey?: string }, command: Command) => {
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const network = await requireNetwork(ctx, config);
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      const apiKey = flags.apiKey ?? ctx.env.LILYPAD_GATEWAY_API_KEY;
      await runUntilSignal(ctx, "gateway", async () => {
        const blockstore = await createBlockstore({ path: paths.blocksDir });
        // The gateway's transactions are its client's, sent through this connection.
        const metrics = createRoleMetrics({ role: "gateway", processMetrics: true });
        const conn = withTransactionObserver(connectAs(network, config, DevAccountIndex.gateway), metrics.transaction);
        if (!network.mediators?.length) throw new InvalidArgumentError({ argument: "--network", message: `network ${network.name} names no mediators` });
        const client = new LilypadClient({
          conn,
          solverUrl: solverUrlOf(network),
          blockstore,
          resolveModule: createModuleResolver({ blockstore, workDir: paths.workDir, registry: moduleRegistryOf(conn) }),
          mediators: network.mediators,
        });
        const gateway = await startGateway({ client, blockstore, log: createLogger({ role: "gateway", level: config.logLevel }), host: flags.host, port: portOf("--port", flags.port, 8547), apiKey, metrics });
        ctx.stderr(`gateway listening on ${gateway.url}, paying from ${conn.address}\n`);
        return {
          close: async () => {
            await gateway.close();
            await client.close();
          },
        };
      });
    });
}

function parseList<T>(argument: string, value: string, parse: (item: string) => T): T[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      try {
        return parse(item);
      } catch {
        throw new InvalidArgumentError({ argument, message: `"${item}" is not valid` });
      }
    });
}
