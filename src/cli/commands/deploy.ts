// `lilypad deploy`: deploys the contracts to an existing chain and writes the network file every role reads
// (`--network NAME` then finds it). Progress on stderr; the summary (or --json) on stdout.
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { createWalletClient, defineChain, formatGwei, parseEther, type Address, type Hex } from "viem";
import { z } from "zod";
import { ChainIdMismatchError, InsufficientGasError } from "../../chain/chainErrors.ts";
import { CONTRACT_NAMES, deployNetwork, estimateDeployCost, type ContractName } from "../../chain/deployNetwork.ts";
import { jsonRpcHttpTransport } from "../../chain/jsonRpcHttpTransport.ts";
import { localAccount } from "../../chain/localAccount.ts";
import { LilypadError, InvalidArgumentError } from "../../core/errors.ts";
import { DEV_CHAIN_ID, MAX_CONFIRMATIONS, networkSchema, type NetworkFile, type NetworkInfo } from "../../core/network.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { probeChain, signingKeyOf } from "../chainAccess.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import type { CliContext } from "../context.ts";
import { isNetworkName, readNetworkFile, resolveNetworkFile } from "../networkFiles.ts";

/** The token supply a deployment mints to its deployer (the network's faucet), as on the devnet. */
export const DEPLOY_TOKEN_SUPPLY = parseEther("1000000000");
/** Confirmations a deployment waits for, and writes into the file, off the devnet when nothing else says. */
export const DEFAULT_CONFIRMATIONS = 1;

interface DeployFlags extends ConfigFlags {
  name?: string;
  networkFile?: string;
  confirmations?: string;
  force?: boolean;
  json?: boolean;
}

const confirmationsSchema = z.coerce.number().int().min(0).max(MAX_CONFIRMATIONS);

export interface DeployReport {
  name: string;
  chainId: number;
  rpcUrl: string;
  networkFile: string;
  /** What to pass as --network to use it: the name when the file is where names are looked up, else the file. */
  networkOption: string;
  deployer: Address;
  deployBlock: number;
  confirmations: number;
  contracts: Record<ContractName, { address: Address; transaction: Hex }>;
}

export function registerDeploy(program: Command, ctx: CliContext): Command {
  return program
    .command("deploy")
    .description("deploy the Lilypad contracts to an existing chain and write its network file")
    .option("--name <name>", "the network's name (default: the --network file's, else chain-<id>)")
    .option("--network-file <path>", "where to write the network file (default: $LILYPAD_HOME/networks/<name>.json)")
    .option("--confirmations <n>", `blocks to wait for on top of each deployment, and written into the file (default: the --network file's, else 0 on a dev chain and ${DEFAULT_CONFIRMATIONS} elsewhere)`)
    .option("--force", "deploy again although the network file already has contracts")
    .option("--json", "print one JSON object instead of the summary")
    .addHelpText(
      "after",
      "\nThe chain is --rpc-url (or the --network file's rpcUrl, e.g. --network arbitrum-sepolia); the key is --private-key,\nLILYPAD_PRIVATE_KEY or WEB3_PRIVATE_KEY. The deployer receives the token supply and governs the market.",
    )
    .action(async (flags: DeployFlags, command: Command) => {
      const report = await runDeploy(ctx, command.optsWithGlobals<DeployFlags>());
      ctx.stdout(flags.json ? `${JSON.stringify(report)}\n` : formatDeployReport(report));
    });
}

export async function runDeploy(ctx: CliContext, flags: DeployFlags): Promise<DeployReport> {
  const config = loadCliConfig(ctx, flags);
  const templateFile = config.network ? resolveNetworkFile(ctx, config.network) : undefined;
  const template: NetworkFile | undefined = templateFile ? readNetworkFile(templateFile) : undefined;
  const rpcUrl = config.rpcUrl ?? template?.rpcUrl;
  if (!rpcUrl) throw new InvalidArgumentError({ argument: "--rpc-url", message: "deploy needs the chain's JSON-RPC URL", hint: "pass --rpc-url URL, or --network NAME|FILE naming a file with an rpcUrl" });
  const key = signingKeyOf(config);
  if (!key) throw new InvalidArgumentError({ argument: "--private-key", message: "deploy needs the deployer's key", hint: "pass --private-key, or set LILYPAD_PRIVATE_KEY or WEB3_PRIVATE_KEY" });
  let confirmationsFlag: number | undefined;
  if (flags.confirmations !== undefined) {
    const parsed = confirmationsSchema.safeParse(flags.confirmations);
    if (!parsed.success) throw new InvalidArgumentError({ argument: "--confirmations", message: `--confirmations must be a whole number from 0 to ${MAX_CONFIRMATIONS}, got "${flags.confirmations}"` });
    confirmationsFlag = parsed.data;
  }
  if (flags.name !== undefined && !isNetworkName(flags.name)) {
    throw new InvalidArgumentError({ argument: "--name", message: `"${flags.name}" is not a network name: letters, digits, '.', '_' and '-', starting with a letter or digit` });
  }

  ctx.stderr(`connecting to ${rpcUrl}…\n`);
  const { publicClient, chainId } = await probeChain(rpcUrl);
  if (template && templateFile && template.chainId !== chainId) throw new ChainIdMismatchError({ file: templateFile, fileChainId: template.chainId, url: rpcUrl, rpcChainId: chainId });
  const name = flags.name ?? template?.name ?? `chain-${chainId}`;
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const networkFile = flags.networkFile ? resolve(ctx.cwd, flags.networkFile) : join(paths.networksDir, `${name}.json`);
  if (existsSync(networkFile)) {
    const existing = readNetworkFile(networkFile);
    if (existing.chainId !== chainId) throw new ChainIdMismatchError({ file: networkFile, fileChainId: existing.chainId, url: rpcUrl, rpcChainId: chainId });
    if (existing.contracts && !flags.force) {
      throw new LilypadError({
        code: "ALREADY_DEPLOYED",
        message: `network file ${networkFile} already has contracts (market ${existing.contracts.market})`,
        hint: "use that network with --network, pass --force to deploy anew and overwrite it, or write elsewhere with --network-file",
      });
    }
  }
  const confirmations = confirmationsFlag ?? template?.confirmations ?? (chainId === DEV_CHAIN_ID ? 0 : DEFAULT_CONFIRMATIONS);

  const account = localAccount(key);
  const cost = await estimateDeployCost({ publicClient, deployer: account.address, governance: account.address, supply: DEPLOY_TOKEN_SUPPLY });
  const balance = await publicClient.getBalance({ address: account.address });
  if (balance < cost.wei) throw new InsufficientGasError({ address: account.address, balance, needed: cost.wei, chainId, what: `deploying the contracts (${cost.gas.toLocaleString("en-US")} gas at up to ${formatGwei(cost.maxFeePerGas)} gwei)` });

  const chain = defineChain({ id: chainId, name, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  // No retries for sends: a retried send could be sent twice.
  const walletClient = createWalletClient({ chain, transport: jsonRpcHttpTransport(rpcUrl, { retryCount: 0 }), account });
  ctx.stderr(`deploying to chain ${chainId} as ${account.address}${confirmations > 0 ? `, waiting for ${confirmations} confirmation${confirmations === 1 ? "" : "s"} each` : ""}…\n`);
  const deployed = await deployNetwork({
    publicClient,
    walletClient,
    faucet: account.address,
    governance: account.address,
    supply: DEPLOY_TOKEN_SUPPLY,
    confirmations,
    onProgress: (p) => {
      if (p.phase === "sent") ctx.stderr(`  ${p.contract}: sent ${p.hash}\n`);
      else ctx.stderr(`  ${p.contract}: deployed at ${p.address} in block ${p.blockNumber}\n`);
    },
  });

  const network: NetworkInfo = networkSchema.parse({
    name,
    chainId,
    rpcUrl,
    ...(template?.solverUrl ? { solverUrl: template.solverUrl } : {}),
    ...(template?.mediators ? { mediators: template.mediators } : {}),
    confirmations,
    deployBlock: deployed.deployBlock,
    contracts: deployed.contracts,
  });
  ctx.stderr(`writing network file ${networkFile}\n`);
  mkdirSync(dirname(networkFile), { recursive: true });
  const temporary = `${networkFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(network, null, 2)}\n`);
  renameSync(temporary, networkFile);

  const contracts = Object.fromEntries(CONTRACT_NAMES.map((c) => [c, { address: deployed.contracts[c], transaction: deployed.transactions[c] }])) as DeployReport["contracts"];
  const networkOption = networkFile === join(paths.networksDir, `${name}.json`) ? name : networkFile;
  return { name, chainId, rpcUrl, networkFile, networkOption, deployer: account.address, deployBlock: deployed.deployBlock, confirmations, contracts };
}

export function formatDeployReport(report: DeployReport): string {
  const lines = [
    `deployed network ${report.name} on chain ${report.chainId} (block ${report.deployBlock}, ${report.confirmations} confirmation${report.confirmations === 1 ? "" : "s"})`,
    ...CONTRACT_NAMES.map((c) => `  ${c.padEnd(16)} ${report.contracts[c].address}  tx ${report.contracts[c].transaction}`),
    `deployer (governance, holds the token supply): ${report.deployer}`,
    `network file: ${report.networkFile}`,
    `use it with: --network ${report.networkOption}`,
  ];
  return `${lines.join("\n")}\n`;
}
