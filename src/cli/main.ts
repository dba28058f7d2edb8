import { Command, CommanderError } from "commander";
import { registerDeploy } from "./commands/deploy.ts";
import { registerDevnet } from "./commands/devnet.ts";
import { registerFaucet } from "./commands/faucet.ts";
import { registerModule } from "./commands/module.ts";
import { registerAccount } from "./commands/account.ts";
import { registerJobs } from "./commands/jobs.ts";
import { registerRoles, registerServices } from "./commands/roles.ts";
import { registerRun } from "./commands/run.ts";
import { loadCliConfig, printableConfig, type ConfigFlags } from "./config.ts";
import type { CliContext } from "./context.ts";
import { packageVersion } from "./packageVersion.ts";
import { JobExitedNonZero } from "./jobOutput.ts";
import { processContext } from "./processContext.ts";
import { applyHelpExamples } from "./helpExamples.ts";
import { explainConnectionFailure } from "./explainConnectionFailure.ts";
import { ExitCode, reportError } from "./reportError.ts";

/**
 * The whole `lilypad` command tree, every command registered, with its usage hint and its help examples. Tests walk
 * it (allCommands) so that a command added here is covered by them, or they fail saying what it lacks.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("lilypad")
    .description("Lilypad: a verifiable compute marketplace settling on an EVM chain")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "print help")
    .option("--verbose", "show error causes and more detail")
    .option("--network <name|file>", "the network to use: a name in $LILYPAD_HOME/networks or a network file (env LILYPAD_NETWORK)")
    .option("--private-key <hex>", "the key to act as (env LILYPAD_PRIVATE_KEY; a dev chain defaults to the role's dev account)")
    .option("--rpc-url <url>", "override the network's chain RPC URL (env LILYPAD_RPC_URL)")
    .option("--solver-url <url>", "override the network's solver URL (env LILYPAD_SOLVER_URL)")
    .option("--config <file>", "config file (default: $LILYPAD_HOME/config.json; env LILYPAD_CONFIG)")
    .option("--log-level <level>", "silent, error, warn, info or debug (env LILYPAD_LOG_LEVEL)")
    .option("--print-config", "print the configuration (defaults < config file < environment < flags) and stop")
    // Set before adding commands: subcommands inherit these.
    .exitOverride()
    // Every command's help lists the program's flags too (--network, --private-key, ...): they work after it.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .showHelpAfterError("hint: run 'lilypad --help' for usage");
  registerDevnet(program, ctx);
  registerModule(program, ctx);
  registerRun(program, ctx);
  registerRoles(program, ctx);
  registerServices(program, ctx);
  registerAccount(program, ctx);
  registerJobs(program, ctx);
  registerDeploy(program, ctx);
  registerFaucet(program, ctx);
  for (const command of allCommands(program)) {
    if (command !== program) command.showHelpAfterError(`hint: run '${commandPath(command)} --help' for usage`);
  }
  applyHelpExamples(allCommands(program));
  return program;
}

/** Runs the `lilypad` CLI on `argv` (without node and script) and resolves with the process exit code. */
export async function main(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  let active: Command = program;
  program.hook("preAction", (_program, actionCommand) => {
    active = actionCommand;
    const flags = actionCommand.optsWithGlobals<ConfigFlags & { printConfig?: boolean }>();
    if (flags.printConfig) {
      // Shows the configuration the command would run with (key redacted), and stops before running it.
      ctx.stdout(`${JSON.stringify(printableConfig(loadCliConfig(ctx, flags)), null, 2)}\n`);
      throw new CommanderError(0, "lilypad.printConfig", "");
    }
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    // Commander has already printed its message (and the hint) for usage errors; --help and --version exit 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    // Everything about the job was printed already, its exit code included.
    if (error instanceof JobExitedNonZero) return ExitCode.jobFailed;
    // A chain or solver that does not answer is said as such, naming the network, whichever command met it.
    const network = active.optsWithGlobals<ConfigFlags>().network ?? ctx.env.LILYPAD_NETWORK;
    return reportError({
      error: explainConnectionFailure({ error, network }),
      stderr: ctx.stderr,
      verbose: program.opts().verbose === true || argv.includes("--verbose"),
      usageHint: `run '${commandPath(active)} --help' for usage`,
    });
  }
}

/** `command` and every command under it, depth first. */
export function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
