// Places a job's file inputs in its inputs folder (both engines): copied (never linked, so nothing outside
// the job is reachable through them), named by the input's manifest `fileName`, then made read-only.
import { chmodSync, rmSync } from "node:fs";
import { chmod, copyFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import type { ResolvedInputs } from "../core/moduleInputs.ts";
import { InvalidModuleError } from "./errors.ts";

export interface PlaceJobInputsParameters {
  manifest: ModuleManifest;
  inputs: ResolvedInputs;
  /** Where the content of each file input is on disk, by its CID. */
  inputFiles: Record<string, string>;
  /** A fresh, empty folder made by the host for this job. */
  inputsDir: string;
}

/** Returns the absolute path of each placed file, by input name. */
export async function placeJobInputs({ manifest, inputs, inputFiles, inputsDir }: PlaceJobInputsParameters): Promise<Record<string, string>> {
  const placed: Record<string, string> = {};
  for (const spec of manifest.inputs) {
    if (spec.type !== "file" || !Object.hasOwn(inputs, spec.name)) continue;
    const cid = String(inputs[spec.name]);
    const source = inputFiles[cid];
    if (!source) throw new InvalidModuleError({ reason: `the content of file input "${spec.name}" (${cid}) is not available` });
    const target = join(inputsDir, spec.fileName ?? spec.name);
    await copyFile(source, target);
    await chmod(target, 0o444);
    placed[spec.name] = target;
  }
  chmodSync(inputsDir, 0o555);
  return placed;
}

/**
 * Removes a job's folder once its result is stored. Its inputs folder was made read-only for the job (above), so
 * it is made writable first. Synchronous: microseconds per call, on every job.
 */
export function removeJobDir(jobDir: string): void {
  try {
    chmodSync(join(jobDir, "inputs"), 0o755);
  } catch {
    // never made (the job failed before), or already gone
  }
  rmSync(jobDir, { recursive: true, force: true });
}
