import { join } from "node:path";

export interface LilypadPathsParameters {
  /** The environment to read LILYPAD_HOME from (usually process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (usually os.homedir()). */
  homedir: string;
}

export interface LilypadPaths {
  /** $LILYPAD_HOME, or ~/.lilypad when it is unset or empty. */
  home: string;
  /** Where network files live: <home>/networks. */
  networksDir: string;
  /** The file `lilypad devnet chain` writes by default: <home>/networks/devnet.json. */
  devnetNetworkFile: string;
  /** Content-addressed blocks (modules, inputs, results): <home>/blocks. */
  blocksDir: string;
  /** name:version entries the user built or published: <home>/catalog.json. */
  catalogFile: string;
  /** What `lilypad module publish` bound on chain from this machine (module list shows it): <home>/published.json. */
  publishedFile: string;
  /** Sandbox work folders and caches: <home>/work. */
  workDir: string;
}

/** Where Lilypad keeps its local state. Pure: the caller passes the environment and home directory. */
export function lilypadPaths({ env, homedir }: LilypadPathsParameters): LilypadPaths {
  const fromEnv = env.LILYPAD_HOME?.trim();
  const home = fromEnv ? fromEnv : join(homedir, ".lilypad");
  const networksDir = join(home, "networks");
  return {
    home,
    networksDir,
    devnetNetworkFile: join(networksDir, "devnet.json"),
    blocksDir: join(home, "blocks"),
    catalogFile: join(home, "catalog.json"),
    publishedFile: join(home, "published.json"),
    workDir: join(home, "work"),
  };
}
