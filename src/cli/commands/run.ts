import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { Address } from "viem";
import { isAddress } from "viem/utils";
import { InvalidArgumentError } from "../../core/errors.ts";
import { TIMEOUT_LIMITS } from "../../core/dealTypes.ts";
import type { EmbeddedNetwork } from "../../devnet/startNetwork.ts";
import type { NetworkInfo } from "../../core/network.ts";
import { DEFAULT_JOB_TERMS } from "../../job-creator/jobTerms.ts";
import { describeModuleOrigin } from "../../modules/moduleOrigin.ts";
import { createModuleResolver } from "../../modules/moduleResolver.ts";
import { parseModuleName } from "../../core/moduleName.ts";
import { isFolderRef } from "../../modules/resolveModuleRef.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import type { CliContext } from "../context.ts";
import { findNetwork, NoNetworkError } from "../findNetwork.ts";
import { resolveFolderRef } from "../folderRef.ts";
import { describeJobEvent } from "../describeJobEvent.ts";
import { localModules } from "../localModules.ts";
import { collectInput } from "../parseInputFlags.ts";
import { prepareJob } from "../prepareJob.ts";
import { assertDetachable, submitDetached } from "../submitDetached.ts";

interface RunFlags extends ConfigFlags {
  input?: string[];
  out?: string;
  json?: boolean;
  mediationChance?: string;
  target?: string;
  resultTimeout?: string;
  detach?: boolean;
}

/** The longest result timeout the flag takes: a week. */
const MAX_RESULT_TIMEOUT = 7 * 24 * 3600;

/** Registers `lilypad run`: one job through the market, on the configured network or an embedded one. */
export function registerRun(program: Command, ctx: CliContext): Command {
  return program
    .command("run")
    .description("run a job through the network: signed offers, an on-chain deal, a metered run, a verified result")
    .argument("<module>", "NAME:VERSION (e.g. cowsay:v1), 0x<publisher>/NAME:VERSION for a published module, a module CID, or a module folder")
    .argument("[input...]", "a value for the module's first input, without its key (e.g. lilypad run cowsay:v1 hello)")
    .option("-i, --input <Key=Value>", "an input (repeatable)", collectInput)
    .option("--out <dir>", "where to save the result files (default: ./lilypad-results/<result CID>)")
    .option("--json", "print one JSON object instead of the job's output and a summary")
    .option("--mediation-chance <p>", "probability 0-1 of sending the result to the mediator as a spot check", "0")
    .option("--target <address>", "only this resource provider may take the job")
    .option(
      "--result-timeout <seconds>",
      `seconds the provider has to post a result once the deal is open; past that your payment is refunded with the provider's timeout collateral (default ${DEFAULT_JOB_TERMS.resultTimeout})`,
    )
    .addHelpText(
      "after",
      "\nWith no --network and no running devnet, an embedded network (chain, solver, resource provider, mediator)\nstarts in this process for the one job and stops after it.\n\n" +
        "Exit codes: 0 the job exited 0; 3 it ran and exited non-zero; 5 its deal failed or timed out; 4 the chain or\nsolver did not answer; 2 bad usage; 1 any other error.",
    )
    .option("--detach", "print the deal id once the solver accepts the job, and exit; collect it later with `lilypad jobs get <deal-id>`")
    .action(async (ref: string, positional: string[], flags: RunFlags, command: Command) => {
      const all = { ...command.optsWithGlobals<RunFlags>(), ...flags };
      const chance = Number(flags.mediationChance ?? "0");
      if (!Number.isFinite(chance) || chance < 0 || chance > 1) {
        throw new InvalidArgumentError({ argument: "--mediation-chance", message: "must be a number from 0 to 1" });
      }
      if (flags.target !== undefined && !isAddress(flags.target)) {
        throw new InvalidArgumentError({ argument: "--target", message: "must be a 0x-prefixed address" });
      }
      const resultTimeout = flags.resultTimeout === undefined ? undefined : Number(flags.resultTimeout);
      const floor = TIMEOUT_LIMITS.resultTimeout.min;
      if (resultTimeout !== undefined && !(Number.isInteger(resultTimeout) && resultTimeout >= floor && resultTimeout <= MAX_RESULT_TIMEOUT)) {
        throw new InvalidArgumentError({
          argument: "--result-timeout",
          message: `must be a whole number of seconds from ${floor} (the protocol's floor) to ${MAX_RESULT_TIMEOUT}`,
        });
      }
      // A malformed module name is refused before anything is read (it throws, naming what is wrong).
      if (!isFolderRef(ref)) parseModuleName(ref);
      const config = loadCliConfig(ctx, all);
      const progress = (line: string) => {
        if (!flags.json) ctx.stderr(`${line}\n`);
      };
      const local = await localModules(ctx);
      let network = await findNetwork(ctx, config);
      assertDetachable(flags.detach, network);
      // The chain client, the market and the embedded network are loaded only when needed: a typo is answered at once.
      const connectCreator = async (on: NetworkInfo) => {
        const [{ connectAs }, { DevAccountIndex }] = await Promise.all([import("../connectNetwork.ts"), import("../../chain/devAccounts.ts")]);
        return connectAs(on, config, DevAccountIndex.jobCreator);
      };
      let conn = network ? await connectCreator(network) : undefined;
      // An embedded network starts with a fresh chain: only modules this machine holds can run on it, so the module
      // and the inputs are checked against the local store alone, before it starts.
      const resolver = createModuleResolver({
        blockstore: local.blockstore,
        workDir: local.workDir,
        catalogs: local.catalogs,
        registry: conn ? (await import("../../chain/moduleRegistry.ts")).moduleRegistryOf(conn) : undefined,
        // A published module this machine never saw comes from the network's solver, where its publisher left it.
        stores: network?.solverUrl ? [network.solverUrl] : undefined,
        env: ctx.env,
        onRebuild: (reason) => progress(`rebuilding ${ref} (${reason})…`),
      });
      const job = await prepareJob({ ref: resolveFolderRef(ctx, ref), inputFlags: flags.input ?? [], positional, resolve: resolver, blockstore: local.blockstore, cwd: ctx.cwd });
      // Whose module runs is said before anything is offered: a name never silently means a stranger's module.
      progress(`module   ${describeModuleOrigin(job.module.origin, job.module.manifest)} (${job.module.id.cid})`);
      let embedded: EmbeddedNetwork | undefined;
      let embeddedHome: string | undefined;
      try {
        if (network && conn) {
          progress(`network  ${network.name} (${network.rpcUrl})`);
        } else {
          progress("starting an embedded network (dev chain, solver, resource provider, mediator)…");
          embeddedHome = await mkdtemp(join(tmpdir(), "lilypad-embedded-"));
          const [{ startNetwork }, { createLogger }] = await Promise.all([import("../../devnet/startNetwork.ts"), import("../../core/logger.ts")]);
          embedded = await startNetwork({
            home: embeddedHome,
            blockstore: local.blockstore,
            log: createLogger({ role: "embedded", level: config.logLevel ?? "silent" }),
          });
          network = embedded.network;
          conn = embedded.connect((await import("../../chain/devAccounts.ts")).DevAccountIndex.jobCreator);
        }
        if (!network.solverUrl) throw new NoNetworkError(`network ${network.name} has no solver`, "set --solver-url");
        if (!network.mediators?.length) throw new NoNetworkError(`network ${network.name} names no mediators`, "add \"mediators\" to its network file");
        const { cliJobClient } = await import("../jobClient.ts");
        const client = cliJobClient({
          conn,
          network: { ...network, solverUrl: network.solverUrl },
          local,
          resolveModule: async (name) => (name === ref ? job.module : await resolver(name)),
        });
        const options = { mediationChance: chance, targetProvider: flags.target as Address | undefined, terms: resultTimeout === undefined ? undefined : { resultTimeout } };
        try {
          if (flags.detach) return await submitDetached({ ctx, client, module: ref, inputs: job.given, json: flags.json ?? false, options });
          const result = await client.run(ref, job.given, {
            ...options,
            onEvent: (event) => {
              const line = describeJobEvent(event);
              if (line) progress(line);
            },
          });
          await (await import("../jobOutput.ts")).reportNetworkJob(ctx, { result, publisher: job.module.origin.name?.publisher, blockstore: local.blockstore, out: flags.out, json: flags.json === true });
        } finally {
          await client.close();
        }
      } finally {
        await embedded?.close();
        if (embeddedHome) await rm(embeddedHome, { recursive: true, force: true });
      }
    });
}
