// `module build` and `module publish` build a folder the same way: compile and package it, then, for an engine
// judged only by comparing re-runs (containers), run it twice and refuse it when the runs differ.
import { relative } from "node:path";
import { InvalidInputError } from "../core/errors.ts";
import type { InputValue } from "../core/moduleInputs.ts";
import { buildModule } from "../modules/buildModule.ts";
import { assertReproducible, checkReproducible, needsReproducibilityCheck } from "../modules/checkReproducible.ts";
import type { PackageModuleResult } from "../modules/packageModule.ts";
import { SandboxPool } from "../sandbox/sandboxPool.ts";
import type { CliContext } from "./context.ts";
import type { LocalModules } from "./localModules.ts";

export async function buildModuleFolder(ctx: CliContext, local: LocalModules, dir: string, given: Record<string, InputValue>): Promise<PackageModuleResult> {
  const packaged = await buildModule({
    dir,
    blockstore: local.blockstore,
    env: ctx.env,
    onCompile: (source) => ctx.stderr(`compiling ${relative(ctx.cwd, source) || source}…\n`),
    onImageProgress: (line) => ctx.stderr(`image: ${line}\n`),
  });
  if (!needsReproducibilityCheck(packaged.manifest)) return packaged;
  const pool = new SandboxPool({ workRoot: local.workDir, size: 1 });
  try {
    const report = await checkReproducible({
      moduleCid: packaged.cid,
      given,
      blockstore: local.blockstore,
      pool,
      workRoot: local.workDir,
      onRun: (run) => ctx.stderr(`checking that runs agree: run ${run} of 2…\n`),
    }).catch((error: unknown) => {
      // An input with no default: the check runs need a value, which only the author can choose.
      if (error instanceof InvalidInputError) {
        throw new InvalidInputError({ key: error.key, reason: `${error.message.replace(/^input "[^"]*": /, "")} for the two runs that check the module is deterministic`, hint: `give one: -i ${error.key}=...` });
      }
      throw error;
    });
    assertReproducible(report, dir);
    if (!report.reproducible) {
      ctx.stderr("note: its two runs differ, and its manifest says it is not deterministic: it runs only locally, and the network refuses it\n");
    }
  } finally {
    await pool.close();
  }
  return packaged;
}
