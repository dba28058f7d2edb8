// `lilypad jobs list|show|logs`: the caller's jobs as the solver knows them (it follows the chain for each).
// `lilypad jobs finalize`: settles the caller's overdue deals, read from the chain itself.
// `lilypad jobs revoke`: takes back the caller's signed offers that have not opened a deal.
import type { Command } from "commander";
import type { Hex } from "viem";
import { DevAccountIndex } from "../../chain/devAccounts.ts";
import { domainOf } from "../../chain/verifyOffers.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { formatTokens } from "../../core/formatTokens.ts";
import { outcomeName } from "../../core/outcomeName.ts";
import { toWireJson } from "../../core/api/wire.ts";
import { bytes32Schema } from "../../core/primitives.ts";
import { laneStatus } from "../../chain/market/laneStatus.ts";
import { finalizeOverdueDeals, type FinalizeOverdueDealsResult, type PartyPayout } from "../../job-creator/finalizeOverdueDeals.ts";
import { revokeJobOffers } from "../../job-creator/revokeJobOffers.ts";
import { SolverClient } from "../../net/solverClient.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { connectAs, requireNetwork, solverUrlOf } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";

interface JobsFlags extends ConfigFlags {
  json?: boolean;
  limit?: string;
  follow?: boolean;
  lane?: string;
  seq?: string;
}

const FINAL = new Set(["closed", "failed", "revoked"]);

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
  const jobs = program.command("jobs").description("your jobs: list them, show one, read or follow its log, finalize overdue deals, revoke unopened offers");

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

  jobs
    .command("finalize")
    .description("settle your deals whose deadline passed (a silent provider, creator or mediator), and show what each party got")
    .argument("[deal-id]", "one deal (default: every overdue deal of yours, as creator or provider)")
    .option("--json", "print JSON (amounts in wei)")
    .addHelpText(
      "after",
      "\nPast a deal's current deadline anyone may finalize it: a provider that posted no result refunds the creator's\n" +
        "payment and pays it the provider's timeout collateral; a result nobody judged pays the provider; a challenge\n" +
        "the mediator never ruled on refunds both. Deadlines are by the chain's clock. `lilypad run` finalizes its\n" +
        "own job when its provider is silent; this settles what is left, e.g. after the command was stopped.",
    )
    .action(async (id: string | undefined, flags: JobsFlags, command: Command) => {
      const dealId = id === undefined ? undefined : dealIdOf(id);
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const conn = connectAs(await requireNetwork(ctx, config), config, DevAccountIndex.jobCreator);
      const settled = await finalizeOverdueDeals({ conn, dealIds: dealId ? [dealId] : undefined });
      if (flags.json) ctx.stdout(`${toWireJson(finalizeJson(settled))}\n`);
      else ctx.stdout(describeFinalized(settled, conn.address));
    });

  jobs
    .command("revoke")
    .description("revoke a job offer of yours that has not opened a deal, so that nobody can open it any more")
    .argument("[deal-id]", "the job (its offer's lane and number are asked of the solver)")
    .option("--lane <n>", "instead of a job: one of your lanes")
    .option("--seq <n>", "with --lane: revoke its offers numbered up to this (default: the lane's number plus one)")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nA signed job offer stays valid until its expiry. Revoking raises your lane's sequence number on chain, so every\n" +
        "offer of that lane up to it is refused (no funds move). A lane whose deal is open runs its course: only a\n" +
        "lane with no deal in progress can be revoked. The solver sees the revocation on chain and ends the job as revoked.",
    )
    .action(async (id: string | undefined, flags: JobsFlags, command: Command) => {
      if ((id === undefined) === (flags.lane === undefined)) {
        throw new InvalidArgumentError({ argument: "<deal-id>", message: "name a job by its deal id, or a lane with --lane (not both)" });
      }
      if (id !== undefined && flags.seq !== undefined) throw new InvalidArgumentError({ argument: "--seq", message: "--seq goes with --lane" });
      const config = loadCliConfig(ctx, command.optsWithGlobals());
      const network = await requireNetwork(ctx, config);
      const conn = connectAs(network, config, DevAccountIndex.jobCreator);
      let lane: number;
      let seq: number;
      if (id !== undefined) {
        const dealId = dealIdOf(id);
        const solver = new SolverClient({ url: solverUrlOf(network), account: conn.account, scope: domainOf(conn) });
        const { offer } = await solver.getJob(dealId);
        if (offer.creator.toLowerCase() !== conn.address.toLowerCase()) {
          throw new InvalidArgumentError({ argument: "<deal-id>", message: `job ${dealId} is ${offer.creator}'s, and you are ${conn.address}: only its creator can revoke it` });
        }
        ({ lane, seq } = offer);
      } else {
        lane = uint32Of("--lane", flags.lane);
        seq = flags.seq === undefined ? (await laneStatus(conn, conn.address, lane)).seq + 1 : uint32Of("--seq", flags.seq);
      }
      const revoked = await revokeJobOffers(conn, { lane, seq, target: id });
      if (flags.json) ctx.stdout(`${toWireJson(revoked)}\n`);
      else ctx.stdout(`revoked lane ${revoked.lane}'s offers up to ${revoked.seq} (tx ${revoked.txHash}); the next offer there needs ${revoked.seq + 1} or more\n`);
    });
}

function uint32Of(argument: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n > 0xffff_ffff) throw new InvalidArgumentError({ argument, message: "must be a whole number from 0 to 4294967295" });
  return n;
}

function finalizeJson(settled: FinalizeOverdueDealsResult) {
  return {
    txHash: settled.txHash,
    finalized: settled.finalized.map((d) => ({ ...d, outcome: outcomeName(d.outcome) })),
    notYetDue: settled.notYetDue.map((d) => ({ dealId: d.dealId, phase: d.phase, deadline: d.deadline, secondsLeft: d.deadline - d.chainTime })),
  };
}

function describeFinalized(settled: FinalizeOverdueDealsResult, account: Hex): string {
  const lines: string[] = [];
  if (settled.finalized.length === 0) lines.push("no overdue deals to finalize");
  else lines.push(`finalized ${settled.finalized.length} deal${settled.finalized.length === 1 ? "" : "s"} (tx ${settled.txHash})`);
  const party = (role: string, p: PartyPayout) =>
    `  ${role.padEnd(9)}${p.address}${p.address.toLowerCase() === account.toLowerCase() ? " (you)" : ""}  ` +
    (p.credit === 0n && p.unlock === 0n ? "nothing" : `+${formatTokens(p.credit)} available, -${formatTokens(p.unlock)} locked: net ${signed(p.credit - p.unlock)}`);
  for (const d of settled.finalized) {
    lines.push(`${d.dealId}  ${outcomeName(d.outcome)}`, party("creator", d.creator), party("provider", d.provider), party("mediator", d.mediator));
  }
  for (const d of settled.notYetDue) lines.push(`${d.dealId}  ${d.phase}, not overdue yet: deadline in ${d.deadline - d.chainTime} s`);
  return `${lines.join("\n")}\n`;
}

function signed(amount: bigint): string {
  return amount < 0n ? `-${formatTokens(-amount)}` : `+${formatTokens(amount)}`;
}
