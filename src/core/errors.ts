/**
 * Typed errors with stable codes. The message is one short sentence for humans; `code` is for programs and tests
 * (never reword a code); `hint` says what to do next; `cause` carries the underlying error for `--verbose`.
 */
export const ErrorCode = {
  invalidArgument: "INVALID_ARGUMENT",
  portInUse: "PORT_IN_USE",
  listenFailed: "LISTEN_FAILED",
  invalidInput: "INVALID_INPUT",
  invalidManifest: "INVALID_MANIFEST",
  anvilNotFound: "ANVIL_NOT_FOUND",
  devChainFailed: "DEV_CHAIN_FAILED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface LilypadErrorParameters {
  /** Stable machine-readable code, e.g. "PORT_IN_USE". */
  code: string;
  /** One short sentence, without a trailing period. */
  message: string;
  /** What the user can do about it. */
  hint?: string;
  /** The underlying error, shown with --verbose. */
  cause?: unknown;
  /**
   * The caller's own arguments or inputs are at fault (a bad flag, an unknown input, a module name that names
   * nothing), so calling again unchanged cannot succeed. The CLI exits 2 (usage) for these, 1 for the rest.
   */
  usage?: boolean;
}

export class LilypadError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** See LilypadErrorParameters.usage. */
  readonly usage: boolean;

  constructor(params: LilypadErrorParameters) {
    super(params.message, params.cause === undefined ? undefined : { cause: params.cause });
    this.name = "LilypadError";
    this.code = params.code;
    this.hint = params.hint;
    this.usage = params.usage ?? false;
  }
}

/** A flag, argument or config value failed validation. The CLI exits 2 for these, like other usage errors. */
export class InvalidArgumentError extends LilypadError {
  /** The offending option, e.g. "--port". */
  readonly argument: string;

  constructor(params: { argument: string; message: string; hint?: string; cause?: unknown }) {
    super({ code: ErrorCode.invalidArgument, message: params.message, hint: params.hint, cause: params.cause, usage: true });
    this.name = "InvalidArgumentError";
    this.argument = params.argument;
  }
}

/** Something else is already listening on host:port. */
export class PortInUseError extends LilypadError {
  readonly host: string;
  readonly port: number;

  /** `flag`: the option that chose the port (default --port), for the hint. */
  constructor(params: { host: string; port: number; flag?: string; cause?: unknown }) {
    super({
      code: ErrorCode.portInUse,
      message: `port ${params.port} on ${params.host} is already in use`,
      hint: `stop the process using it, or choose another port with ${params.flag ?? "--port"} (0 picks a free one)`,
      cause: params.cause,
    });
    this.name = "PortInUseError";
    this.host = params.host;
    this.port = params.port;
  }
}

/** Binding host:port failed for a reason other than the port being taken (no such address, no permission). */
export class ListenError extends LilypadError {
  readonly host: string;
  readonly port: number;

  constructor(params: { host: string; port: number; reason: string; cause?: unknown }) {
    super({
      code: ErrorCode.listenFailed,
      message: `cannot listen on ${params.host}:${params.port}: ${params.reason}`,
      hint: "check --host and --port",
      cause: params.cause,
    });
    this.name = "ListenError";
    this.host = params.host;
    this.port = params.port;
  }
}

/**
 * A job input does not fit the module's manifest: unknown, missing, of the wrong type or out of its limits, or a file
 * that is missing or too big. The caller's to fix, so a usage error (the CLI exits 2).
 */
export class InvalidInputError extends LilypadError {
  /** The input's name as the user typed it. */
  readonly key: string;

  constructor(params: { key: string; reason: string; hint?: string }) {
    super({ code: ErrorCode.invalidInput, message: `input "${params.key}": ${params.reason}`, hint: params.hint, usage: true });
    this.name = "InvalidInputError";
    this.key = params.key;
  }
}

/** A module manifest failed validation; `issues` lists each problem with its path. */
export class InvalidManifestError extends LilypadError {
  readonly issues: string[];

  constructor(params: { source: string; issues: string[]; cause?: unknown }) {
    super({
      code: ErrorCode.invalidManifest,
      message: `invalid module manifest (${params.source}): ${params.issues.slice(0, 3).join("; ")}${params.issues.length > 3 ? ` and ${params.issues.length - 3} more` : ""}`,
      cause: params.cause,
    });
    this.name = "InvalidManifestError";
    this.issues = params.issues;
  }
}

/** The dev chain needs anvil, and no anvil binary is installed for this platform. */
export class AnvilNotFoundError extends LilypadError {
  /** `${process.platform}-${process.arch}`, e.g. "linux-x64". */
  readonly platform: string;

  constructor(params: { platform: string; reason: string; cause?: unknown }) {
    super({
      code: ErrorCode.anvilNotFound,
      message: `no anvil binary for ${params.platform}: ${params.reason}`,
      hint: "the dev chain runs Foundry's anvil from the @foundry-rs/anvil-* optional dependencies: reinstall lilypad without --omit=optional (they cover linux and macOS on x64 and arm64, and windows on x64)",
      cause: params.cause,
    });
    this.name = "AnvilNotFoundError";
    this.platform = params.platform;
  }
}

/** The dev chain's anvil process failed to start or stopped answering before it was ready. */
export class DevChainError extends LilypadError {
  constructor(params: { reason: string; cause?: unknown }) {
    super({ code: ErrorCode.devChainFailed, message: `the dev chain (anvil) did not start: ${params.reason}`, cause: params.cause });
    this.name = "DevChainError";
  }
}
