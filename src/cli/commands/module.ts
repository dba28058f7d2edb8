import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerModuleBuild } from "./moduleBuild.ts";
import { registerModuleInspect } from "./moduleInspect.ts";
import { registerModulePublish } from "./modulePublish.ts";
import { registerModuleRun } from "./moduleRun.ts";

/** Registers the `module` group: for module authors and for running jobs locally. */
export function registerModule(program: Command, ctx: CliContext): Command {
  const module = program.command("module").description("build, inspect, publish and run modules");
  registerModuleBuild(module, ctx);
  registerModuleRun(module, ctx);
  registerModuleInspect(module, ctx);
  registerModulePublish(module, ctx);
  return module;
}
