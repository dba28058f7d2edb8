// A pool of warm sandbox children. A fresh process per job would cost tens of milliseconds; a warm child runs
// the next job in about a millisecond and keeps compiled modules cached. A child that times out or crashes is
// killed and replaced, so one hostile job never harms the next.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, platform } from "node:os";
import { join } from "node:path";
import { siblingModulePath } from "../core/siblingModule.ts";
import type { ReadyMessage, RunReply, RunRequest } from "./childProtocol.ts";
import { SandboxCrashError, WallClockTimeoutError } from "./errors.ts";
import { isolationFor, type Isolation } from "./isolation.ts";

const CHILD_ENTRY = siblingModulePath(import.meta.url, "wasmChild");
/** V8's own heap in the child; WebAssembly memory is bounded separately, by the rewritten module maximum. */
const CHILD_HEAP_MIB = 256;
/**
 * V8's fast API calls crash node:wasi after many runs in one process (nodejs/node#46777: seen here as a SIGSEGV
 * within ~200 image jobs); warm children run many jobs, so they go without.
 */
const CHILD_NODE_FLAGS = [`--max-old-space-size=${CHILD_HEAP_MIB}`, "--no-turbo-fast-api-calls"];

export interface SandboxPoolParameters {
  /** The sandbox's folder: caches, unpacked modules, and job folders a caller makes itself. Children may write in it. */
  workRoot: string;
  /**
   * Where `newJobDir` makes job folders; children may write in it too. Default: a folder of this pool's own, made
   * in jobsParentDir and removed on close.
   */
  jobsRoot?: string;
  /** Most children at once (default: the number of CPUs). */
  size?: number;
  isolation?: "auto" | "bwrap" | "none";
  log?: (line: string) => void;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  stderr: string;
}

interface Pending {
  request: Omit<RunRequest, "type" | "id">;
  timeoutMs: number;
  resolve: (reply: RunReply) => void;
  reject: (error: Error) => void;
}

/**
 * Job folders are scratch: made, written by one job, read into the block store, removed, several times a second
 * under load. On a journaling disk each of those dozen metadata operations per job is a journal write, which at
 * full load cost a provider more CPU than the jobs themselves. So by default they live in memory, in /dev/shm
 * (Linux's tmpfs, there on every distribution) when it is writable; elsewhere, under the work folder. Memory use
 * is bounded: a job's files are limited by its manifest's output limit, and the folder is removed as soon as the
 * result is stored. Each pool makes its own jobs root there, named with its process id, and removes it, whatever
 * is left in it, on closing; the roots of processes that died without closing are removed by the next pool made
 * there. Sharing one root between processes would let one remove it under another's children.
 */
export function jobsParentDir(workRoot: string): string {
  const shm = "/dev/shm";
  try {
    if (platform() === "linux" && statSync(shm).isDirectory()) {
      accessSync(shm, constants.W_OK);
      return shm;
    }
  } catch {
    // not usable: fall through
  }
  return workRoot;
}

const JOBS_ROOT_PREFIX = "lilypad-jobs-";

/** Removes the jobs roots of pools whose process is gone (killed before it could close its pool). */
function removeOrphanedJobsRoots(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(JOBS_ROOT_PREFIX)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(JOBS_ROOT_PREFIX.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class SandboxPool {
  readonly isolation: Isolation;
  readonly size: number;
  readonly jobsRoot: string;
  /** Whether the pool made `jobsRoot` (and so removes it on close). */
  private readonly ownsJobsRoot: boolean;
  private readonly workers = new Set<Worker>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(params: SandboxPoolParameters) {
    this.size = Math.max(1, params.size ?? availableParallelism());
    mkdirSync(params.workRoot, { recursive: true });
    this.ownsJobsRoot = params.jobsRoot === undefined;
    if (params.jobsRoot === undefined) {
      const parent = jobsParentDir(params.workRoot);
      removeOrphanedJobsRoots(parent);
      this.jobsRoot = mkdtempSync(join(parent, `${JOBS_ROOT_PREFIX}${process.pid}-`));
    } else {
      this.jobsRoot = params.jobsRoot;
      mkdirSync(this.jobsRoot, { recursive: true, mode: 0o700 });
    }
    this.isolation = isolationFor({ writableRoot: [params.workRoot, this.jobsRoot], mode: params.isolation ?? "auto" });
    params.log?.(this.isolation.description);
  }

  /** A fresh, empty folder for one job, under `jobsRoot`; the caller removes it when done. */
  newJobDir(): string {
    return mkdtempSync(join(this.jobsRoot, "job-"));
  }

  /** Runs a job in a warm child, killing the child if it outlives `timeoutMs`. */
  run(request: Omit<RunRequest, "type" | "id">, timeoutMs: number): Promise<RunReply> {
    if (this.closed) return Promise.reject(new SandboxCrashError({ detail: "the sandbox pool is closed" }));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  /** Starts `count` children ahead of the first jobs. */
  async warm(count = this.size): Promise<void> {
    while (this.workers.size < Math.min(count, this.size)) this.workers.add(this.spawnWorker());
    await Promise.all([...this.workers].map((w) => w.ready));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new SandboxCrashError({ detail: "the sandbox pool closed" }));
    for (const worker of this.workers) worker.child.kill("SIGKILL");
    this.workers.clear();
    if (this.ownsJobsRoot) rmSync(this.jobsRoot, { recursive: true, force: true });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let worker = [...this.workers].find((w) => !w.busy);
      if (!worker && this.workers.size < this.size) {
        worker = this.spawnWorker();
        this.workers.add(worker);
      }
      if (!worker) return;
      this.execute(worker, this.queue.shift()!);
    }
  }

  private spawnWorker(): Worker {
    const child = spawn(this.isolation.command, [...this.isolation.prefixArgs, ...CHILD_NODE_FLAGS, CHILD_ENTRY], {
      // The child inherits nothing from the host's environment.
      env: {},
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
    const worker: Worker = { child, busy: false, stderr: "", ready: Promise.resolve() };
    child.stderr?.on("data", (chunk: Buffer) => {
      worker.stderr = (worker.stderr + chunk.toString()).slice(-4000);
    });
    worker.ready = new Promise((resolve, reject) => {
      const onMessage = (message: ReadyMessage) => {
        if (message?.type !== "ready") return;
        child.off("message", onMessage);
        resolve();
      };
      child.on("message", onMessage);
      child.once("exit", (code, signal) => reject(new SandboxCrashError({ detail: `exited (${signal ?? code}) before it was ready: ${worker.stderr.trim()}` })));
    });
    worker.ready.catch(() => this.workers.delete(worker));
    child.once("exit", () => this.workers.delete(worker));
    return worker;
  }

  private execute(worker: Worker, pending: Pending): void {
    worker.busy = true;
    const id = this.nextId++;
    const { child } = worker;
    let settled = false;
    const finish = (outcome: () => void, keepWorker: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (keepWorker) worker.busy = false;
      else {
        this.workers.delete(worker);
        child.kill("SIGKILL");
      }
      outcome();
      this.dispatch();
    };
    const onMessage = (message: RunReply) => {
      if (message?.type === "done" && message.id === id) finish(() => pending.resolve(message), true);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(() => pending.reject(new SandboxCrashError({ detail: `exited (${signal ?? code}) during the job: ${worker.stderr.trim()}` })), false);
    let timer: NodeJS.Timeout | undefined;
    child.on("message", onMessage);
    child.on("exit", onExit);
    worker.ready.then(
      () => {
        if (settled) return;
        // The clock starts when the job does, not while a fresh child boots.
        timer = setTimeout(
          () => finish(() => pending.reject(new WallClockTimeoutError({ timeoutMs: pending.timeoutMs })), false),
          pending.timeoutMs,
        );
        child.send({ ...pending.request, type: "run", id } satisfies RunRequest);
      },
      (error: Error) => finish(() => pending.reject(error), false),
    );
  }
}
