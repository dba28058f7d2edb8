// `lilypad jobs list`: the caller's newest jobs as a table (deal, module by name, status, when), narrowed by
// status, module or age on the solver's side, so that --limit counts the jobs shown.
import type { Command } from "commander";
import type { Hex } from "viem";
import { CID } from "multiformats/cid";
import { jobStatusSchema, type JobRecord } from "../../core/api/solverProtocol.ts";
import { toWireJson } from "../../core/api/wire.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { outcomeName } from "../../core/outcomeName.ts";
import { readShippedCatalog, LILYPAD_MODULE_ALIASES } from "../../modules/moduleCatalog.ts";
import type { ConfigFlags } from "../config.ts";
import { solverUrlOf } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";
import { openJobsSession } from "../jobsAccess.ts";
import { localModules } from "../localModules.ts";
import { moduleLabels, moduleText } from "../moduleLabels.ts";
import { formatTable } from "../formatTable.ts";

interface ListFlags extends ConfigFlags {
  limit: string;
  status?: string;
  module?: string;
  since?: string;
  json?: boolean;
}

const NOTES = `
Statuses: ${jobStatusSchema.options.join(", ")}. --json prints the solver's records as an array, unchanged.
`;

export function registerJobsList(jobs: Command, ctx: CliContext): void {
  jobs
    .command("list")
    .description("your most recent jobs (as creator or provider), as a table")
    .option("--limit <n>", "how many (1-1000)", "20")
    .option("--status <list>", "only jobs in these statuses (comma-separated)")
    .option("--module <module>", "only jobs of this module: NAME:VERSION or its CID")
    .option("--since <when>", "only jobs submitted since then: a duration back from now (90s, 30m, 2h, 7d) or a date (2026-01-31, ISO 8601)")
    .option("--json", "print the records as JSON")
    .addHelpText("after", NOTES)
    .action(async (flags: ListFlags, command: Command) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidArgumentError({ argument: "--limit", message: "--limit must be a whole number from 1 to 1000" });
      const status = flags.status === undefined ? undefined : parseStatuses(flags.status);
      const since = flags.since === undefined ? undefined : parseSince(flags.since, Date.now());
      const local = await localModules(ctx);
      const moduleId = flags.module === undefined ? undefined : moduleIdOf(flags.module, local.catalogs);
      const session = await openJobsSession(ctx, command);
      const records = await session.solver.listJobs({ limit, status, moduleId, since });
      if (flags.json) {
        ctx.stdout(`${toWireJson(records)}\n`);
        return;
      }
      if (records.length === 0) {
        ctx.stdout(flags.status || flags.module || flags.since ? "no jobs match\n" : "no jobs yet\n");
        return;
      }
      const label = moduleLabels({ blockstore: local.blockstore, workDir: local.workDir, catalogs: local.catalogs, stores: [solverUrlOf(session.network)] });
      const rows = await Promise.all(records.map(async (r) => [r.dealId, moduleText(await label(r.moduleId)), r.status, createdText(r.createdAt), noteOf(r)]));
      ctx.stdout(formatTable(["DEAL", "MODULE", "STATUS", "CREATED", "NOTE"], rows));
    });
}

function parseStatuses(value: string): string {
  const statuses = value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = statuses.filter((s) => !jobStatusSchema.safeParse(s).success);
  if (statuses.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError({ argument: "--status", message: `--status takes statuses among ${jobStatusSchema.options.join(", ")}${bad.length ? `, not ${bad.join(", ")}` : ""}` });
  }
  return statuses.join(",");
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Unix seconds from "90s", "30m", "2h", "7d", "1w" back from `nowMs`, or from a date. */
export function parseSince(value: string, nowMs: number): number {
  const ago = /^(\d+)([smhdw])$/.exec(value.trim());
  if (ago) return Math.floor(nowMs / 1000) - Number(ago[1]) * (UNIT_SECONDS[ago[2] as string] as number);
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw new InvalidArgumentError({ argument: "--since", message: `--since takes a duration such as 30m, 2h or 7d, or a date such as 2026-01-31, not "${value}"` });
  return Math.floor(at / 1000);
}

/** A module flag as the on-chain module id: a catalog name (shipped or the user's) or a CID. */
function moduleIdOf(value: string, catalogs: readonly Record<string, string>[]): Hex {
  const name = LILYPAD_MODULE_ALIASES[value] ?? value;
  const cid = [readShippedCatalog(), ...catalogs].map((c) => c[name]).find((c) => c !== undefined) ?? (name.includes(":") ? undefined : name);
  try {
    if (cid === undefined) throw new Error("unknown name");
    return `0x${Buffer.from(CID.parse(cid).multihash.digest).toString("hex")}` as Hex;
  } catch {
    throw new InvalidArgumentError({
      argument: "--module",
      message: `--module takes NAME:VERSION of a module this machine knows (shipped, built or published here) or a module CID, not "${value}"`,
    });
  }
}

function createdText(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

/** The outcome of a closed deal, or why a job failed. */
function noteOf(r: JobRecord): string {
  if (r.status === "closed" && r.outcome !== undefined) return outcomeName(r.outcome);
  return r.reason ?? "";
}
