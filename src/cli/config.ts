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
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const file = flags.config ? resolve(ctx.cwd, flags.config) : ctx.env.LILYPAD_CONFIG ?? `${paths.home}/config.json`;
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (cause) {
      throw new InvalidArgumentError({ argument: "--config", message: `config file ${file} is not valid JSON`, cause });
    }
  } else if (flags.config) {
    throw new InvalidArgumentError({ argument: "--config", message: `no config file at ${file}` });
  }
  const fromEnv = Object.fromEntries(
    Object.entries(ENV_KEYS)
      .map(([key, name]) => [key, ctx.env[name]?.trim()])
      .filter(([, v]) => v !== undefined && v !== ""),
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
  return parsed.data;
}

/** The config as `--print-config` shows it: the key is never printed. */
export function printableConfig(config: CliConfig): Record<string, unknown> {
  return { ...config, privateKey: config.privateKey ? "(set)" : undefined };
}
