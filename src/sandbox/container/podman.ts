// A small wrapper around the podman CLI for the container engine (docs/containers.md). Every call spawns podman
// with an argument array, never through a shell: image IDs, names and paths reach podman as single arguments.
// Every call passes `--runtime runc`, because crun fails on the machines this was built on.
import { spawn } from "node:child_process";
import { readOciImage } from "../../storage/ociArchive.ts";
import { imageIdSchema } from "../../core/moduleManifest.ts";
import { ImageMismatchError, InvalidModuleError } from "../errors.ts";

/** The label every job container carries, so leftovers can be found (and removed) by it. */
export const JOB_LABEL = "lilypad.job";

/** podman's global flags, before the subcommand. */
export const PODMAN_GLOBAL_ARGS: readonly string[] = ["--runtime", "runc"];

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `podman <args>` to completion and collects its output (for short control commands, not jobs). */
export function podman(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<PodmanResult> {
  return runTool("podman", [...PODMAN_GLOBAL_ARGS, ...args], options.timeoutMs ?? 120_000);
}

function runTool(file: string, args: readonly string[], timeoutMs: number): Promise<PodmanResult> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", rejectRun);
    child.once("close", (code, signal) => resolveRun({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

export type PodmanAvailability = { ok: true } | { ok: false; reason: string };
let availability: Promise<PodmanAvailability> | undefined;

/**
 * Whether podman and runc are installed and podman works (its storage opens). Cached: `podman info` takes a second
 * or more, and whether podman works does not change while a process runs. Asynchronous, so that a provider starting
 * up (or `lilypad run`'s embedded network) never waits for it.
 */
export function podmanAvailability(): Promise<PodmanAvailability> {
  availability ??= checkAvailability();
  return availability;
}

async function checkAvailability(): Promise<PodmanAvailability> {
  const runc = await runTool("runc", ["--version"], 10_000).catch(() => undefined);
  if (!runc || runc.code !== 0) return { ok: false, reason: "runc is not installed (apt-get install runc)" };
  const info = await podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"], { timeoutMs: 30_000 }).catch(() => undefined);
  if (!info) return { ok: false, reason: "podman is not installed (apt-get install podman)" };
  if (info.code !== 0) return { ok: false, reason: `podman does not work here: ${info.stderr.trim().slice(-300)}` };
  return { ok: true };
}

/** Throws InvalidModuleError unless podman works here. */
export async function requirePodman(): Promise<void> {
  const found = await podmanAvailability();
  if (!found.ok) throw new InvalidModuleError({ reason: `container modules need podman with runc: ${found.reason}` });
}

export async function imageExists(image: string): Promise<boolean> {
  return (await podman(["image", "exists", image])).code === 0;
}

/** Loads in flight, by image ID: two jobs of one module that start together load its archive once. */
const loading = new Map<string, Promise<void>>();
/**
 * Images this process found or loaded in podman's storage: asking podman again costs a process and a fifth of a
 * second on every job. An image removed behind its back makes the next run fail ("not loaded"), which forgets it.
 */
const present = new Set<string>();

/** Forgets that `image` was loaded (the engine found it gone): the next job loads it again. */
export function forgetLoadedImage(image: string): void {
  present.delete(image);
}

/**
 * Makes sure the image `image` is in podman's storage, loading it from `archivePath` (an OCI archive) if not, and
 * refuses with ImageMismatchError unless the archive loads as exactly that image: the manifest's image ID is what
 * the module's id vouches for, whatever the archive holds.
 */
export async function ensureImageLoaded(params: { archivePath: string; image: string }): Promise<void> {
  const { archivePath, image } = params;
  if (!imageIdSchema.safeParse(image).success) {
    throw new InvalidModuleError({ reason: `"${image}" is not an image ID (sha256: and 64 lowercase hex digits)` });
  }
  if (present.has(image)) return;
  await requirePodman();
  const pending = loading.get(image);
  if (pending) return pending;
  const load = loadOnce(archivePath, image)
    .then(() => void present.add(image))
    .finally(() => loading.delete(image));
  loading.set(image, load);
  return load;
}

async function loadOnce(archivePath: string, image: string): Promise<void> {
  if (await imageExists(image)) return;
  // The archive is read before podman sees it: one holding another image is refused without loading anything, so a
  // hostile archive leaves nothing behind in podman's storage.
  let inArchive: string;
  try {
    inArchive = (await readOciImage(archivePath)).image;
  } catch (error) {
    throw new InvalidModuleError({ reason: error instanceof Error ? error.message : String(error) });
  }
  if (inArchive !== image) throw new ImageMismatchError({ expected: image, loaded: [inArchive], archivePath });
  const loaded = await podman(["load", "--quiet", "--input", archivePath], { timeoutMs: 600_000 });
  if (loaded.code !== 0) {
    throw new InvalidModuleError({ reason: `podman cannot load the archive ${archivePath}: ${loaded.stderr.trim().slice(-500)}` });
  }
  const ids = await loadedImageIds(loaded.stdout);
  if (ids.length !== 1 || ids[0] !== image) throw new ImageMismatchError({ expected: image, loaded: ids, archivePath });
}

/** The IDs of what `podman load` reports ("Loaded image: <name or sha256:id>", one line each). */
async function loadedImageIds(output: string): Promise<string[]> {
  const refs = [...output.matchAll(/^Loaded image\(?s?\)?:\s*(.+)$/gm)].flatMap((m) => m[1]!.split(",").map((ref) => ref.trim()));
  const ids = new Set<string>();
  for (const ref of refs) {
    if (/^sha256:[0-9a-f]{64}$/.test(ref)) {
      ids.add(ref);
      continue;
    }
    // A tagged archive names the image by its tag: its ID is what counts.
    const inspected = await podman(["image", "inspect", "--format", "{{.Id}}", ref]);
    const id = inspected.stdout.trim();
    ids.add(inspected.code === 0 && /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : ref);
  }
  return [...ids].sort();
}

/** Stops a container at once (SIGKILL) and removes it with its mounts; a container that is already gone is fine. */
export async function removeContainer(name: string): Promise<void> {
  const removed = await podman(["rm", "--force", "--time", "0", name]);
  if (removed.code !== 0 && !/no such container/i.test(removed.stderr)) {
    throw new Error(`podman rm ${name} failed: ${removed.stderr.trim().slice(-300)}`);
  }
}

/** The names of all containers, running or not, that carry `label` (`key` or `key=value`). */
export async function listContainers(label: string = JOB_LABEL): Promise<string[]> {
  const listed = await podman(["ps", "--all", "--filter", `label=${label}`, "--format", "{{.Names}}"]);
  if (listed.code !== 0) throw new Error(`podman ps failed: ${listed.stderr.trim().slice(-300)}`);
  return listed.stdout.split("\n").filter((line) => line.length > 0).sort();
}

/** What podman recorded of a container's end, or undefined if the container does not exist. */
export async function containerState(name: string): Promise<{ status: string; exitCode: number; oomKilled: boolean } | undefined> {
  const inspected = await podman(["container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}", name]);
  if (inspected.code !== 0) return undefined;
  const [status = "", exitCode = "", oom = ""] = inspected.stdout.trim().split(" ");
  return { status, exitCode: Number(exitCode), oomKilled: oom === "true" };
}
