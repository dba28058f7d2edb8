// `lilypad balance|deposit|withdraw`: the caller's tokens in the wallet and in the market's escrow.
import type { Command } from "commander";
import { formatEther, parseEther } from "viem";
import { DevAccountIndex } from "../../chain/devAccounts.ts";
import { depositToEscrow, escrowBalance, withdrawFromEscrow } from "../../chain/market/escrow.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { connectAs, requireNetwork } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";

interface AccountFlags extends ConfigFlags {
  json?: boolean;
}

export function registerAccount(program: Command, ctx: CliContext): void {
  const connect = async (command: Command) => {
    const config = loadCliConfig(ctx, command.optsWithGlobals());
    return connectAs(await requireNetwork(ctx, config), config, DevAccountIndex.jobCreator);
  };
  const show = async (command: Command, json: boolean | undefined) => {
    const conn = await connect(command);
    const b = await escrowBalance(conn);
    if (json) ctx.stdout(`${JSON.stringify({ address: conn.address, wallet: b.wallet.toString(), available: b.available.toString(), locked: b.locked.toString() })}\n`);
    else ctx.stdout(`address    ${conn.address}\nwallet     ${formatEther(b.wallet)} LP\navailable  ${formatEther(b.available)} LP (in escrow, free)\nlocked     ${formatEther(b.locked)} LP (in open deals)\n`);
  };
  const amountOf = (value: string) => {
    let amount: bigint;
    try {
      amount = parseEther(value);
    } catch {
      throw new InvalidArgumentError({ argument: "<amount>", message: `"${value}" is not an amount of tokens (e.g. 10 or 0.5)` });
    }
    if (amount <= 0n) throw new InvalidArgumentError({ argument: "<amount>", message: "the amount must be positive" });
    return amount;
  };

  program
    .command("balance")
    .description("show your tokens: in the wallet, and available or locked in the market's escrow")
    .option("--json", "print one JSON object (amounts in wei)")
    .action((flags: AccountFlags, command: Command) => show(command, flags.json));
  program
    .command("deposit")
    .description("move tokens from your wallet into escrow (collateral and payments come from there)")
    .argument("<amount>", "tokens, e.g. 10")
    .option("--json", "print one JSON object (amounts in wei)")
    .action(async (amount: string, flags: AccountFlags, command: Command) => {
      await depositToEscrow(await connect(command), amountOf(amount));
      await show(command, flags.json);
    });
  program
    .command("withdraw")
    .description("move available tokens from escrow back to your wallet")
    .argument("<amount>", "tokens, e.g. 10")
    .option("--json", "print one JSON object (amounts in wei)")
    .action(async (amount: string, flags: AccountFlags, command: Command) => {
      await withdrawFromEscrow(await connect(command), amountOf(amount));
      await show(command, flags.json);
    });
}
