// The CLI's configuration: one typed object built from defaults, then the config file, then the environment,
// then flags, in that order (later wins). `--print-config` shows the result (with the key redacted).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Hex } from "viem";
import { z } from "zod";
import { InvalidArgumentError } from "../core/errors.ts";
import { lilypadPaths } from "../core/paths.ts";
import type { CliContext } from "./context.ts";

const privateKeySchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "must be 0x followed by 64 hex digits" })
  .transform((s) => s.toLowerCase() as Hex);

export const cliConfigSchema = z
  .object({
    /** A network name (a file in $LILYPAD_HOME/networks) or a network file path. */
    network: z.string().min(1).optional(),
    privateKey: privateKeySchema.optional(),
    /** Overrides the network file's chain RPC URL. */
    rpcUrl: z.url().optional(),
    /** Overrides the network file's solver URL. */
    solverUrl: z.url().optional(),
    logLevel: z.enum(["silent", "error", "warn", "info", "debug"]).optional(),
  })
  .strict();
export type CliConfig = z.output<typeof cliConfigSchema>;

/** The flags every network command takes (registered on the program, so they work before or after a command). */
export interface ConfigFlags {
  config?: string;
  network?: string;
  privateKey?: string;
  rpcUrl?: string;
  solverUrl?: string;
  logLevel?: string;
}

export const ENV_KEYS = {
  network: "LILYPAD_NETWORK",
  privateKey: "LILYPAD_PRIVATE_KEY",
  rpcUrl: "LILYPAD_RPC_URL",
  solverUrl: "LILYPAD_SOLVER_URL",
  logLevel: "LILYPAD_LOG_LEVEL",
} as const;

export function loadCliConfig(ctx: CliContext, flags: ConfigFlags): CliConfig {
  return explainCliConfig(ctx, flags).config;
}

/** Where a setting came from, as --print-config says it. */
export type ConfigSource = "flag" | "environment" | "config file";

export interface ExplainedCliConfig {
  config: CliConfig;
  /** The config file read (or that would be read: it need not exist). */
  file: string;
  fileExists: boolean;
  /** Each setting that has a value, and which layer gave it (e.g. privateKey: "environment (WEB3_PRIVATE_KEY)"). */
  sources: Partial<Record<keyof CliConfig, string>>;
}

/** The configuration and where each of its settings came from. */
export function explainCliConfig(ctx: CliContext, flags: ConfigFlags): ExplainedCliConfig {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const file = flags.config ? resolve(ctx.cwd, flags.config) : ctx.env.LILYPAD_CONFIG ?? `${paths.home}/config.json`;
  const fileExists = existsSync(file);
  let fromFile: Record<string, unknown> = {};
  if (fileExists) {
    try {
      fromFile = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (cause) {
      throw new InvalidArgumentError({ argument: "--config", message: `config file ${file} is not valid JSON`, cause });
    }
  } else if (flags.config) {
    throw new InvalidArgumentError({ argument: "--config", message: `no config file at ${file}` });
  }
  const fromEnv: Record<string, string> = Object.fromEntries(
    Object.entries(ENV_KEYS)
      .map(([key, name]) => [key, ctx.env[name]?.trim()])
      .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
  );
  // Lilypad's own tools read the key from WEB3_PRIVATE_KEY: taken too, after LILYPAD_PRIVATE_KEY.
  const web3Key = ctx.env.WEB3_PRIVATE_KEY?.trim();
  const keyFromWeb3 = fromEnv.privateKey === undefined && flags.privateKey === undefined && Boolean(web3Key);
  // Lilypad's tools take the key with or without its 0x.
  if (keyFromWeb3 && web3Key) fromEnv.privateKey = web3Key.startsWith("0x") ? web3Key : `0x${web3Key}`;
  const fromFlags = Object.fromEntries(
    Object.entries({ network: flags.network, privateKey: flags.privateKey, rpcUrl: flags.rpcUrl, solverUrl: flags.solverUrl, logLevel: flags.logLevel }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const parsed = cliConfigSchema.safeParse({ ...fromFile, ...fromEnv, ...fromFlags });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "");
    if (key === "privateKey" && keyFromWeb3) {
      throw new InvalidArgumentError({ argument: "--private-key", message: `WEB3_PRIVATE_KEY ${issue?.message ?? "is invalid"}`, hint: "set LILYPAD_PRIVATE_KEY or --private-key, which come first" });
    }
    throw new InvalidArgumentError({
      argument: key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "--config",
      message: `${key || "config"}: ${issue?.message ?? "invalid"}`,
      hint: `set by a flag, ${[...Object.values(ENV_KEYS), "WEB3_PRIVATE_KEY"].join("/")} or ${file}`,
    });
  }
  const sources: ExplainedCliConfig["sources"] = {};
  for (const key of Object.keys(parsed.data) as (keyof CliConfig)[]) {
    if (Object.hasOwn(fromFlags, key)) sources[key] = "flag";
    else if (Object.hasOwn(fromEnv, key)) sources[key] = `environment (${key === "privateKey" && keyFromWeb3 ? "WEB3_PRIVATE_KEY" : ENV_KEYS[key]})`;
    else sources[key] = "config file";
  }
  return { config: parsed.data, file, fileExists, sources };
}

/**
 * What `--print-config` shows: every setting with its value and where it came from, the files it reads, and what
 * an unset network or key means. The key itself is never printed.
 */
export function printableConfig(ctx: CliContext, explained: ExplainedCliConfig): Record<string, unknown> {
  const { config, sources } = explained;
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const setting = (key: keyof CliConfig, value: unknown, unset: string) =>
    value === undefined ? { value: null, source: unset } : { value, source: sources[key] };
  return {
    home: paths.home,
    configFile: { path: explained.file, exists: explained.fileExists },
    network: setting("network", config.network, `unset: a running devnet (${paths.devnetNetworkFile}), else 'lilypad run' starts an embedded network`),
    rpcUrl: setting("rpcUrl", config.rpcUrl, "unset: the network file's"),
    solverUrl: setting("solverUrl", config.solverUrl, "unset: the network file's, else the one registered on its chain"),
    privateKey: setting("privateKey", config.privateKey ? "(set, not shown)" : undefined, "unset: on a dev chain, each role's dev account; elsewhere commands that sign refuse to run"),
    logLevel: setting("logLevel", config.logLevel, "unset: info for long-running roles, silent inside 'lilypad run'"),
  };
}
