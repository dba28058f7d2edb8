// Loads a module by CID from the local block store: its manifest (checked against the CID) and its artifact.
// The repository's own modules are packaged into the store the first time they are asked for.
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { dirname, join } from "node:path";
import { CID } from "multiformats/cid";
import { moduleIdOf, parseManifest } from "../core/moduleId.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import type { JobArtifact } from "../sandbox/runJob.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { TargetExistsError } from "../storage/errors.ts";
import { extractDirectory } from "../storage/extractDirectory.ts";
import { verifyingReader } from "../storage/readBlock.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";
import { exportEntry, isPlainFile } from "../storage/unixfsEntries.ts";
import { NotAFileError } from "../storage/errors.ts";
import { UnknownModuleError } from "./errors.ts";
import { readShippedCatalog, SHIPPED_MODULES_DIR } from "./moduleCatalog.ts";
import { packageModule } from "./packageModule.ts";

const MAX_MANIFEST_BYTES = 256 * 1024;
const MAX_WASM_BYTES = 256 * 1024 * 1024;

export interface LoadModuleParameters {
  cid: string;
  blockstore: Blockstore;
  /** Where js artifacts are unpacked, one folder per artifact CID, and container archives written (<cid>.oci.tar). */
  artifactsDir: string;
}

/** What the sandbox runs (for a container, the archive written out of the block store). */
export type LoadedArtifact = JobArtifact;

export interface LoadModuleResult {
  cid: string;
  manifest: ModuleManifest;
  artifact: LoadedArtifact;
}

export async function loadModule({ cid, blockstore, artifactsDir }: LoadModuleParameters): Promise<LoadModuleResult> {
  const manifest = await readModuleManifest({ cid, blockstore });
  const artifactCid = CID.parse(manifest.artifact.cid);
  if (manifest.engine === "wasm") {
    return { cid, manifest, artifact: { engine: "wasm", wasm: await readFileBytes({ blockstore, cid: artifactCid, maxBytes: MAX_WASM_BYTES }) } };
  }
  if (manifest.engine === "js") {
    const dir = join(artifactsDir, manifest.artifact.cid);
    if (!existsSync(dir)) {
      await mkdir(artifactsDir, { recursive: true });
      // Two jobs may unpack the same artifact at once; whichever finishes second finds it in place.
      await extractDirectory({ blockstore, root: artifactCid, path: dir }).catch((error: unknown) => {
        if (!(error instanceof TargetExistsError)) throw error;
      });
    }
    return { cid, manifest, artifact: { engine: "js", dir } };
  }
  if (manifest.engine === "container" && manifest.artifact.image) {
    const archivePath = await writeArchive(blockstore, artifactCid, join(artifactsDir, `${manifest.artifact.cid}.oci.tar`));
    return { cid, manifest, artifact: { engine: "container", archivePath, image: manifest.artifact.image } };
  }
  throw new UnknownModuleError({ ref: cid, hint: `the ${manifest.engine} engine is not available on this node`, usage: false });
}

/**
 * Streams a file out of the block store (every block verified) to `path`, unless it is there already. The file
 * is written under a temporary name and renamed into place, so a file at `path` is always complete: two jobs
 * writing the same archive at once both succeed, and an interrupted write leaves only a temporary file.
 */
async function writeArchive(blockstore: Blockstore, cid: CID, path: string): Promise<string> {
  const entry = await exportEntry(cid, "", verifyingReader(blockstore), undefined);
  if (!isPlainFile(entry)) throw new NotAFileError({ path: cid.toString() });
  if (existsSync(path) && BigInt(statSync(path).size) === entry.size) return path;
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.partial`;
  try {
    await pipeline(entry.content(), createWriteStream(partial, { flags: "wx", mode: 0o644 }));
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return path;
}

/** A module's manifest alone (checked against its CID), without reading its artifact: for listings. */
export async function readModuleManifest({ cid, blockstore }: { cid: string; blockstore: Blockstore }): Promise<ModuleManifest> {
  const root = CID.parse(cid);
  if (!(await blockstore.has(root))) await packageShippedModule(cid, blockstore);
  if (!(await blockstore.has(root))) throw new UnknownModuleError({ ref: cid, hint: "it is not in the local store" });
  const bytes = await readFileBytes({ blockstore, cid: root, maxBytes: MAX_MANIFEST_BYTES });
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(bytes)), cid);
  // The store verified the bytes against the CID; the canonical form must hash to it too.
  if ((await moduleIdOf(manifest)).cid !== cid) throw new UnknownModuleError({ ref: cid, hint: "its manifest is not in canonical form", usage: false });
  return manifest;
}

async function packageShippedModule(cid: string, blockstore: Blockstore): Promise<void> {
  const entry = Object.entries(readShippedCatalog()).find(([, c]) => c === cid);
  if (!entry) return;
  const name = entry[0].split(":")[0]!;
  const packaged = await packageModule({ dir: join(SHIPPED_MODULES_DIR, name), blockstore });
  if (packaged.cid !== cid) {
    throw new UnknownModuleError({ ref: entry[0], hint: `building modules/${name} gave ${packaged.cid}, not the catalog's ${cid}: run npm run build:modules`, usage: false });
  }
}
