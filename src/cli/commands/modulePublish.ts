import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { CID } from "multiformats/cid";
import { createPublicClient, createWalletClient, defineChain, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { devAccount } from "../../chain/devAccounts.ts";
import { publishModuleOnChain } from "../../chain/moduleRegistry.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { moduleIdOf } from "../../core/moduleId.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { loadModule } from "../../modules/loadModule.ts";
import { readShippedCatalog, writeCatalogEntry } from "../../modules/moduleCatalog.ts";
import { recordPublishedModule } from "../../modules/publishedModules.ts";
import { checkModuleName } from "../../modules/moduleOrigin.ts";
import { isFolderRef, resolveModuleRef, type ResolveModuleRefResult } from "../../modules/resolveModuleRef.ts";
import { exportCarBytes } from "../../storage/exportCar.ts";
import { SolverClient } from "../../net/solverClient.ts";
import { discoverSolver } from "../../chain/discoverSolver.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import type { CliContext } from "../context.ts";
import { readDeployedNetworkFile, resolveNetworkFile } from "../networkFiles.ts";
import { localModules } from "../localModules.ts";
import { buildModuleFolder } from "../buildModuleFolder.ts";
import { collectInput, parseInputFlags } from "../parseInputFlags.ts";

interface PublishFlags {
  networkFile?: string;
  devAccount?: string;
  asGovernance?: boolean;
  input?: string[];
}

/**
 * Registers `module publish`: build a module folder (or take a built module) and bind its NAME:VERSION in the
 * signer's namespace of the on-chain registry, as `<signer address>/NAME:VERSION`; or, for the network's
 * governance, approve the bare NAME:VERSION.
 */
export function registerModulePublish(module: Command, ctx: CliContext): Command {
  return module
    .command("publish")
    .description("build and package a module (as `module build` does) and register it on chain as <your address>/NAME:VERSION")
    .argument("<module>", "a module folder, NAME:VERSION or a module CID")
    .option("--network-file <path>", "the network to publish on (default: the devnet's network file)")
    .option("--dev-account <index>", "sign with this well-known dev account (devnet only) instead of LILYPAD_PRIVATE_KEY")
    .option("--as-governance", "approve the bare NAME:VERSION for the whole network (the market's owner only)")
    .option("-i, --input <Key=Value>", "an input for the two check runs of a container module folder (repeatable; defaults fill the rest)", collectInput)
    .action(async (ref: string, flags: PublishFlags, command: Command) => {
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      // The global flags every network command takes count here too: --network NAME|FILE, --private-key,
      // --rpc-url and --solver-url (and their environment variables and config file entries).
      const config = loadCliConfig(ctx, command.optsWithGlobals<ConfigFlags>());
      const networkFile =
        flags.networkFile !== undefined
          ? resolve(ctx.cwd, flags.networkFile)
          : config.network !== undefined
            ? resolveNetworkFile(ctx, config.network)
            : paths.devnetNetworkFile;
      if (!existsSync(networkFile)) {
        throw new InvalidArgumentError({ argument: "--network-file", message: `no network file at ${networkFile}`, hint: "start one with `lilypad devnet chain`" });
      }
      // Read as every command reads one: a file that is not JSON, or names no contracts yet, is said so, not thrown raw.
      const fromFile = readDeployedNetworkFile(networkFile);
      const network = { ...fromFile, rpcUrl: config.rpcUrl ?? fromFile.rpcUrl, solverUrl: config.solverUrl ?? fromFile.solverUrl };
      // A file that names only the chain: the solver the module is left with is the one registered on chain.
      if (!network.solverUrl) network.solverUrl = await discoverSolver(network).catch(() => undefined);
      const account = signer(flags, config.privateKey);
      const local = await localModules(ctx);
      // A folder is built first, as `module build` does: what is published is what its sources give today.
      const folder = isFolderRef(ref) ? resolve(ctx.cwd, ref) : undefined;
      const origin: ResolveModuleRefResult =
        folder && existsSync(folder)
          ? {
              cid: (await buildModuleFolder(ctx, local, folder, parseInputFlags(flags.input ?? []))).cid,
              source: "folder",
            }
          : await resolveModuleRef({ ref, blockstore: local.blockstore, catalogs: local.catalogs, registry: local.registry });
      const { cid } = origin;
      const { manifest } = await loadModule({ cid, blockstore: local.blockstore, artifactsDir: join(local.workDir, "artifacts") });
      checkModuleName(origin, manifest);
      const { digest } = await moduleIdOf(manifest);
      const key = `${manifest.name}:${manifest.version}`;
      const shipped = readShippedCatalog()[key];
      if (flags.asGovernance && shipped !== undefined && shipped !== cid) {
        throw new InvalidArgumentError({
          argument: "--as-governance",
          message: `${key} is the name of a module shipped with lilypad, which every lilypad runs for that name`,
          hint: "approve it under another name or version",
        });
      }
      const chain = defineChain({
        id: network.chainId,
        name: network.name,
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [network.rpcUrl] } },
      });
      const transport = http(network.rpcUrl);
      const hash = await publishModuleOnChain({
        wallet: createWalletClient({ chain, transport, account }),
        publicClient: createPublicClient({ chain, transport }),
        market: network.contracts.market,
        name: manifest.name,
        version: manifest.version,
        digest,
        asGovernance: flags.asGovernance,
      });
      await writeCatalogEntry(local.catalogFile, key, cid);
      // The name others run it by: in the publisher's namespace, unless governance approved the bare name.
      const name = flags.asGovernance ? key : `${account.address}/${key}`;
      // Remembered for `module list`, which shows it under that name.
      await recordPublishedModule(paths.publishedFile, { name, cid, chainId: network.chainId, market: network.contracts.market, tx: hash });
      // Left with the network's solver, so that any user and any provider can fetch it by its CID.
      let leftWith = "";
      if (network.solverUrl) {
        const solver = new SolverClient({ url: network.solverUrl, account, scope: { chainId: network.chainId, market: network.contracts.market } });
        for (const part of [cid, manifest.artifact.cid]) await solver.uploadContent(part, await exportCarBytes(local.blockstore, CID.parse(part)));
        leftWith = `stored at  ${network.solverUrl}\n`;
      }
      ctx.stdout(
        `${flags.asGovernance ? "approved" : "published"} ${name}\nmodule CID ${cid}\nmodule id  ${digest}\ntx         ${hash}\n${leftWith}` +
          `run it with: lilypad run ${name}\n`,
      );
    });
}

function signer(flags: PublishFlags, privateKey: Hex | undefined) {
  if (flags.devAccount !== undefined) {
    const index = Number(flags.devAccount);
    if (!Number.isInteger(index)) throw new InvalidArgumentError({ argument: "--dev-account", message: `--dev-account must be an integer, got ${flags.devAccount}` });
    return devAccount(index);
  }
  if (!privateKey) {
    throw new InvalidArgumentError({
      argument: "--private-key",
      message: "no signing key: set LILYPAD_PRIVATE_KEY or --private-key (0x + 64 hex), or use --dev-account on a devnet",
    });
  }
  return privateKeyToAccount(privateKey);
}
