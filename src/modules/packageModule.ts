// Packages a module folder: stores its artifact and its manifest (with the artifact's CID filled in) as
// content-addressed blocks, and returns the module's id. The folder layout is documented in docs/modules.md:
//   manifest.json                 the manifest; artifact (its cid) is optional there and filled in here
//   build/module.wasm | module.wasm   the WASI module (engine wasm)
//   *.mjs and other files         the artifact folder itself (engine js)
//   build/image.oci.tar | image.oci.tar   the OCI image archive (engine container; docs/containers.md)
import { cp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { moduleIdOf, manifestBytes, parseManifest, type ModuleId } from "../core/moduleId.ts";
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { addBytes } from "../storage/addBytes.ts";
import { addDirectory } from "../storage/addDirectory.ts";
import { addFile } from "../storage/addFile.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { BUILT_IMAGE_FILE, GIVEN_IMAGE_FILE } from "./container/buildContainerImage.ts";
import { IMAGE_RECIPE_FILE } from "./container/imageRecipe.ts";
import { OciArchiveError } from "../storage/errors.ts";
import { readOciImage } from "../storage/ociArchive.ts";
import { ModulePackageError } from "./errors.ts";
import { LILYPAD_TEMPLATE_FILE, readFolderManifest } from "./folderManifest.ts";

export interface PackageModuleParameters {
  dir: string;
  blockstore: Blockstore;
}

export interface PackageModuleResult extends ModuleId {
  manifest: ModuleManifest;
  /** Where the complete manifest was written: build/manifest.json in the folder. */
  manifestPath: string;
}

/** Files of a js module folder that are not part of its artifact. */
const NOT_ARTIFACT = new Set(["manifest.json", "build", "assembly", "node_modules", "README.md"]);

export async function packageModule({ dir, blockstore }: PackageModuleParameters): Promise<PackageModuleResult> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new ModulePackageError({ dir: root, reason: "there is no such folder", hint: "name a module folder (one with a manifest.json)", usage: true });
  // Whatever the author left in artifact.cid (nothing, "bafkrei...", the shipped manifests' placeholder) is replaced
  // by the CID of what was built: the packaged manifest must name its real artifact.
  const { draft, source: manifestPath, lilypadImage } = await readFolderManifest(root);
  const { entry } = draft.artifact ?? {};
  let artifact: ModuleManifest["artifact"];
  if (draft.engine === "container") artifact = await storeContainerArtifact(root, blockstore, lilypadImage?.digest);
  else {
    const cid = draft.engine === "js" ? await storeJsArtifact(root, blockstore) : await storeWasmArtifact(root, blockstore);
    artifact = { cid, ...(entry === undefined ? {} : { entry }) };
  }
  const manifest = parseManifest({ ...draft, artifact }, manifestPath);
  const id = await moduleIdOf(manifest);
  const bytes = manifestBytes(manifest);
  const stored = await addBytes({ blockstore, bytes });
  // Manifests are small, so `ipfs add` stores them as one raw block: the same CID as the module id.
  if (stored.cid.toString() !== id.cid) throw new ModulePackageError({ dir: root, reason: "the manifest is too large (over 256 KiB)" });
  await mkdir(join(root, "build"), { recursive: true });
  const builtManifest = join(root, "build", "manifest.json");
  await writeFile(builtManifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...id, manifest, manifestPath: builtManifest };
}

async function storeWasmArtifact(root: string, blockstore: Blockstore): Promise<string> {
  const path = [join(root, "build", "module.wasm"), join(root, "module.wasm")].find((p) => existsSync(p));
  if (!path) {
    throw new ModulePackageError({
      dir: root,
      reason: "no build/module.wasm or module.wasm",
      hint: ["assembly/index.ts", "src/main.c", "src/main.rs"].some((source) => existsSync(join(root, source)))
        ? `run \`lilypad module build ${root}\` first`
        : `compile your module to ${join(root, "module.wasm")} (docs/modules.md shows how for C, Rust and AssemblyScript)`,
    });
  }
  return (await addFile({ blockstore, path })).cid.toString();
}

/** A js module's artifact is its folder's own files (the entry and any model files), staged without the rest. */
async function storeJsArtifact(root: string, blockstore: Blockstore): Promise<string> {
  const staging = join(root, "build", "artifact");
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const name of await readdir(root)) {
    if (NOT_ARTIFACT.has(name) || name.startsWith(".")) continue;
    await cp(join(root, name), join(staging, name), { recursive: true });
  }
  return (await addDirectory({ blockstore, path: staging })).cid.toString();
}

/**
 * A container module's artifact is its OCI image archive: build/image.oci.tar (built from image.json by
 * `lilypad module build`) or an image.oci.tar the author made elsewhere. The image ID is read from the archive
 * itself (the digest of its config), so packaging needs no podman.
 */
async function storeContainerArtifact(root: string, blockstore: Blockstore, manifestDigest: string | undefined): Promise<{ cid: string; image: string }> {
  const path = [join(root, BUILT_IMAGE_FILE), join(root, GIVEN_IMAGE_FILE)].find((p) => existsSync(p));
  if (!path) {
    throw new ModulePackageError({
      dir: root,
      reason: `no ${BUILT_IMAGE_FILE} or ${GIVEN_IMAGE_FILE}`,
      hint: existsSync(join(root, IMAGE_RECIPE_FILE))
        ? `run \`lilypad module build ${root}\` first (it builds the image from ${IMAGE_RECIPE_FILE})`
        : `write an image.json (docs/containers.md, "Building a container module"), or save an image there with \`podman save --format oci-archive -o ${join(root, GIVEN_IMAGE_FILE)} IMAGE\``,
    });
  }
  let image: string;
  try {
    const read = await readOciImage(path);
    image = read.image;
    // A Lilypad template names its image by the digest of the image's manifest: the archive must hold that image.
    if (manifestDigest !== undefined && read.manifestDigest !== manifestDigest) {
      throw new ModulePackageError({
        dir: root,
        reason: `${path} holds the image ${read.manifestDigest}, not the ${manifestDigest} that ${LILYPAD_TEMPLATE_FILE} names`,
        hint: "save the image the template names (podman save --format oci-archive), or name the archive's image in the template",
      });
    }
  } catch (error) {
    if (error instanceof OciArchiveError) throw new ModulePackageError({ dir: root, reason: error.message, hint: error.hint, cause: error });
    throw error;
  }
  return { cid: (await addFile({ blockstore, path })).cid.toString(), image };
}
