import type { Command } from "commander";
import { startDevChain } from "../../devnet/startDevChain.ts";
import type { CliContext } from "../context.ts";
import { devnetChainReport, formatDevnetChainSummary } from "./devnetChainOutput.ts";
import { resolveDevnetChainConfig, type DevnetChainConfig, type DevnetChainFlags } from "./resolveDevnetChainConfig.ts";

/** How long closing the chain may take after SIGINT/SIGTERM before the process gives up and exits 1. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Registers `devnet chain` under the `devnet` group. */
export function registerDevnetChain(devnet: Command, ctx: CliContext): Command {
  return devnet
    .command("chain")
    .description("run a local dev chain with the Lilypad contracts deployed and dev accounts funded")
    .option("--host <host>", "interface to serve JSON-RPC on (default: 127.0.0.1)")
    .option("--port <port>", "JSON-RPC port, 0 for a free one (default: 8545)")
    .option("--network-file <path>", "where to write the network file (default: $LILYPAD_HOME/networks/devnet.json)")
    .option("--json", "print one JSON object with the network info on stdout instead of the summary")
    .action(async (flags: DevnetChainFlags) => {
      const config = resolveDevnetChainConfig({ flags, env: ctx.env, homedir: ctx.homedir, cwd: ctx.cwd });
      await runDevnetChain({ config, ctx });
    });
}

export interface RunDevnetChainParameters {
  config: DevnetChainConfig;
  ctx: CliContext;
}

/**
 * Starts the dev chain, reports it, and keeps it running until SIGINT/SIGTERM, then closes it. Progress goes to
 * stderr so that stdout carries only the summary or the JSON object.
 */
export async function runDevnetChain({ config, ctx }: RunDevnetChainParameters): Promise<void> {
  // Listen for signals before starting, so that Ctrl-C during startup still shuts the chain down cleanly.
  const shutdown = ctx.waitForShutdown(() => {
    ctx.stderr("second signal: exiting without waiting for the chain to close\n");
    process.exit(1);
  });
  const dev = await startDevChain({
    listen: { host: config.host, port: config.port },
    networkFile: config.networkFile,
    onProgress: ({ message }) => ctx.stderr(`${message}…\n`),
  });
  const report = devnetChainReport({ network: dev.network, networkFile: config.networkFile });
  if (config.json) ctx.stdout(`${JSON.stringify(report)}\n`);
  else ctx.stdout(formatDevnetChainSummary(report));
  ctx.stderr(`chain ready at ${dev.network.rpcUrl}\n`);

  const signal = await shutdown;
  ctx.stderr(`${signal}: stopping chain…\n`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the chain did not close within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS);
  });
  try {
    await Promise.race([dev.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  ctx.stderr("chain stopped\n");
}
