// Where `--network NAME|FILE` points, and reading a network file: a name is $LILYPAD_HOME/networks/NAME.json, else
// a network shipped with lilypad (networks/NAME.json in the package), else a path. A shipped file may name its
// chain without contracts (not deployed yet): only `lilypad deploy` accepts that. The CLI and the SDK
// (createLilypadClient) both find networks here, so a name means the same network to both.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NetworkNotDeployedError } from "./chainErrors.ts";
import { InvalidArgumentError } from "../core/errors.ts";
import { networkFileSchema, networkSchema, type NetworkFile, type NetworkInfo } from "../core/network.ts";
import { lilypadPaths } from "../core/paths.ts";

/** What resolving a network name needs: the environment (LILYPAD_HOME), the user's home, and where paths start. */
export interface NetworkLookupContext {
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  cwd: string;
}

/** The networks shipped with lilypad: networks/ at the package's root (beside src/ in a checkout, dist/ when packed). */
export const SHIPPED_NETWORKS_DIR = fileURLToPath(new URL("../../networks/", import.meta.url));

const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/** Whether `value` can be a network's name (and so a file name under networks/). */
export function isNetworkName(value: string): boolean {
  return NAME.test(value);
}

/** The file `--network value` means; throws when there is none. */
export function resolveNetworkFile(ctx: NetworkLookupContext, value: string): string {
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const named = join(paths.networksDir, `${value}.json`);
  const shipped = join(SHIPPED_NETWORKS_DIR, `${value}.json`);
  const asPath = isAbsolute(value) ? value : resolve(ctx.cwd, value);
  if (isNetworkName(value) && existsSync(named)) return named;
  if (isNetworkName(value) && existsSync(shipped)) return shipped;
  if (existsSync(asPath)) return asPath;
  throw new InvalidArgumentError({
    argument: "--network",
    message: `no network "${value}" (looked for ${named}${isNetworkName(value) ? `, lilypad's own ${value}.json` : ""} and ${asPath})`,
    hint: "start one with 'lilypad devnet', deploy one with 'lilypad deploy', or pass a network file",
  });
}

/** A network file, deployed or not (the schema deploy reads). */
export function readNetworkFile(file: string): NetworkFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new InvalidArgumentError({ argument: "--network", message: `network file ${file} is not valid JSON`, cause });
  }
  const parsed = networkFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError({ argument: "--network", message: `network file ${file} is invalid: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : ""}` });
  }
  return parsed.data;
}

/** A network file whose contracts are deployed (what every role needs); NetworkNotDeployedError otherwise. */
export function readDeployedNetworkFile(file: string): NetworkInfo {
  const network = readNetworkFile(file);
  if (!network.contracts || network.deployBlock === undefined) throw new NetworkNotDeployedError({ name: network.name, file });
  const parsed = networkSchema.safeParse(network);
  if (!parsed.success) throw new InvalidArgumentError({ argument: "--network", message: `network file ${file} is invalid: ${parsed.error.issues[0]?.message ?? ""}` });
  return parsed.data;
}
