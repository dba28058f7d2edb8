import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerModuleBuild } from "./moduleBuild.ts";
import { registerModuleInit } from "./moduleInit.ts";
import { registerModuleInspect } from "./moduleInspect.ts";
import { registerModuleList } from "./moduleList.ts";
import { registerModulePublish } from "./modulePublish.ts";
import { registerModuleRun } from "./moduleRun.ts";

/** Registers the `module` group: for module authors and for running jobs locally. */
export function registerModule(program: Command, ctx: CliContext): Command {
  const module = program.command("module").description("create, build, list, inspect, publish and run modules");
  registerModuleInit(module, ctx);
  registerModuleBuild(module, ctx);
  registerModuleRun(module, ctx);
  registerModuleInspect(module, ctx);
  registerModulePublish(module, ctx);
  registerModuleList(module, ctx);
  return module;
}
