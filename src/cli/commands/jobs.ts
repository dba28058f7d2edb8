// `lilypad jobs list|show|logs`: the caller's jobs as the solver knows them (it follows the chain for each).
import type { Command } from "commander";
import type { Hex } from "viem";
import { DevAccountIndex } from "../../chain/devAccounts.ts";
import { domainOf } from "../../chain/verifyOffers.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { toWireJson } from "../../core/api/wire.ts";
import { bytes32Schema } from "../../core/primitives.ts";
import { SolverClient } from "../../net/solverClient.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { connectAs, requireNetwork, solverUrlOf } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";

interface JobsFlags extends ConfigFlags {
  json?: boolean;
  limit?: string;
  follow?: boolean;
}

const FINAL = new Set(["closed", "failed"]);

export function registerJobs(program: Command, ctx: CliContext): void {
  const clientFor = async (command: Command) => {
    const config = loadCliConfig(ctx, command.optsWithGlobals());
    const network = await requireNetwork(ctx, config);
    const conn = connectAs(network, config, DevAccountIndex.jobCreator);
    return new SolverClient({ url: solverUrlOf(network), account: conn.account, scope: domainOf(conn) });
  };
  const dealIdOf = (value: string): Hex => {
    const parsed = bytes32Schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError({ argument: "<deal-id>", message: "a deal id is 0x followed by 64 hex digits" });
    return parsed.data;
  };
  const jobs = program.command("jobs").description("your jobs: list them, show one, read or follow its log");

  jobs
    .command("list")
    .description("your most recent jobs (as creator or provider)")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (flags: JobsFlags, command: Command) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidArgumentError({ argument: "--limit", message: "must be 1-1000" });
      const records = await (await clientFor(command)).listJobs(limit);
      if (flags.json) {
        ctx.stdout(`${toWireJson(records)}\n`);
        return;
      }
      if (records.length === 0) ctx.stdout("no jobs yet\n");
      for (const r of records) {
        ctx.stdout(`${r.dealId}  ${r.status.padEnd(13)} ${new Date(r.createdAt * 1000).toISOString()}${r.reason ? `  ${r.reason}` : ""}\n`);
      }
    });

  jobs
    .command("show")
    .description("one job: status, provider, result, and why it failed if it did")
    .argument("<deal-id>")
    .option("--json", "print JSON")
    .action(async (id: string, flags: JobsFlags, command: Command) => {
      const { record, offer } = await (await clientFor(command)).getJob(dealIdOf(id));
      if (flags.json) {
        ctx.stdout(`${toWireJson({ record, offer })}\n`);
        return;
      }
      const lines = [
        ["deal", record.dealId],
        ["status", record.status],
        ["reason", record.reason],
        ["creator", record.creator],
        ["provider", record.provider],
        ["module", record.moduleId],
        ["inputs", JSON.stringify(record.inputs)],
        ["result", record.result ? `${record.result.cidDigest} (${record.result.instructions} instructions)` : undefined],
        ["served at", record.resultsUrl],
        ["outcome", record.outcome === undefined ? undefined : String(record.outcome)],
      ].filter((l): l is [string, string] => l[1] !== undefined);
      for (const [k, v] of lines) ctx.stdout(`${k.padEnd(10)} ${v}\n`);
    });

  jobs
    .command("logs")
    .description("a job's log lines from its provider; -f follows until the job ends")
    .argument("<deal-id>")
    .option("-f, --follow", "keep printing new lines until the job is closed or failed")
    .action(async (id: string, flags: JobsFlags, command: Command) => {
      const dealId = dealIdOf(id);
      const client = await clientFor(command);
      let printed = 0;
      const printNew = async () => {
        const lines = await client.jobLogs(dealId);
        for (const l of lines.slice(printed)) ctx.stdout(`${new Date(l.at * 1000).toISOString()}  ${l.line}\n`);
        printed = lines.length;
      };
      await printNew();
      if (!flags.follow) return;
      for (;;) {
        const { record } = await client.getJob(dealId);
        await printNew();
        if (FINAL.has(record.status)) {
          ctx.stdout(`-- job ${record.status}${record.reason ? `: ${record.reason}` : ""}\n`);
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    });
}
