// Follows a running job's stdout and stderr files as the sandbox writes them, for whoever wants to watch the job
// (the resource provider forwards them to the solver). Both engines write the job's output straight to these files
// (wasm through WASI's fds, js through the host's pipes), so reading what they have grown by is all it takes, and
// the run itself is untouched: the result is the same whether anyone watches or not.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";

export type OutputStream = "stdout" | "stderr";

export interface TailJobOutputParameters {
  /** The job's result directory (its `stdout` and `stderr` files may not exist yet). */
  dir: string;
  /** Each new piece of output, in order per stream. */
  onOutput: (stream: OutputStream, data: Uint8Array) => void;
  /** How often to look (ms). */
  intervalMs?: number;
  /**
   * The most bytes read per stream per look: a job writing faster is followed with a lag, never in one huge read.
   * Each look reads what the file has grown by, into a buffer of that size: a few hundred bytes of output are not
   * worth a buffer of this size, outside Node's buffer pool, on every job.
   */
  maxReadBytes?: number;
}

export interface OutputTail {
  /** Reads what is left (up to the per-look bound) and stops. */
  stop(): Promise<void>;
}

export function tailJobOutput(params: TailJobOutputParameters): OutputTail {
  const intervalMs = params.intervalMs ?? 250;
  const maxRead = params.maxReadBytes ?? 64 * 1024;
  const streams = (["stdout", "stderr"] as const).map((name) => ({ name, path: join(params.dir, name), offset: 0 }));
  let stopped = false;

  /**
   * Reads what each file has grown by, into a buffer of that size. Synchronous, as the job folder's other small-file
   * work is (see runWasmJob.ts): most jobs end before the first timed look, so the one at `stop` is their only one,
   * and opening, reading and closing two small files through libuv's thread pool cost several times the reads. A
   * file is opened by its path each time, so a job run again (runWasmJob.ts, after a trap) is followed in its new files.
   */
  const look = () => {
    for (const s of streams) {
      let fd: number | undefined;
      try {
        fd = openSync(s.path, "r");
        const wanted = Math.min(maxRead, fstatSync(fd).size - s.offset);
        if (wanted <= 0) continue;
        const buffer = Buffer.allocUnsafe(wanted);
        const bytesRead = readSync(fd, buffer, 0, wanted, s.offset);
        if (bytesRead === 0) continue;
        s.offset += bytesRead;
        params.onOutput(s.name, buffer.subarray(0, bytesRead));
      } catch {
        // Not made yet, or gone with the job folder: nothing to show.
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  };
  const timer = setInterval(look, intervalMs);

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      look();
    },
  };
}
