// Builds a container module's image from its recipe (image.json, imageRecipe.ts) into build/image.oci.tar:
//   1. mmdebstrap --variant=apt <suite> with the recipe's packages, docs and man pages left out, SOURCE_DATE_EPOCH
//      fixed: a root filesystem tar, cached by (suite, packages, mirror, mmdebstrap's version). Modules that name
//      the same packages share it: one mmdebstrap run for all of them.
//   2. the recipe's files appended to a copy of that tar (root:root, mode 0644 or 0755, mtime SOURCE_DATE_EPOCH);
//   3. podman import, podman save --format oci-archive, and the imported image removed again from podman's store.
// The archive is cached by a hash of the recipe, the copied files' bytes and mmdebstrap's version, under
// LILYPAD_IMAGE_CACHE, else $XDG_CACHE_HOME/lilypad/images, else ~/.cache/lilypad/images: building the same
// recipe again links (or copies) the cached archive into place, well under a second. Every program is run with an
// argument array, never through a shell, and the recipe is checked before any of it reaches one.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { copyFile, link, mkdir, open, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { findExecutables } from "../findExecutable.ts";
import { ImageBuildError, ImageRecipeError, ImageToolMissingError } from "./errors.ts";
import { IMAGE_RECIPE_FILE, readImageRecipe, type ImageRecipe } from "./imageRecipe.ts";
import { readOciImage, type OciImageInfo } from "../../storage/ociArchive.ts";
import { listTar, TAR_END, tarEntryBytes, type TarFileToWrite } from "../../storage/tar.ts";

/** The build's archive in a module folder, and an archive an author built elsewhere. */
export const BUILT_IMAGE_FILE = join("build", "image.oci.tar");
export const GIVEN_IMAGE_FILE = "image.oci.tar";
/** What the last build placed in build/: its cache key and image. */
const STAMP_FILE = join("build", "image.stamp.json");

/** The mtime of everything the build writes, and mmdebstrap's SOURCE_DATE_EPOCH: 2023-06-10, bookworm's release. */
export const IMAGE_SOURCE_DATE_EPOCH = 1686355200;

/** Changing how images are built (these options, the file modes) changes this, so old cache entries are not reused. */
const BUILD_FORMAT = 1;
const MMDEBSTRAP_OPTIONS = [
  "--variant=apt",
  "--mode=auto",
  "--format=tar",
  "--dpkgopt=path-exclude=/usr/share/doc/*",
  "--dpkgopt=path-include=/usr/share/doc/*/copyright",
  "--dpkgopt=path-exclude=/usr/share/man/*",
  "--dpkgopt=path-exclude=/usr/share/info/*",
  "--dpkgopt=path-exclude=/usr/share/locale/*",
  "--dpkgopt=path-exclude=/usr/share/lintian/*",
  // A runtime image needs no headers, static libraries or compiler internals (python3-scipy pulls in g++ and
  // boost through python3-pythran: 250 MB of them).
  "--dpkgopt=path-exclude=/usr/include/*",
  "--dpkgopt=path-exclude=/usr/lib/gcc/*",
  "--dpkgopt=path-exclude=/usr/bin/*-lto-dump-*",
  "--dpkgopt=path-exclude=/usr/lib/x86_64-linux-gnu/*.a",
  "--dpkgopt=path-exclude=/usr/lib/aarch64-linux-gnu/*.a",
  "--dpkgopt=path-exclude=/usr/lib/python3*/config-*",
];
const IMAGE_CHANGES = ["ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "WORKDIR=/"];

export interface BuildContainerImageParameters {
  /** The module folder, holding image.json (or a ready image.oci.tar). */
  dir: string;
  /** Where PATH, HOME, XDG_CACHE_HOME and LILYPAD_IMAGE_CACHE are read; default: this process's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Progress lines, for a build that takes a minute: "mmdebstrap bookworm (3 packages)...", mmdebstrap's own "I: ..." lines. */
  onProgress?: (line: string) => void;
}

export interface BuildContainerImageResult extends OciImageInfo {
  /** The archive to package: build/image.oci.tar, or the folder's own image.oci.tar when it has no image.json. */
  archivePath: string;
  /** What was done: "built" (mmdebstrap and podman ran), "rootfs-cached" (only the files and podman), "cached", "given". */
  source: "built" | "rootfs-cached" | "cached" | "given";
  /** The cache key of a built image (hex); undefined for a given one. */
  key?: string;
}

/** The folder under which images and root filesystems are cached. */
export function imageCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.LILYPAD_IMAGE_CACHE) return resolve(env.LILYPAD_IMAGE_CACHE);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(env.HOME ?? homedir(), ".cache");
  return join(base, "lilypad", "images");
}

export async function buildContainerImage({ dir, env = process.env, onProgress = () => {} }: BuildContainerImageParameters): Promise<BuildContainerImageResult> {
  const root = resolve(dir);
  const recipe = await readImageRecipe(root);
  if (!recipe) {
    const given = join(root, GIVEN_IMAGE_FILE);
    if (!existsSync(given)) {
      throw new ImageRecipeError({ where: root, reason: `a container module needs ${IMAGE_RECIPE_FILE} (its image recipe) or ${GIVEN_IMAGE_FILE} (an image built elsewhere)` });
    }
    return { ...(await readOciImage(given)), archivePath: given, source: "given" };
  }
  const mmdebstrap = requireTool("mmdebstrap", ["mmdebstrap"], env);
  const podman = requireTool("podman", ["podman", "runc"], env);
  const mmdebstrapVersion = (await run(mmdebstrap, ["--version"], { env })).trim();
  const rootfsKey = sha256Hex(JSON.stringify({ format: BUILD_FORMAT, options: MMDEBSTRAP_OPTIONS, mmdebstrap: mmdebstrapVersion, debian: recipe.debian, epoch: IMAGE_SOURCE_DATE_EPOCH }));
  const files = await recipeFiles(root, recipe);
  const key = sha256Hex(JSON.stringify({ format: BUILD_FORMAT, rootfs: rootfsKey, changes: IMAGE_CHANGES, files: files.map((f) => [f.name, f.mode, f.content ? sha256Hex(f.content) : "directory"]) }));

  const built = join(root, BUILT_IMAGE_FILE);
  const stamp = join(root, STAMP_FILE);
  const cache = imageCacheDir(env);
  const cachedArchive = join(cache, "oci", `${key}.oci.tar`);
  const cachedInfo = join(cache, "oci", `${key}.json`);

  // Already in place from the last build of this recipe.
  const placed = await readStamp(stamp);
  if (placed?.key === key && existsSync(built) && statSync(built).size === placed.bytes) {
    return { ...placed.info, archivePath: built, source: "cached", key };
  }
  let source: BuildContainerImageResult["source"] = "cached";
  let info: OciImageInfo;
  if (existsSync(cachedArchive) && existsSync(cachedInfo)) {
    info = JSON.parse(await readFile(cachedInfo, "utf8")) as OciImageInfo;
  } else {
    const rootfs = join(cache, "rootfs", `${rootfsKey}.tar`);
    source = "rootfs-cached";
    if (!existsSync(rootfs)) {
      source = "built";
      await buildRootfs(mmdebstrap, recipe, rootfs, env, onProgress);
    } else onProgress(`root filesystem for ${describe(recipe)} is cached`);
    info = await imageFromRootfs(podman, rootfs, files, cachedArchive, env, onProgress);
    await writeFile(cachedInfo, `${JSON.stringify(info, null, 2)}\n`);
  }
  await mkdir(dirname(built), { recursive: true });
  await rm(built, { force: true });
  // A hard link when the cache is on the same file system (instant), a copy otherwise.
  await link(cachedArchive, built).catch(async () => await copyFile(cachedArchive, built));
  await writeFile(stamp, `${JSON.stringify({ key, bytes: info.bytes, info }, null, 2)}\n`);
  return { ...info, archivePath: built, source, key };
}

function describe(recipe: ImageRecipe): string {
  const n = recipe.debian.packages.length;
  return `Debian ${recipe.debian.suite} with ${n} package${n === 1 ? "" : "s"} (${recipe.debian.packages.join(", ") || "none"})`;
}

function requireTool(name: string, packages: string[], env: Readonly<Record<string, string | undefined>>): string {
  const found = findExecutables(name, env.PATH)[0];
  if (!found) throw new ImageToolMissingError({ tool: name, packages });
  return found;
}

/** The files the recipe copies, with the directories above them, as tar entries in a fixed order. */
async function recipeFiles(root: string, recipe: ImageRecipe): Promise<TarFileToWrite[]> {
  const dirs = new Set<string>();
  const files: TarFileToWrite[] = [];
  for (const [target, source] of Object.entries(recipe.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(root, ...source.split("/"));
    const parts = target.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(`${parts.slice(0, i).join("/")}/`);
    const executable = ((await stat(path)).mode & 0o111) !== 0;
    files.push({ name: parts.join("/"), content: await readFile(path), mode: executable ? 0o755 : 0o644, mtime: IMAGE_SOURCE_DATE_EPOCH });
  }
  const dirEntries = [...dirs].sort().map((name) => ({ name, mode: 0o755, mtime: IMAGE_SOURCE_DATE_EPOCH }));
  return [...dirEntries, ...files];
}

async function buildRootfs(
  mmdebstrap: string,
  recipe: ImageRecipe,
  out: string,
  env: Readonly<Record<string, string | undefined>>,
  onProgress: (line: string) => void,
): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.${randomBytes(4).toString("hex")}.partial`;
  const args = [...MMDEBSTRAP_OPTIONS];
  if (recipe.debian.packages.length > 0) args.push(`--include=${recipe.debian.packages.join(",")}`);
  args.push(recipe.debian.suite, partial, recipe.debian.mirror);
  onProgress(`mmdebstrap: ${describe(recipe)} from ${recipe.debian.mirror} (takes a minute)`);
  const t0 = performance.now();
  try {
    await run(mmdebstrap, args, { env: { ...env, SOURCE_DATE_EPOCH: String(IMAGE_SOURCE_DATE_EPOCH) }, onLine: (line) => onProgress(`mmdebstrap: ${line}`), step: "mmdebstrap" });
    await rename(partial, out);
  } finally {
    await rm(partial, { force: true });
  }
  onProgress(`mmdebstrap: ${Math.round(statSync(out).size / 1e6)} MB root filesystem in ${seconds(t0)}`);
}

async function imageFromRootfs(
  podman: string,
  rootfs: string,
  files: TarFileToWrite[],
  out: string,
  env: Readonly<Record<string, string | undefined>>,
  onProgress: (line: string) => void,
): Promise<OciImageInfo> {
  await mkdir(dirname(out), { recursive: true });
  const tag = `${process.pid}.${randomBytes(4).toString("hex")}`;
  const tar = `${out}.${tag}.rootfs.tar`;
  const partial = `${out}.${tag}.partial`;
  let imported: string | undefined;
  try {
    // The recipe's files go after the root filesystem's last entry, replacing its end-of-archive marker.
    const t0 = performance.now();
    const { end } = await listTar(rootfs);
    await copyFile(rootfs, tar);
    await truncate(tar, end);
    const handle = await open(tar, "a");
    try {
      for (const file of files) await handle.write(tarEntryBytes(file));
      await handle.write(TAR_END);
    } finally {
      await handle.close();
    }
    onProgress(`podman import (${files.filter((f) => f.content).length} files added)`);
    const changes = IMAGE_CHANGES.flatMap((c) => ["--change", c]);
    const output = await run(podman, ["import", "--quiet", ...changes, tar], { env, step: "podman import" });
    imported = /([0-9a-f]{64})\s*$/.exec(output)?.[1];
    if (!imported) throw new ImageBuildError({ step: "podman import", reason: "it printed no image ID", output });
    await rm(tar, { force: true });
    onProgress("podman save --format oci-archive");
    await run(podman, ["save", "--quiet", "--format", "oci-archive", "--output", partial, imported], { env, step: "podman save" });
    const info = await readOciImage(partial);
    if (info.image !== `sha256:${imported}`) {
      throw new ImageBuildError({ step: "podman save", reason: `the archive holds image ${info.image}, not the imported sha256:${imported}` });
    }
    await rename(partial, out);
    onProgress(`image ${info.image.slice(0, 19)}: ${Math.round(info.bytes / 1e6)} MB archive in ${seconds(t0)}`);
    return info;
  } finally {
    await rm(tar, { force: true });
    await rm(partial, { force: true });
    // The archive is the image; the copy podman imported is not kept in its store.
    if (imported) await run(podman, ["rmi", "--force", imported], { env, step: "podman rmi" }).catch(() => {});
  }
}

function seconds(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

async function readStamp(path: string): Promise<{ key: string; bytes: number; info: OciImageInfo } | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as { key: string; bytes: number; info: OciImageInfo };
  } catch {
    return undefined;
  }
}

/** Runs a program (no shell), resolving with its stdout; rejects with the end of its output when it fails. */
export function run(
  command: string,
  args: string[],
  options: { env: Readonly<Record<string, string | undefined>>; onLine?: (line: string) => void; step?: string },
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: options.env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let tail = "";
    let partialLine = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      if (!options.onLine) return;
      const lines = (partialLine + chunk).split("\n");
      partialLine = lines.pop()!;
      for (const line of lines) if (line.trim()) options.onLine(line.trimEnd());
    });
    child.on("error", (error) => reject(new ImageBuildError({ step: options.step ?? command, reason: error.message })));
    child.on("close", (code, signal) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new ImageBuildError({ step: options.step ?? command, reason: signal ? `killed by ${signal}` : `exit code ${code}`, output: (tail || stdout).slice(-4000) }));
    });
  });
}
