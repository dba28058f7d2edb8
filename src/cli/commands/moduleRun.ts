import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { keccak256, toHex } from "viem";
import { resolveModuleRef } from "../../modules/resolveModuleRef.ts";
import { runModule } from "../../modules/runModule.ts";
import { SandboxPool } from "../../sandbox/sandboxPool.ts";
import type { CliContext } from "../context.ts";
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
    .description("run a module's job locally in the sandbox (NAME:VERSION, a module CID, or a folder)")
    .argument("<module>", "e.g. cowsay:v1, bafkrei..., ./my-module")
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
        const { cid } = await resolveModuleRef({ ref, blockstore: local.blockstore, catalogs: local.catalogs, registry: local.registry });
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
        const summary = {
          module: `${run.manifest.name}:${run.manifest.version}`,
          moduleCid: cid,
          resultCid: run.resultCid.toString(),
          exitCode: run.exitCode,
          instructions: run.instructions.toString(),
          durationMs: Math.round(run.durationMs),
          savedTo: out,
        };
        if (flags.json) {
          ctx.stdout(`${JSON.stringify(summary)}\n`);
          return;
        }
        ctx.stdout(await readFile(join(out, "stdout"), "utf8"));
        ctx.stderr(
          `\nmodule       ${summary.module} (${cid})\nresult       ${summary.resultCid}\nsaved to     ${out}\n` +
            `exit code    ${run.exitCode}\ninstructions ${run.instructions.toLocaleString("en-US")}\n`,
        );
        if (run.exitCode !== 0) process.exitCode = 1;
      } finally {
        await pool.close();
      }
    });
}
