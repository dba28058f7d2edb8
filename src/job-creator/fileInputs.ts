// A job's file inputs, made ready before any offer is signed: a local path is added to the creator's block store
// (its UnixFS CID is what the inputs commit to), a CID must already be there, and each file must fit the module's
// `maxBytes`. Then every file's blocks go to the solver, which keeps them for the deal's provider and any mediator:
// the creator may be behind NAT or gone once the job is submitted, and the file still travels, checked block by
// block against its CID by whoever fetches it.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { CID } from "multiformats/cid";
import { InvalidInputError } from "../core/errors.ts";
import type { InputValue } from "../core/moduleInputs.ts";
import { cidStringSchema, type ModuleManifest } from "../core/moduleManifest.ts";
import { addFile } from "../storage/addFile.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";

export interface StoreFileInputsParameters {
  manifest: ModuleManifest;
  given: Record<string, InputValue>;
  blockstore: Blockstore;
  /**
   * Whether a file input may name a path on this machine (the CLI, a script). Off for a client that passes on what
   * strangers send (the gateway): a path would read this machine's files into a job. Then only CIDs are taken.
   */
  readLocalFiles: boolean;
  /** Relative paths are resolved from here (default: the process's working directory). */
  cwd?: string;
}

/**
 * Returns `given` with each file input as the CID of its content, stored in `blockstore`. Throws InvalidInputError
 * for a path that is missing, not a regular file or too large, and for a CID whose content this store lacks.
 */
export async function storeFileInputs({ manifest, given, blockstore, readLocalFiles, cwd }: StoreFileInputsParameters): Promise<Record<string, InputValue>> {
  const stored: Record<string, InputValue> = { ...given };
  for (const spec of manifest.inputs) {
    if (spec.type !== "file" || !Object.hasOwn(given, spec.name)) continue;
    const value = given[spec.name];
    if (typeof value !== "string" || value === "") continue; // resolveInputs says what is wrong with it
    const limit = `${manifest.name}:${manifest.version} takes at most ${spec.maxBytes} bytes (${mib(spec.maxBytes)})`;
    if (cidStringSchema.safeParse(value).success) {
      if (!(await blockstore.has(CID.parse(value)))) {
        throw new InvalidInputError({ key: spec.name, reason: `the content of ${value} is not in this client's block store`, hint: "give the file's path instead of its CID" });
      }
      // Reading it whole checks its blocks and its size (it is at most maxBytes, which the upload reads anyway).
      await readFileBytes({ blockstore, cid: CID.parse(value), maxBytes: spec.maxBytes }).catch((error: unknown) => {
        throw new InvalidInputError({ key: spec.name, reason: `${value} cannot be used: ${error instanceof Error ? error.message : String(error)}`, hint: limit });
      });
      continue;
    }
    if (!readLocalFiles) continue; // resolveInputs refuses it: a file input must be a CID here
    const path = resolve(cwd ?? process.cwd(), value);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new InvalidInputError({ key: spec.name, reason: `no such file: ${path}`, hint: "give a file's path or the CID of a file added before" });
    if (!info.isFile()) throw new InvalidInputError({ key: spec.name, reason: `${path} is not a regular file` });
    if (info.size > spec.maxBytes) throw new InvalidInputError({ key: spec.name, reason: `${path} is ${info.size} bytes (${mib(info.size)})`, hint: limit });
    const added = await addFile({ blockstore, path });
    if (added.fileBytes > BigInt(spec.maxBytes)) throw new InvalidInputError({ key: spec.name, reason: `${path} grew to ${added.fileBytes} bytes while being read`, hint: limit });
    stored[spec.name] = added.cid.toString();
  }
  return stored;
}

/** The CIDs of a job's file inputs (after storeFileInputs and resolveInputs). */
export function fileInputCids(manifest: ModuleManifest, inputs: Record<string, InputValue>): string[] {
  return manifest.inputs.filter((spec) => spec.type === "file" && typeof inputs[spec.name] === "string").map((spec) => String(inputs[spec.name]));
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
