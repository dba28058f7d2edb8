/**
 * Typed errors of the content-addressed store. Each has a stable `code` for programs and tests, and names the path
 * or CID at fault, because "verification failed" alone gives an operator nothing to act on.
 */
import { LilypadError } from "../core/errors.ts";

export const StorageErrorCode = {
  symlinkRefused: "SYMLINK_REFUSED",
  unsupportedFileType: "UNSUPPORTED_FILE_TYPE",
  hiddenFileRefused: "HIDDEN_FILE_REFUSED",
  invalidFileName: "INVALID_FILE_NAME",
  unsafeEntryName: "UNSAFE_ENTRY_NAME",
  unsupportedEntry: "UNSUPPORTED_ENTRY",
  targetExists: "TARGET_EXISTS",
  notADirectory: "NOT_A_DIRECTORY",
  notAFile: "NOT_A_FILE",
  contentNotFound: "CONTENT_NOT_FOUND",
  invalidCid: "INVALID_CID",
  blockCorrupt: "BLOCK_CORRUPT",
  carFetchFailed: "CAR_FETCH_FAILED",
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** A result directory held a symbolic link. Links can point out of the job's sandbox, so none are stored. */
export class SymlinkRefusedError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string }) {
    super({
      code: StorageErrorCode.symlinkRefused,
      message: `refusing symbolic link ${params.path}`,
      hint: "a result may only contain regular files and directories; copy the link's target in instead",
    });
    this.name = "SymlinkRefusedError";
    this.path = params.path;
  }
}

/** A FIFO, socket or device node: reading one could block forever or read from outside the result. */
export class UnsupportedFileTypeError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string; kind: string }) {
    super({
      code: StorageErrorCode.unsupportedFileType,
      message: `refusing ${params.kind} ${params.path}`,
      hint: "a result may only contain regular files and directories",
    });
    this.name = "UnsupportedFileTypeError";
    this.path = params.path;
  }
}

/**
 * A dotfile, with `hiddenFiles: "refuse"`. `ipfs add -r` silently skips dotfiles (unless `-H`), so a CID that
 * includes one would not be reproduced by the plain command, and one that skips it would lose output.
 */
export class HiddenFileRefusedError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string }) {
    super({
      code: StorageErrorCode.hiddenFileRefused,
      message: `refusing hidden file ${params.path}`,
      hint:
        'pass hiddenFiles: "include" to store it (the CID of `ipfs add -r -H`) or "skip" to leave it out ' +
        "(the CID of plain `ipfs add -r`)",
    });
    this.name = "HiddenFileRefusedError";
    this.path = params.path;
  }
}

/** A file name that is not valid UTF-8: UnixFS names are UTF-8 strings, so it could not round-trip. */
export class InvalidFileNameError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string }) {
    super({
      code: StorageErrorCode.invalidFileName,
      message: `file name is not valid UTF-8: ${params.path}`,
      hint: "rename the file",
    });
    this.name = "InvalidFileNameError";
    this.path = params.path;
  }
}

/** A directory entry whose name would escape the extraction folder or is not a plain file name. */
export class UnsafeEntryNameError extends LilypadError {
  /** The name as stored in the DAG, e.g. "..". */
  readonly entryName: string;
  /** Where in the DAG it was found, e.g. "bafy.../sub". */
  readonly parentPath: string;

  constructor(params: { entryName: string; parentPath: string }) {
    super({
      code: StorageErrorCode.unsafeEntryName,
      message: `refusing unsafe entry name ${JSON.stringify(params.entryName)} in ${params.parentPath}`,
      hint: "the DAG was not made by `ipfs add`; do not trust it",
    });
    this.name = "UnsafeEntryNameError";
    this.entryName = params.entryName;
    this.parentPath = params.parentPath;
  }
}

/** A UnixFS entry that is neither a file nor a directory (a symlink, a metadata node, another codec). */
export class UnsupportedEntryError extends LilypadError {
  readonly path: string;
  readonly entryType: string;

  constructor(params: { path: string; entryType: string }) {
    super({
      code: params.entryType === "symlink" ? StorageErrorCode.symlinkRefused : StorageErrorCode.unsupportedEntry,
      message: `refusing ${params.entryType} entry ${params.path}`,
      hint: "results may only contain regular files and directories",
    });
    this.name = "UnsupportedEntryError";
    this.path = params.path;
    this.entryType = params.entryType;
  }
}

/** The extraction target already exists and is not an empty directory. */
export class TargetExistsError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string; cause?: unknown }) {
    super({
      code: StorageErrorCode.targetExists,
      message: `${params.path} already exists`,
      hint: "extract into a new or empty directory",
      cause: params.cause,
    });
    this.name = "TargetExistsError";
    this.path = params.path;
  }
}

export class NotADirectoryError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string }) {
    super({ code: StorageErrorCode.notADirectory, message: `${params.path} is not a directory` });
    this.name = "NotADirectoryError";
    this.path = params.path;
  }
}

export class NotAFileError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string }) {
    super({ code: StorageErrorCode.notAFile, message: `${params.path} is not a file` });
    this.name = "NotAFileError";
    this.path = params.path;
  }
}

/** The CID, a path under it, or one of its blocks is not in the blockstore. */
export class ContentNotFoundError extends LilypadError {
  readonly path: string;

  constructor(params: { path: string; cause?: unknown }) {
    super({ code: StorageErrorCode.contentNotFound, message: `${params.path} not found`, cause: params.cause });
    this.name = "ContentNotFoundError";
    this.path = params.path;
  }
}

export class InvalidCidError extends LilypadError {
  readonly value: string;

  constructor(params: { value: string; cause?: unknown }) {
    super({
      code: StorageErrorCode.invalidCid,
      message: `not a valid CID: ${JSON.stringify(params.value.slice(0, 100))}`,
      cause: params.cause,
    });
    this.name = "InvalidCidError";
    this.value = params.value;
  }
}

/** A block read from the local blockstore does not hash to its CID: the disk or another writer corrupted it. */
export class BlockCorruptError extends LilypadError {
  readonly cid: string;

  constructor(params: { cid: string; reason: string }) {
    super({
      code: StorageErrorCode.blockCorrupt,
      message: `stored block ${params.cid} is corrupt: ${params.reason}`,
      hint: "delete the block and fetch the content again",
    });
    this.name = "BlockCorruptError";
    this.cid = params.cid;
  }
}

/** Why a CAR was refused. Each reason is its own stable code, `CAR_<REASON>`. */
export const CarFailure = {
  malformed: "MALFORMED",
  rootMismatch: "ROOT_MISMATCH",
  unsupportedCid: "UNSUPPORTED_CID",
  hashMismatch: "HASH_MISMATCH",
  blockTooLarge: "BLOCK_TOO_LARGE",
  invalidBlock: "INVALID_BLOCK",
  missingBlock: "MISSING_BLOCK",
  tooLarge: "TOO_LARGE",
} as const;
export type CarFailure = (typeof CarFailure)[keyof typeof CarFailure];

/**
 * A downloaded CAR failed verification. Nothing it brought is reported complete: blocks that did verify may stay
 * in the blockstore (they are named by their own hash, so they are correct), but the root is only written once the
 * whole DAG below it is present.
 */
export class CarVerificationError extends LilypadError {
  readonly failure: CarFailure;
  /** The CID at fault, when there is one (the block that failed, the missing one, or the unexpected root). */
  readonly cid: string | undefined;

  constructor(params: { failure: CarFailure; message: string; cid?: string; cause?: unknown }) {
    super({
      code: `CAR_${params.failure}`,
      message: params.message,
      hint: "the CAR was damaged or forged; fetch it again, from another provider if it fails twice",
      cause: params.cause,
    });
    this.name = "CarVerificationError";
    this.failure = params.failure;
    this.cid = params.cid;
  }
}

/** The provider did not answer a CAR request with 200. */
export class CarFetchError extends LilypadError {
  readonly url: string;
  /** The HTTP status, or undefined when the request itself failed. */
  readonly status: number | undefined;

  constructor(params: { url: string; status?: number; reason: string; cause?: unknown }) {
    super({
      code: StorageErrorCode.carFetchFailed,
      message: `cannot fetch ${params.url}: ${params.reason}`,
      hint: params.status === 404 ? "the provider does not have this CID" : "check the provider's URL and try again",
      cause: params.cause,
    });
    this.name = "CarFetchError";
    this.url = params.url;
    this.status = params.status;
  }
}

/** A file that is not an OCI image archive podman could load (no index.json, a missing blob, a digest that does not match). */
export class OciArchiveError extends LilypadError {
  constructor(params: { path: string; reason: string }) {
    super({ code: "OCI_ARCHIVE", message: `${params.path} is not a usable OCI image archive: ${params.reason}`, hint: "make it with `podman save --format oci-archive`" });
    this.name = "OciArchiveError";
  }
}
