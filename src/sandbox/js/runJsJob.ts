// Runs one job of a js module (an AI runtime that is JavaScript plus WebAssembly) and lays out its result
// directory exactly as runWasmJob does:
//   stdout, stderr, exitCode, outputs/...
// Each job gets a fresh Node process under Node's permission model (it may read its module, its inputs and the
// engine's runtime packages, and write only its outputs folder), inside bubblewrap where that works (no network,
// read-only file system), with an empty environment, a wall-clock limit, a memory watchdog and an output limit.
// js modules are priced per run, so nothing is metered. The contract with the module is in README.md.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, writeSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { ModuleManifest } from "../../core/moduleManifest.ts";
import { fillTemplate, type ResolvedInputs } from "../../core/moduleInputs.ts";
import {
  InvalidModuleError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  SandboxCrashError,
  WallClockTimeoutError,
} from "../errors.ts";
import { isolationFor } from "../isolation.ts";
import type { JsChildConfig, JsChildStatus } from "./jsChildProtocol.ts";
import { jsRuntimePackages, PROVIDED_PACKAGES, type JsRuntimePackages } from "./jsRuntimePackages.ts";
import { directorySize, removeIrregularEntries } from "../jobOutputs.ts";
import { placeJobInputs } from "../placeJobInputs.ts";

const CHILD_ENTRY = fileURLToPath(new URL("./jsChild.mjs", import.meta.url));
/** How often the watchdog measures the child's memory and output. */
const WATCHDOG_INTERVAL_MS = 50;

export interface RunJsJobParameters {
  /** A manifest with engine "js"; `artifact.entry` names the entry module inside `moduleDir`. */
  manifest: ModuleManifest;
  /** The module's artifact folder: the entry and any files it ships. The child may read it all. */
  moduleDir: string;
  inputs: ResolvedInputs;
  /** Where the content of each file input is on disk, by its CID. */
  inputFiles?: Record<string, string>;
  /** A fresh, empty folder for this job. */
  jobDir: string;
  /** Seeds the child's Math.random (the deal id, normally). */
  seed: Uint8Array;
  /** The runtime packages the child may read and import (default: jsRuntimePackages()). */
  runtimeDirs?: JsRuntimePackages;
  /** bubblewrap around the child: "auto" uses it where it works (default). */
  isolation?: "auto" | "bwrap" | "none";
}

export interface RunJsJobResult {
  /** The result directory: stdout, stderr, exitCode and outputs/. */
  resultDir: string;
  exitCode: number;
  durationMs: number;
}

type LimitHit = { kind: "timeout" } | { kind: "memory"; rssMiB: number } | { kind: "output" };

export async function runJsJob(params: RunJsJobParameters): Promise<RunJsJobResult> {
  const { manifest, jobDir, inputs } = params;
  const started = performance.now();
  const { memoryMiB, timeoutMs, outputBytes } = manifest.limits;
  const entry = entryPath(manifest, params.moduleDir);
  const moduleDir = realpathSync(params.moduleDir);
  const runtime = params.runtimeDirs ?? jsRuntimePackages();

  const resultDir = join(jobDir, "result");
  const inputsDir = join(jobDir, "inputs");
  const outputsDir = join(resultDir, "outputs");
  await Promise.all([mkdir(outputsDir, { recursive: true }), mkdir(inputsDir, { recursive: true })]);
  const files = await placeJobInputs({ manifest, inputs, inputFiles: params.inputFiles ?? {}, inputsDir });

  // The environment is the manifest's and nothing else, with the time zone pinned.
  const env = { ...Object.fromEntries(Object.entries(manifest.invocation.env).map(([k, v]) => [k, fillTemplate(v, inputs)])), TZ: "UTC" };
  const readable = [CHILD_ENTRY, moduleDir, inputsDir, outputsDir, ...new Set(Object.values(runtime.dirs))];
  const nodeArgs = [
    "--permission",
    ...readable.map((path) => `--allow-fs-read=${path}`),
    `--allow-fs-write=${outputsDir}`,
    `--max-old-space-size=${memoryMiB}`,
    `--random-seed=${randomSeedOf(params.seed)}`,
    CHILD_ENTRY,
    JSON.stringify({
      entry,
      moduleDir,
      inputs,
      files,
      inputsDir,
      outputsDir,
      args: manifest.invocation.args.map((a) => fillTemplate(a, inputs)),
      env,
      seed: Buffer.from(params.seed).toString("hex"),
      packages: Object.fromEntries(PROVIDED_PACKAGES.filter((name) => runtime.dirs[name]).map((name) => [name, runtime.dirs[name]!])),
      anchorUrl: runtime.anchorUrl,
    } satisfies JsChildConfig),
  ];
  // Job folders may live in memory (/dev/shm), which bubblewrap's fresh /dev would hide: the inputs are shown again.
  const isolation = isolationFor({ writableRoot: outputsDir, readOnlyRoot: inputsDir, mode: params.isolation ?? "auto" });
  const { prefixArgs } = isolation;
  const stdin = manifest.invocation.stdin === undefined ? undefined : fillTemplate(manifest.invocation.stdin, inputs);

  const stdoutFd = openSync(join(resultDir, "stdout"), "w");
  const stderrFd = openSync(join(resultDir, "stderr"), "w");
  let streamed = 0;
  let outputsSize = 0;
  let hit: LimitHit | undefined;
  let statusLine = "";

  const [command, ...commandArgs] = [...fileSizeLimit(outputBytes), isolation.command, ...prefixArgs, ...nodeArgs];
  const child = spawn(command!, commandArgs, {
    // Relative paths in the module land in its outputs.
    cwd: outputsDir,
    env,
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe", "pipe"],
  });
  const killTree = (reason: LimitHit) => {
    hit ??= reason;
    const pids = child.pid === undefined ? [] : processTree(child.pid);
    child.kill("SIGKILL");
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  // stdout and stderr go through the host, which stops the job the moment they exceed the output limit.
  const sink = (fd: number) => (chunk: Buffer) => {
    if (hit) return;
    const room = outputBytes - streamed - outputsSize;
    if (room > 0) writeSync(fd, chunk, 0, Math.min(room, chunk.length));
    streamed += chunk.length;
    if (chunk.length > room) killTree({ kind: "output" });
  };
  child.stdout!.on("data", sink(stdoutFd));
  child.stderr!.on("data", sink(stderrFd));
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => {
    if (statusLine.length < 65_536) statusLine += chunk.toString("utf8");
  });
  if (child.stdin) {
    child.stdin.on("error", () => {}); // the module may exit without reading its stdin
    child.stdin.end(stdin);
  }

  const timer = setTimeout(() => killTree({ kind: "timeout" }), timeoutMs);
  const watchdog = setInterval(() => {
    if (hit || child.pid === undefined) return;
    const rssKiB = processTree(child.pid).reduce((sum, pid) => sum + rssKiBOf(pid), 0);
    if (rssKiB > memoryMiB * 1024) return killTree({ kind: "memory", rssMiB: Math.round(rssKiB / 1024) });
    outputsSize = directorySize(outputsDir);
    if (streamed + outputsSize > outputBytes) killTree({ kind: "output" });
  }, WATCHDOG_INTERVAL_MS);

  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await new Promise((resolveExit, rejectExit) => {
      child.once("error", rejectExit);
      child.once("close", (code, signal) => resolveExit({ code, signal }));
    });
  } catch (error) {
    throw new SandboxCrashError({ detail: `cannot start ${isolation.command}: ${(error as Error).message}` });
  } finally {
    clearTimeout(timer);
    clearInterval(watchdog);
    closeSync(stdoutFd);
    closeSync(stderrFd);
  }

  const stderrPath = join(resultDir, "stderr");
  if (hit?.kind === "timeout") throw new WallClockTimeoutError({ timeoutMs });
  if (hit?.kind === "memory") throw new MemoryLimitExceededError({ memoryMiB, detail: `the process tree reached ${hit.rssMiB} MiB resident` });
  if (hit?.kind === "output" || streamed + directorySize(outputsDir) > outputBytes) throw new OutputLimitExceededError({ outputBytes });

  const status = parseStatus(statusLine);
  if (status?.kind === "invalid-module") throw new InvalidModuleError({ reason: status.message });
  if (!status) {
    const stderrTail = (await readFile(stderrPath, "utf8")).slice(-2000);
    if (/heap out of memory|Reached heap limit/.test(stderrTail)) {
      throw new MemoryLimitExceededError({ memoryMiB, detail: "the JavaScript heap reached --max-old-space-size" });
    }
    throw new SandboxCrashError({ detail: `exited (${exit.signal ?? exit.code}) without reporting: ${stderrTail.trim().slice(-500)}` });
  }

  const removed = await removeIrregularEntries(outputsDir);
  if (removed.length > 0) {
    await writeFile(stderrPath, `${await readFile(stderrPath, "utf8")}lilypad: removed from outputs (not regular files): ${removed.join(", ")}\n`);
  }
  await writeFile(join(resultDir, "exitCode"), `${status.exitCode}\n`);
  return { resultDir, exitCode: status.exitCode, durationMs: performance.now() - started };
}

/** The entry's absolute path, refused unless it is a file inside the module folder (no `..`, no symlink out). */
function entryPath(manifest: ModuleManifest, moduleDirGiven: string): string {
  if (manifest.engine !== "js") throw new InvalidModuleError({ reason: `runJsJob runs js modules, not ${manifest.engine}` });
  const entry = manifest.artifact.entry;
  if (!entry) throw new InvalidModuleError({ reason: "the manifest names no artifact.entry" });
  let moduleDir: string;
  let real: string;
  try {
    moduleDir = realpathSync(moduleDirGiven);
    real = realpathSync(resolve(moduleDir, entry));
  } catch (error) {
    throw new InvalidModuleError({ reason: `the entry ${entry} is not in the module folder`, cause: error });
  }
  const inside = relative(moduleDir, real);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside) || !lstatSync(real).isFile()) {
    throw new InvalidModuleError({ reason: `the entry ${entry} is not a file inside the module folder` });
  }
  return real;
}

/** V8's --random-seed from the job seed: the first four bytes, never 0 (which V8 takes as "unseeded"). */
function randomSeedOf(seed: Uint8Array): number {
  const bytes = Buffer.alloc(4);
  Buffer.from(seed).copy(bytes, 0, 0, 4);
  return bytes.readUInt32BE(0) & 0x7fffffff || 1;
}


let prlimitWorks: boolean | undefined;

/**
 * The watchdog measures outputs/ every 50 ms, long enough to write a few hundred MB; RLIMIT_FSIZE (with
 * util-linux's prlimit, where installed) caps every single file the child writes at once. Node ignores SIGXFSZ,
 * so the module's write fails with EFBIG and the file ends one byte over the limit, which the host reports.
 */
function fileSizeLimit(outputBytes: number): string[] {
  prlimitWorks ??= spawnSync("prlimit", ["--version"], { stdio: "ignore", timeout: 5000 }).status === 0;
  return prlimitWorks ? ["prlimit", `--fsize=${outputBytes + 1}`, "--"] : [];
}

/** `pid` and all its descendants (bwrap forks twice before Node runs). */
function processTree(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    all.push(next);
    try {
      for (const task of readdirSync(`/proc/${next}/task`)) {
        const children = readFileSync(`/proc/${next}/task/${task}/children`, "utf8").trim();
        if (children) queue.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // the process exited meanwhile
    }
  }
  return all;
}

function rssKiBOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function parseStatus(text: string): JsChildStatus | undefined {
  const line = text.split("\n")[0];
  if (!line) return undefined;
  try {
    const status = JSON.parse(line) as JsChildStatus;
    if (status.kind === "exited" && Number.isInteger(status.exitCode)) return status;
    if (status.kind === "invalid-module" && typeof status.message === "string") return status;
  } catch {
    // a malformed line counts as no report
  }
  return undefined;
}
