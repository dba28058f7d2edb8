// What runJsJob and its child (jsChild.mjs) tell each other: the job's configuration, passed as the child's only
// argument in JSON, and how the job ended, one JSON line the child writes on fd 3.

export interface JsChildConfig {
  /** Absolute path of the entry module. */
  entry: string;
  moduleDir: string;
  inputs: Record<string, string | number | boolean>;
  /** Absolute path of each file input, by input name. */
  files: Record<string, string>;
  inputsDir: string;
  outputsDir: string;
  args: string[];
  /** The job's whole environment (bubblewrap adds PWD, which the child removes). */
  env: Record<string, string>;
  /** The job's seed, hex. */
  seed: string;
  /** The folders of the packages the engine provides, by name. */
  packages: Record<string, string>;
  /** Bare imports of provided packages by the module resolve as if written in this file. */
  anchorUrl: string;
}

/** The one line the child writes on fd 3; only the first line counts. */
export type JsChildStatus = { kind: "exited"; exitCode: number } | { kind: "invalid-module"; message: string };
