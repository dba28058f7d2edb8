// Runs one job of a container module (an OCI image, already loaded by ensureImageLoaded) under podman, and lays out
// its result folder as every engine does: stdout, stderr, exitCode, outputs/. The limits are those of
// docs/containers.md: memory, CPU and processes by the container's cgroup, the wall clock and the output by
// watchdogs on the host, which kill and remove the container. Nothing is left running or mounted afterwards.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fillTemplate, type ResolvedInputs } from "../../core/moduleInputs.ts";
import { imageIdSchema, type ModuleManifest } from "../../core/moduleManifest.ts";
import {
  InvalidModuleError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  SandboxCrashError,
  WallClockTimeoutError,
} from "../errors.ts";
import { directorySize, removeIrregularEntries } from "../jobOutputs.ts";
import { placeJobInputs } from "../placeJobInputs.ts";
import { containerRunArgs } from "./containerRunArgs.ts";
import { containerState, forgetLoadedImage, PODMAN_GLOBAL_ARGS, removeContainer, requirePodman } from "./podman.ts";

/** How often the watchdog measures outputs/. */
const WATCHDOG_INTERVAL_MS = 50;
/** The uid and gid the container runs as (CONTAINER_USER), who must be able to write outputs/. */
const NOBODY = 65534;
/**
 * The exit status of a process killed by SIGKILL. Inside a job's container only the OOM killer sends it (or the
 * module to itself, which then only earns itself a limit error instead of a result).
 */
const SIGKILL_STATUS = 137;
/** podman's own statuses: 125 podman failed, 126 the command cannot run, 127 the command is not found. */
const PODMAN_FAILED = new Set([125, 126, 127]);

export interface RunContainerJobParameters {
  /** A manifest with engine "container". */
  manifest: ModuleManifest;
  /** The image to run: the manifest's artifact.image, already in podman's storage (ensureImageLoaded). */
  image: string;
  inputs: ResolvedInputs;
  /** Where the content of each file input is on disk, by its CID. */
  inputFiles?: Record<string, string>;
  /** A fresh, empty folder for this job. */
  jobDir: string;
  /** The job's seed (the deal id, normally), given to the module as LILYPAD_SEED. */
  seed: Uint8Array;
  /** Give the container the host's NVIDIA GPUs (CDI). */
  gpu?: boolean;
}

export interface RunContainerJobResult {
  /** The result directory: stdout, stderr, exitCode and outputs/. */
  resultDir: string;
  exitCode: number;
  durationMs: number;
}

type LimitHit = "timeout" | "output";

export async function runContainerJob(params: RunContainerJobParameters): Promise<RunContainerJobResult> {
  const { manifest, image, inputs, jobDir } = params;
  const started = performance.now();
  checkImage(manifest, image);
  await requirePodman();
  const { memoryMiB, timeoutMs, outputBytes } = manifest.limits;

  const resultDir = join(jobDir, "result");
  const inputsDir = join(jobDir, "inputs");
  const outputsDir = join(resultDir, "outputs");
  await Promise.all([mkdir(outputsDir, { recursive: true }), mkdir(inputsDir, { recursive: true })]);
  await placeJobInputs({ manifest, inputs, inputFiles: params.inputFiles ?? {}, inputsDir });
  makeWritableByNobody(outputsDir);

  const stdin = manifest.invocation.stdin === undefined ? undefined : fillTemplate(manifest.invocation.stdin, inputs);
  const name = `lilypad-job-${randomBytes(8).toString("hex")}`;
  const args = containerRunArgs({ manifest, image, inputs, name, inputsDir, outputsDir, seed: params.seed, gpu: params.gpu ?? false, stdin: stdin !== undefined });

  const stdoutFd = openSync(join(resultDir, "stdout"), "w");
  const stderrFd = openSync(join(resultDir, "stderr"), "w");
  let streamed = 0;
  let hit: LimitHit | undefined;
  try {
    const child = spawn("podman", [...PODMAN_GLOBAL_ARGS, ...args], {
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      // podman needs no more of the host's environment than where its programs are.
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      // conmon (podman 4.3) writes a file named `oom` into its working folder when the kernel kills a container for
      // memory: the job's own folder, removed with the job, rather than wherever the provider was started.
      cwd: jobDir,
    });
    // Killing the client alone would leave the container running under conmon: it is removed too, and once more in
    // the finally below, after the client is gone and can create nothing more.
    const stop = (reason: LimitHit) => {
      if (hit) return;
      hit = reason;
      child.kill("SIGKILL");
      void removeContainer(name).catch(() => {});
    };
    // stdout and stderr go through the host, which stops the job the moment they pass the output limit.
    let outputsSize = 0;
    const sink = (fd: number) => (chunk: Buffer) => {
      if (hit) return;
      const room = outputBytes - streamed - outputsSize;
      if (room > 0) writeSync(fd, chunk, 0, Math.min(room, chunk.length));
      streamed += chunk.length;
      if (chunk.length > room) stop("output");
    };
    child.stdout!.on("data", sink(stdoutFd));
    child.stderr!.on("data", sink(stderrFd));
    if (child.stdin) {
      child.stdin.on("error", () => {}); // the module may exit without reading its stdin
      child.stdin.end(stdin);
    }
    const timer = setTimeout(() => stop("timeout"), timeoutMs);
    const watchdog = setInterval(() => {
      if (hit) return;
      outputsSize = directorySize(outputsDir);
      if (streamed + outputsSize > outputBytes) stop("output");
    }, WATCHDOG_INTERVAL_MS);

    let clientStatus: number;
    try {
      clientStatus = await new Promise<number>((resolveExit, rejectExit) => {
        child.once("error", rejectExit);
        child.once("close", (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
      });
    } catch (error) {
      throw new SandboxCrashError({ detail: `cannot start podman: ${(error as Error).message}` });
    } finally {
      clearTimeout(timer);
      clearInterval(watchdog);
    }

    if (hit === "timeout") throw new WallClockTimeoutError({ timeoutMs });
    if (hit === "output" || streamed + directorySize(outputsDir) > outputBytes) throw new OutputLimitExceededError({ outputBytes });
    const exitCode = await exitCodeOf(name, image, clientStatus, memoryMiB, join(resultDir, "stderr"));

    const removed = await removeIrregularEntries(outputsDir);
    if (removed.length > 0) {
      writeSync(stderrFd, `lilypad: removed from outputs (not regular files): ${removed.join(", ")}\n`);
    }
    await writeFile(join(resultDir, "exitCode"), `${exitCode}\n`);
    return { resultDir, exitCode, durationMs: performance.now() - started };
  } finally {
    closeSync(stdoutFd);
    closeSync(stderrFd);
    await removeContainer(name);
  }
}

/** The manifest must be a container module's, naming the image the caller loaded. */
function checkImage(manifest: ModuleManifest, image: string): void {
  if (manifest.engine !== "container") throw new InvalidModuleError({ reason: `runContainerJob runs container modules, not ${manifest.engine}` });
  if (!imageIdSchema.safeParse(image).success) throw new InvalidModuleError({ reason: `"${image}" is not an image ID (sha256: and 64 lowercase hex digits)` });
  if (manifest.artifact.image !== image) {
    throw new InvalidModuleError({ reason: `the manifest names the image ${manifest.artifact.image ?? "(none)"}, not ${image}` });
  }
}

/**
 * The container runs as nobody, who must be able to write outputs/. As root (rootful podman) the folder is given
 * to nobody; otherwise it is opened to all, since the job folder around it is the host's own.
 */
function makeWritableByNobody(outputsDir: string): void {
  if (process.getuid?.() === 0) chownSync(outputsDir, NOBODY, NOBODY);
  else chmodSync(outputsDir, 0o777);
}

/**
 * The container's exit status, or the typed error for how it ended. The client's own status is the container's,
 * except for podman's 125-127 and the 137 of a kill: for those podman's record of the container decides.
 */
async function exitCodeOf(name: string, image: string, clientStatus: number, memoryMiB: number, stderrPath: string): Promise<number> {
  if (!PODMAN_FAILED.has(clientStatus) && clientStatus !== SIGKILL_STATUS) return clientStatus;
  const state = await containerState(name);
  const stderrTail = async () => (await readFile(stderrPath, "utf8")).trim().slice(-500);
  if (!state) {
    const tail = await stderrTail();
    if (/image not known/i.test(tail)) {
      forgetLoadedImage(image);
      throw new InvalidModuleError({ reason: "the image is not loaded (ensureImageLoaded first)" });
    }
    throw new SandboxCrashError({ detail: `podman could not create the container (${clientStatus}): ${tail}` });
  }
  // podman 4.3 with runc on cgroup v1 does not report OOMKilled, hence the 137 of an exited container too.
  if (state.oomKilled || (state.status === "exited" && state.exitCode === SIGKILL_STATUS)) {
    throw new MemoryLimitExceededError({ memoryMiB, detail: "the container's cgroup ran out of memory and was OOM-killed" });
  }
  if (state.status !== "exited") {
    throw new InvalidModuleError({ reason: `the container's command cannot start (${clientStatus}): ${await stderrTail()}` });
  }
  return state.exitCode;
}
