import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { createPublicClient, createWalletClient, defineChain, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { devAccount } from "../../chain/devAccounts.ts";
import { publishModuleOnChain } from "../../chain/moduleRegistry.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { moduleIdOf } from "../../core/moduleId.ts";
import { networkSchema } from "../../core/network.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { buildModule } from "../../modules/buildModule.ts";
import { loadModule } from "../../modules/loadModule.ts";
import { writeCatalogEntry } from "../../modules/moduleCatalog.ts";
import { isFolderRef, resolveModuleRef } from "../../modules/resolveModuleRef.ts";
import type { CliContext } from "../context.ts";
import { localModules } from "../localModules.ts";

interface PublishFlags {
  networkFile?: string;
  devAccount?: string;
}

/** Registers `module publish`: build a module folder (or take a built module) and bind its NAME:VERSION in the on-chain registry. */
export function registerModulePublish(module: Command, ctx: CliContext): Command {
  return module
    .command("publish")
    .description("build and package a module (as `module build` does) and register NAME:VERSION in the on-chain module registry")
    .argument("<module>", "a module folder, NAME:VERSION or a module CID")
    .option("--network-file <path>", "the network to publish on (default: the devnet's network file)")
    .option("--dev-account <index>", "sign with this well-known dev account (devnet only) instead of LILYPAD_PRIVATE_KEY")
    .action(async (ref: string, flags: PublishFlags) => {
      const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
      const networkFile = resolve(ctx.cwd, flags.networkFile ?? paths.devnetNetworkFile);
      if (!existsSync(networkFile)) {
        throw new InvalidArgumentError({ argument: "--network-file", message: `no network file at ${networkFile}`, hint: "start one with `lilypad devnet chain`" });
      }
      const network = networkSchema.parse(JSON.parse(readFileSync(networkFile, "utf8")));
      const account = signer(flags, ctx.env);
      const local = await localModules(ctx);
      // A folder is built first, as `module build` does: what is published is what its sources give today.
      const folder = isFolderRef(ref) ? resolve(ctx.cwd, ref) : undefined;
      const { cid } =
        folder && existsSync(folder)
          ? await buildModule({ dir: folder, blockstore: local.blockstore, onCompile: (source) => ctx.stderr(`compiling ${relative(ctx.cwd, source) || source}…\n`) })
          : await resolveModuleRef({ ref, blockstore: local.blockstore, catalogs: local.catalogs, registry: local.registry });
      const { manifest } = await loadModule({ cid, blockstore: local.blockstore, artifactsDir: join(local.workDir, "artifacts") });
      const { digest } = await moduleIdOf(manifest);
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
      });
      await writeCatalogEntry(local.catalogFile, `${manifest.name}:${manifest.version}`, cid);
      ctx.stdout(`published ${manifest.name}:${manifest.version}\nmodule CID ${cid}\nmodule id  ${digest}\ntx         ${hash}\n`);
    });
}

function signer(flags: PublishFlags, env: CliContext["env"]) {
  if (flags.devAccount !== undefined) {
    const index = Number(flags.devAccount);
    if (!Number.isInteger(index)) throw new InvalidArgumentError({ argument: "--dev-account", message: `--dev-account must be an integer, got ${flags.devAccount}` });
    return devAccount(index);
  }
  const key = env.LILYPAD_PRIVATE_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new InvalidArgumentError({ argument: "LILYPAD_PRIVATE_KEY", message: "no signing key: set LILYPAD_PRIVATE_KEY (0x + 64 hex) or use --dev-account on a devnet" });
  }
  return privateKeyToAccount(key as Hex);
}
