import type { Command } from "commander";
import { keccak256, toHex } from "viem";
import { describeModuleOrigin } from "../../modules/moduleOrigin.ts";
import { loadCliConfig } from "../config.ts";
import { runModule } from "../../modules/runModule.ts";
import { SandboxPool } from "../../sandbox/sandboxPool.ts";
import type { CliContext } from "../context.ts";
import { resolveFolderRef } from "../folderRef.ts";
import { reportJob } from "../jobOutput.ts";
import { localModules, localResolver } from "../localModules.ts";
import { saveResultFiles } from "../saveResultFiles.ts";
import { collectInput, parseInputFlags } from "../parseInputFlags.ts";
import { positionalInputs } from "../prepareJob.ts";

interface ModuleRunFlags {
  input?: string[];
  seed?: string;
  out?: string;
  json?: boolean;
}

/** Registers `module run`: one job on this machine's sandbox, no network involved. */
export function registerModuleRun(module: Command, ctx: CliContext): Command {
  return module
    .command("run")
    .description("run a module's job locally in the sandbox (NAME:VERSION, 0x<publisher>/NAME:VERSION, a module CID, or a folder)")
    .argument("<module>", "e.g. cowsay:v1, 0x70997970C51812dc3A010C7d01b50e0d17dc79C8/sheep:v1, bafkrei..., ./my-module")
    .argument("[input...]", "a value for the module's first input, without its key (e.g. lilypad module run cowsay:v1 hello)")
    .option("-i, --input <Key=Value>", "an input (repeatable); a file input takes a local path", collectInput)
    .option("--seed <text>", "seeds the job's random source (the same seed gives the same bytes)", "lilypad")
    .option("--out <dir>", "where to save the result files (default: ./lilypad-results/<result CID>)")
    .option("--json", "print one JSON object instead of the job's output and a summary")
    .addHelpText(
      "after",
      `
A folder is rebuilt first when its sources changed since its last build (or it was never built).`,
    )
    .action(async (typed: string, positional: string[], flags: ModuleRunFlags, command: Command) => {
      const ref = resolveFolderRef(ctx, typed);
      const flagged = parseInputFlags(flags.input ?? []);
      const local = await localModules(ctx, loadCliConfig(ctx, command.optsWithGlobals()));
      const pool = new SandboxPool({ workRoot: local.workDir, size: 1, log: (line) => ctx.stderr(`${line}\n`) });
      // Interrupted (Ctrl-C): stop the job and remove its scratch folder before exiting; the job's result is lost.
      void ctx.waitForShutdown().then(async (signal) => {
        ctx.stderr(`${signal}: stopping the job…\n`);
        await pool.close();
        process.exit(130);
      });
      try {
        // A published module this machine never saw is fetched from the network's solver, checked block by block.
        const resolved = await localResolver(ctx, local, typed)(ref);
        // A name runs only the module that bears it, and the user is told whose module that is before it runs.
        const { origin, manifest } = resolved;
        const cid = resolved.id.cid;
        const from = describeModuleOrigin(origin, manifest);
        if (!flags.json) ctx.stderr(`module       ${from}\n`);
        const run = await runModule({
          moduleCid: cid,
          given: { ...flagged, ...positionalInputs(manifest, positional, flagged) },
          blockstore: local.blockstore,
          pool,
          workRoot: local.workDir,
          seed: Buffer.from(keccak256(toHex(flags.seed ?? "lilypad")).slice(2), "hex"),
          onStep: (step) => {
            if (!flags.json) ctx.stderr(`${step}…\n`);
          },
        });
        const savedTo = await saveResultFiles({ ctx, blockstore: local.blockstore, root: run.resultCid, out: flags.out });
        await reportJob(ctx, {
          json: flags.json === true,
          savedTo,
          facts: {
            module: `${run.manifest.name}:${run.manifest.version}`,
            moduleCid: cid,
            ...(origin.name?.publisher ? { publisher: origin.name.publisher } : {}),
            ranOn: "local",
            dealId: null,
            provider: null,
            outcome: null,
            resultCid: run.resultCid.toString(),
            engine: run.manifest.engine,
            instructions: run.instructions,
            paid: null,
            elapsedMs: Math.round(run.durationMs),
          },
        });
      } finally {
        await pool.close();
      }
    });
}
