import { join } from "node:path";
import type { Command } from "commander";
import { keccak256, toHex } from "viem";
import { loadModule } from "../../modules/loadModule.ts";
import { checkModuleName, describeModuleOrigin } from "../../modules/moduleOrigin.ts";
import { resolveModuleRef } from "../../modules/resolveModuleRef.ts";
import { runModule } from "../../modules/runModule.ts";
import { SandboxPool } from "../../sandbox/sandboxPool.ts";
import type { CliContext } from "../context.ts";
import { instructionsJson, instructionsText } from "../describeInstructions.ts";
import { JobExitedNonZero, readJobOutput } from "../jobOutput.ts";
import { localModules } from "../localModules.ts";
import { saveResultFiles } from "../saveResultFiles.ts";
import { collectInput, parseInputFlags } from "../parseInputFlags.ts";

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
    .option("-i, --input <Key=Value>", "an input (repeatable); a file input takes a local path", collectInput)
    .option("--seed <text>", "seeds the job's random source (the same seed gives the same bytes)", "lilypad")
    .option("--out <dir>", "where to save the result files (default: ./lilypad-results/<result CID>)")
    .option("--json", "print one JSON object instead of the job's output and a summary")
    .action(async (ref: string, flags: ModuleRunFlags) => {
      const given = parseInputFlags(flags.input ?? []);
      const local = await localModules(ctx);
      const pool = new SandboxPool({ workRoot: local.workDir, size: 1, log: (line) => ctx.stderr(`${line}\n`) });
      // Interrupted (Ctrl-C): stop the job and remove its scratch folder before exiting; the job's result is lost.
      void ctx.waitForShutdown().then(async (signal) => {
        ctx.stderr(`${signal}: stopping the job…\n`);
        await pool.close();
        process.exit(130);
      });
      try {
        const origin = await resolveModuleRef({ ref, blockstore: local.blockstore, catalogs: local.catalogs, registry: local.registry });
        const { cid } = origin;
        // A name runs only the module that bears it, and the user is told whose module that is before it runs.
        const { manifest } = await loadModule({ cid, blockstore: local.blockstore, artifactsDir: join(local.workDir, "artifacts") });
        checkModuleName(origin, manifest);
        const from = describeModuleOrigin(origin, manifest);
        if (!flags.json) ctx.stderr(`module       ${from}\n`);
        const run = await runModule({
          moduleCid: cid,
          given,
          blockstore: local.blockstore,
          pool,
          workRoot: local.workDir,
          seed: Buffer.from(keccak256(toHex(flags.seed ?? "lilypad")).slice(2), "hex"),
          onStep: (step) => {
            if (!flags.json) ctx.stderr(`${step}…\n`);
          },
        });
        const out = await saveResultFiles({ ctx, blockstore: local.blockstore, root: run.resultCid, out: flags.out });
        const output = await readJobOutput(out);
        const summary = {
          module: `${run.manifest.name}:${run.manifest.version}`,
          moduleCid: cid,
          source: origin.source,
          ...(origin.name?.publisher ? { publisher: origin.name.publisher } : {}),
          resultCid: run.resultCid.toString(),
          exitCode: run.exitCode,
          ...instructionsJson({ instructions: run.instructions, engine: run.manifest.engine }),
          durationMs: Math.round(run.durationMs),
          elapsedMs: Math.round(run.durationMs),
          savedTo: out,
          stdout: output.stdout,
          stderr: output.stderr,
        };
        if (flags.json) {
          ctx.stdout(`${JSON.stringify(summary)}\n`);
          if (run.exitCode !== 0) throw new JobExitedNonZero(run.exitCode);
          return;
        }
        ctx.stdout(output.stdout);
        if (output.stderr) ctx.stderr(output.stderr.endsWith("\n") ? output.stderr : `${output.stderr}\n`);
        ctx.stderr(
          `\nmodule       ${summary.module} (${cid})\nresult       ${summary.resultCid}\nsaved to     ${out}\n` +
            `exit code    ${run.exitCode}\ninstructions ${instructionsText({ instructions: run.instructions, engine: run.manifest.engine })}\n`,
        );
        if (run.exitCode !== 0) throw new JobExitedNonZero(run.exitCode);
      } finally {
        await pool.close();
      }
    });
}
