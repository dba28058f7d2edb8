import { Command, CommanderError } from "commander";
import { explainCliConfig, printableConfig, type ConfigFlags } from "./config.ts";
import type { CliContext } from "./context.ts";
import { packageVersion } from "./packageVersion.ts";
import { JobExitedNonZero } from "./jobOutput.ts";
import { processContext } from "./processContext.ts";
import { applyHelpExamples } from "./helpExamples.ts";
import { LilypadError } from "../core/errors.ts";
import { ExitCode, reportError } from "./reportError.ts";

/**
 * The `lilypad` command tree with its usage hints and help examples: every command, or only the top-level command
 * `only` (what main does, so that only that command's modules load). Tests walk the whole tree (allCommands) so
 * that a command added here is covered by them, or they fail saying what it lacks.
 */
export async function buildProgram(ctx: CliContext, only?: string): Promise<Command> {
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
  await registerCommands(program, ctx, only);
  for (const command of allCommands(program)) {
    if (command !== program) command.showHelpAfterError(`hint: run '${commandPath(command)} --help' for usage`);
  }
  applyHelpExamples(allCommands(program));
  return program;
}

/** Runs the `lilypad` CLI on `argv` (without node and script) and resolves with the process exit code. */
export async function main(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  const program = await buildProgram(ctx, commandNamed(argv));
  let active: Command = program;
  program.hook("preAction", (_program, actionCommand) => {
    active = actionCommand;
    const flags = actionCommand.optsWithGlobals<ConfigFlags & { printConfig?: boolean }>();
    if (flags.printConfig) {
      // Shows the configuration the command would run with (key redacted), and stops before running it.
      ctx.stdout(`${JSON.stringify(printableConfig(ctx, explainCliConfig(ctx, flags)), null, 2)}\n`);
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
      // Our own errors other than a silent solver need no explaining (nor the chain client that explaining loads).
      error:
        error instanceof LilypadError && error.code !== "SOLVER_UNREACHABLE"
          ? error
          : (await import("./explainConnectionFailure.ts")).explainConnectionFailure({ error, network }),
      stderr: ctx.stderr,
      verbose: program.opts().verbose === true || argv.includes("--verbose"),
      usageHint: `run '${commandPath(active)} --help' for usage`,
    });
  }
}

type Registrar = (program: Command, ctx: CliContext) => unknown;

/**
 * Each top-level command and where it is registered. Only the module of the command being run is loaded (the
 * others pull in the solver, the sandbox, the chain client…), so that a typo is answered in a fraction of a second.
 */
const COMMANDS: Record<string, () => Promise<Registrar[]>> = {
  devnet: async () => [(await import("./commands/devnet.ts")).registerDevnet],
  module: async () => [(await import("./commands/module.ts")).registerModule],
  run: async () => [(await import("./commands/run.ts")).registerRun],
  roles: async () => [(await import("./commands/roles.ts")).registerRoles],
  services: async () => [(await import("./commands/roles.ts")).registerServices],
  account: async () => [(await import("./commands/account.ts")).registerAccount],
  jobs: async () => [(await import("./commands/jobs.ts")).registerJobs],
  deploy: async () => [(await import("./commands/deploy.ts")).registerDeploy],
  faucet: async () => [(await import("./commands/faucet.ts")).registerFaucet],
  dashboard: async () => [(await import("./commands/dashboard.ts")).registerDashboard],
};

/** The COMMANDS entry registering each top-level command name a user types. */
const ENTRY_OF: Record<string, string> = {
  devnet: "devnet",
  module: "module",
  run: "run",
  jobs: "jobs",
  deploy: "deploy",
  faucet: "faucet",
  dashboard: "dashboard",
  indexer: "dashboard",
  solver: "roles",
  "resource-provider": "roles",
  mediator: "roles",
  jobcreator: "services",
  gateway: "services",
  balance: "account",
  deposit: "account",
  withdraw: "account",
};

/** The program's options that take a value: skipped when looking for the command's name in argv. */
const VALUE_OPTIONS = new Set(["--network", "--private-key", "--rpc-url", "--solver-url", "--config", "--log-level"]);

/** The top-level command argv names, or undefined (no command, `help`, or an unknown one: all are registered). */
function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** Registers the command `name` (every command when it is undefined or not one of ours), in the order help lists them. */
async function registerCommands(program: Command, ctx: CliContext, name?: string): Promise<void> {
  const entry = name === undefined ? undefined : (Object.hasOwn(ENTRY_OF, name) ? ENTRY_OF[name] : undefined);
  const loaders = entry ? [COMMANDS[entry]!] : Object.values(COMMANDS);
  const registrars = (await Promise.all(loaders.map((load) => load()))).flat();
  for (const register of registrars) register(program, ctx);
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
