import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { InvalidArgumentError } from "../../core/errors.ts";
import { lilypadPaths } from "../../core/paths.ts";

/** A TCP port: an integer 0-65535, given as a number or as the decimal digits of a flag. */
const portSchema = z
  .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], {
    error: "expected an integer from 0 to 65535",
  })
  .pipe(z.number().int().min(0).max(65535, { error: "expected an integer from 0 to 65535" }));

/** The resolved configuration of `lilypad devnet chain`. */
export const devnetChainConfigSchema = z.object({
  /** Interface the JSON-RPC server binds to. */
  host: z.string().trim().min(1, { error: "must not be empty" }),
  /** JSON-RPC port; 0 picks a free one. */
  port: portSchema,
  /** Where the network description is written (absolute after resolution). */
  networkFile: z.string().trim().min(1, { error: "must not be empty" }),
  /** Print one JSON object on stdout instead of the human summary. */
  json: z.boolean(),
});
export type DevnetChainConfig = z.output<typeof devnetChainConfigSchema>;

/** The command's flags as commander hands them over: absent, or the raw string/boolean given. */
export interface DevnetChainFlags {
  host?: string;
  port?: string;
  networkFile?: string;
  json?: boolean;
}

export interface ResolveDevnetChainConfigParameters {
  flags: DevnetChainFlags;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  /** Relative paths (flags or LILYPAD_HOME) are resolved against this directory. */
  cwd: string;
}

export const DEVNET_CHAIN_DEFAULTS = { host: "127.0.0.1", port: 8545, json: false } as const;

const FLAG_NAMES: Record<string, string> = {
  host: "--host",
  port: "--port",
  networkFile: "--network-file",
  json: "--json",
};

/**
 * Builds the configuration from defaults, then the environment (LILYPAD_HOME decides the default network file),
 * then flags, and validates the result. There is no config file layer yet. Throws InvalidArgumentError naming
 * the offending flag.
 */
export function resolveDevnetChainConfig(params: ResolveDevnetChainConfigParameters): DevnetChainConfig {
  const { flags } = params;
  const paths = lilypadPaths({ env: params.env, homedir: params.homedir });
  const merged = {
    ...DEVNET_CHAIN_DEFAULTS,
    networkFile: paths.devnetNetworkFile,
    ...definedOnly(flags),
  };
  const parsed = devnetChainConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "");
    const flag = FLAG_NAMES[key] ?? key;
    const given = (merged as Record<string, unknown>)[key];
    throw new InvalidArgumentError({
      argument: flag,
      message: `invalid ${flag} ${JSON.stringify(given)}: ${issue?.message ?? "invalid value"}`,
    });
  }
  const config = parsed.data;
  return {
    ...config,
    networkFile: isAbsolute(config.networkFile) ? config.networkFile : resolve(params.cwd, config.networkFile),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
