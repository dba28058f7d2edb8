import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerDevnetChain } from "./devnetChain.ts";

/** Registers the `devnet` group: a local development network on this machine. */
export function registerDevnet(program: Command, ctx: CliContext): Command {
  const devnet = program.command("devnet").description("run a local development network");
  registerDevnetChain(devnet, ctx);
  return devnet;
}
