// Builds a module folder: compiles its sources (AssemblyScript, C or Rust: moduleSources.ts) to build/module.wasm,
// records what they were (build/sources.json), then packages the folder into the block store (packageModule.ts).
// A container module's image is built from its image.json first (container/buildContainerImage.ts, cached by content).
// `lilypad module build` and `lilypad module publish` build folders this way, so what is published is what the
// sources give today; `module run ./folder` rebuilds through buildModuleIfStale.
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { compileC } from "./compileC.ts";
import { buildContainerImage } from "./container/buildContainerImage.ts";
import { IMAGE_RECIPE_FILE } from "./container/imageRecipe.ts";
import { LILYPAD_TEMPLATE_FILE, pinTemplateImage, readFolderManifest } from "./folderManifest.ts";
import { compileRust } from "./compileRust.ts";
import { ToolchainMissingError } from "./errors.ts";
import { findModuleSources, sourcesDigest, staleReason, writeSourcesStamp, type ModuleSources } from "./moduleSources.ts";
import { packageModule, type PackageModuleResult } from "./packageModule.ts";

export interface BuildModuleParameters {
  /** The module folder (manifest.json, and sources, module.wasm or js files). */
  dir: string;
  blockstore: Blockstore;
  /** Where compilers are looked up (PATH, WASI_SYSROOT); default: this process's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Called with the absolute path of the entry file before it is compiled (compiling takes seconds). */
  onCompile?: (source: string) => void;
  /** Progress lines of a container image build (a cold one takes a minute). */
  onImageProgress?: (line: string) => void;
}

export async function buildModule({ dir, blockstore, env = process.env, onCompile, onImageProgress }: BuildModuleParameters): Promise<PackageModuleResult> {
  const root = resolve(dir);
  if (await isContainerRecipeFolder(root)) return await buildContainerModule(root, blockstore, env, onImageProgress);
  const sources = await findModuleSources(root);
  if (sources) {
    onCompile?.(sources.entry);
    // The digest is taken before compiling: a file saved during the build makes the next run rebuild.
    const digest = await sourcesDigest(root, sources);
    await compileSources(root, sources, env);
    await writeSourcesStamp(root, sources.language, digest);
  }
  return await packageModule({ dir: root, blockstore });
}

export interface BuildModuleIfStaleParameters extends BuildModuleParameters {
  /** Called before a rebuild, with why (e.g. "its sources changed since the last build"). */
  onRebuild?: (reason: string) => void;
}

/** Packages a folder as it is when its build is current (or it has no sources), and rebuilds it first otherwise. */
export async function buildModuleIfStale(params: BuildModuleIfStaleParameters): Promise<PackageModuleResult> {
  const root = resolve(params.dir);
  // A container image build is cached by its recipe and files, so it is always asked for: instant when current.
  // Its progress (a cold build runs mmdebstrap for minutes) is told the way a rebuild is.
  if (await isContainerRecipeFolder(root)) return await buildContainerModule(root, params.blockstore, params.env ?? process.env, params.onImageProgress ?? params.onRebuild);
  const sources = await findModuleSources(root);
  const reason = sources && (await staleReason(root, sources));
  if (!reason) return await packageModule({ dir: root, blockstore: params.blockstore });
  params.onRebuild?.(reason);
  return await buildModule(params);
}

async function compileSources(root: string, sources: ModuleSources, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const outFile = join(root, "build", "module.wasm");
  await mkdir(join(root, "build"), { recursive: true });
  // A failed compile must not leave the previous program in place to be packaged as if it were this one.
  await rm(outFile, { force: true });
  if (sources.language === "assemblyscript") {
    const { compileModule, repoRoot } = await loadAssemblyScript(root);
    await writeFile(outFile, await compileModule({ entry: relative(repoRoot, sources.entry) }));
  } else if (sources.language === "c") {
    await compileC({ dir: root, files: sources.files.filter((f) => f.endsWith(".c")), outFile, env });
  } else {
    await compileRust({ dir: root, entry: sources.entry, outFile, env });
  }
}

/** Loaded only when a folder has sources: the compiler is large, and only module authors have it installed. */
async function loadAssemblyScript(root: string): Promise<typeof import("./compileAssemblyScript.ts")> {
  try {
    return await import("./compileAssemblyScript.ts");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new ToolchainMissingError({
      dir: root,
      language: "AssemblyScript",
      reason: "assembly/index.ts needs the AssemblyScript compiler, which is not installed",
      hint: "run `npm install --save-dev assemblyscript @assemblyscript/wasi-shim` beside lilypad and try again, or compile assembly/index.ts to build/module.wasm yourself",
      cause: error,
    });
  }
}

/** Builds a recipe folder's image (cached by content), points a Lilypad template at it, and packages the folder. */
async function buildContainerModule(
  root: string,
  blockstore: Blockstore,
  env: Readonly<Record<string, string | undefined>>,
  onImageProgress: ((line: string) => void) | undefined,
): Promise<PackageModuleResult> {
  const built = await buildContainerImage({ dir: root, env, onProgress: onImageProgress });
  if (await pinTemplateImage(root, built.manifestDigest)) onImageProgress?.(`${LILYPAD_TEMPLATE_FILE}: its Image now names the image built, ${built.manifestDigest}`);
  return await packageModule({ dir: root, blockstore });
}

/** A container module folder with an image recipe (image.json) to build from. */
async function isContainerRecipeFolder(root: string): Promise<boolean> {
  if (!existsSync(join(root, IMAGE_RECIPE_FILE))) return false;
  try {
    return (await readFolderManifest(root)).draft.engine === "container";
  } catch {
    return false; // packageModule reports what is wrong with the manifest
  }
}
