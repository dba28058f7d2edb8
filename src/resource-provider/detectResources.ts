// What this machine can offer as a resource provider: CPUs, memory less a reserve for the system, free disk of the
// work folder's file system less a reserve, and NVIDIA GPUs where nvidia-smi answers. The arithmetic is pure
// (offeredRamMiB, offeredDiskMiB, parseNvidiaSmiCsv); detectResources does the I/O.
import { execFile } from "node:child_process";
import { statfs } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { dirname } from "node:path";
import type { FreeCapacity } from "../core/market/marketOrders.ts";

const MIB = 2 ** 20;

/** Memory kept back for the system and the provider itself: 1 GiB, or an eighth of the machine if that is more. */
export const RAM_RESERVE_MIN_MIB = 1024;
export const RAM_RESERVE_FRACTION = 1 / 8;
/** Disk kept free on the work folder's file system: 1 GiB, or 5% of the file system if that is more. */
export const DISK_RESERVE_MIN_MIB = 1024;
export const DISK_RESERVE_FRACTION = 0.05;
/** How long nvidia-smi may take before the machine is taken to have no GPU. */
export const NVIDIA_SMI_TIMEOUT_MS = 10_000;
/** The query detectResources runs. */
export const NVIDIA_SMI_ARGS = ["--query-gpu=name,memory.total", "--format=csv,noheader"] as const;

export interface GpuInfo {
  name: string;
  /** As nvidia-smi reports it; undefined when it printed no number. */
  memoryMiB: number | undefined;
}

export interface DetectedResources {
  /** What the provider offers when no flag overrides it. */
  offer: FreeCapacity;
  cpus: number;
  totalRamMiB: number;
  ramReserveMiB: number;
  /** The folder whose file system was measured (the work folder, or its nearest existing parent). */
  diskPath: string;
  /** Free space for an unprivileged user on that file system. */
  freeDiskMiB: number;
  diskReserveMiB: number;
  gpus: GpuInfo[];
  /** Why no GPU was found, when none was: nvidia-smi is absent, failed or printed nothing. */
  gpuNote: string | undefined;
}

export interface DetectResourcesParameters {
  /** The folder jobs write to: its file system's free space is the disk offered. */
  workDir: string;
  /** The environment nvidia-smi is looked up in (its PATH) and run with; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Seams for tests; default os.availableParallelism and os.totalmem. */
  cpuCount?: () => number;
  totalMemoryBytes?: () => number;
}

/** The memory offered out of `totalBytes`, and the reserve kept back. */
export function offeredRamMiB(totalBytes: number): { offered: number; reserve: number; total: number } {
  const total = Math.floor(totalBytes / MIB);
  const reserve = Math.max(RAM_RESERVE_MIN_MIB, Math.ceil(total * RAM_RESERVE_FRACTION));
  return { offered: Math.max(0, total - reserve), reserve, total };
}

/** The disk offered from a file system's statfs figures, and the reserve kept free. */
export function offeredDiskMiB(stats: { bsize: number; blocks: number; bavail: number }): { offered: number; reserve: number; free: number } {
  const free = Math.floor((stats.bavail * stats.bsize) / MIB);
  const size = Math.floor((stats.blocks * stats.bsize) / MIB);
  const reserve = Math.max(DISK_RESERVE_MIN_MIB, Math.ceil(size * DISK_RESERVE_FRACTION));
  return { offered: Math.max(0, free - reserve), reserve, free };
}

/** The GPUs in `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader` output: one a line. */
export function parseNvidiaSmiCsv(text: string): GpuInfo[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      // The memory is the last field ("24576 MiB"); a name could hold a comma, so split at the last one.
      const comma = line.lastIndexOf(",");
      const name = (comma < 0 ? line : line.slice(0, comma)).trim();
      const memory = comma < 0 ? "" : line.slice(comma + 1).trim();
      const match = /^(\d+)\s*MiB$/i.exec(memory);
      return { name, memoryMiB: match ? Number(match[1]) : undefined };
    });
}

/** Runs nvidia-smi: the GPUs it lists, or none and why. Never throws. */
export function queryNvidiaGpus(env: Readonly<Record<string, string | undefined>>): Promise<{ gpus: GpuInfo[]; note: string | undefined }> {
  return new Promise((resolve) => {
    // With `env` given, the command is looked up in env.PATH.
    execFile("nvidia-smi", [...NVIDIA_SMI_ARGS], { env: { ...env }, timeout: NVIDIA_SMI_TIMEOUT_MS, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return resolve({ gpus: [], note: "nvidia-smi not found" });
        const said = `${stderr}\n${stdout}`.trim().split("\n")[0] ?? "";
        return resolve({ gpus: [], note: `nvidia-smi failed${error.killed ? " (timed out)" : ""}${said ? `: ${said}` : ""}` });
      }
      const gpus = parseNvidiaSmiCsv(stdout);
      resolve({ gpus, note: gpus.length === 0 ? "nvidia-smi lists no GPU" : undefined });
    });
  });
}

/** The nearest existing folder at or above `path`: the work folder may not exist before the first job. */
async function statfsOfNearest(path: string): Promise<{ path: string; stats: { bsize: number; blocks: number; bavail: number } }> {
  let at = path;
  for (;;) {
    try {
      return { path: at, stats: await statfs(at) };
    } catch (error) {
      const parent = dirname(at);
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || parent === at) throw error;
      at = parent;
    }
  }
}

/** Measures this machine. */
export async function detectResources(params: DetectResourcesParameters): Promise<DetectedResources> {
  const cpus = (params.cpuCount ?? availableParallelism)();
  const ram = offeredRamMiB((params.totalMemoryBytes ?? totalmem)());
  const [disk, gpu] = await Promise.all([statfsOfNearest(params.workDir), queryNvidiaGpus(params.env ?? process.env)]);
  const diskMiB = offeredDiskMiB(disk.stats);
  return {
    offer: { cpu: cpus, ramMiB: ram.offered, gpu: gpu.gpus.length, diskMiB: diskMiB.offered },
    cpus,
    totalRamMiB: ram.total,
    ramReserveMiB: ram.reserve,
    diskPath: disk.path,
    freeDiskMiB: diskMiB.free,
    diskReserveMiB: diskMiB.reserve,
    gpus: gpu.gpus,
    gpuNote: gpu.note,
  };
}
