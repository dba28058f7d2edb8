// Replaces the WASI imports through which a module could observe the host, so that the same job gives the same
// bytes on any machine: a fixed wall clock, a virtual monotonic clock that only sleeps advance, a seeded random
// source, and an output budget counted on every write.
import { createHash } from "node:crypto";

// A WASI import as WebAssembly calls it: i32 arguments arrive as numbers, i64 as bigints, and each function has
// its own arity, which no single precise signature captures.
type WasiFunction = (...args: any[]) => number;
export type WasiImports = Record<string, WasiFunction>;

const ERRNO_SUCCESS = 0;
const ERRNO_INVAL = 28;
const ERRNO_FBIG = 22;
const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_PROCESS_CPUTIME = 2;
const CLOCK_THREAD_CPUTIME = 3;
const EVENTTYPE_CLOCK = 0;
const SUBCLOCKFLAGS_ABSTIME = 1;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;

/** Unix time every job sees: 2024-01-01T00:00:00Z, in nanoseconds. */
export const FIXED_REALTIME_NS = 1_704_067_200_000_000_000n;

export interface DeterministicWasiParameters {
  /** The module's exported memory, once instantiated. */
  memory: () => WebAssembly.Memory;
  /** Seeds random_get; the job's seed (e.g. the deal id). */
  seed: Uint8Array;
  /** Total bytes the module may write through fd_write/fd_pwrite (stdout, stderr and files together). */
  outputBytes: number;
  /** Called once when the module tries to write past `outputBytes`. */
  onOutputExceeded: () => void;
}

export interface DeterministicWasi {
  imports: WasiImports;
  /** Bytes written so far. */
  written: () => number;
}

/** Wraps node:wasi's preview1 imports. */
export function deterministicWasi(base: WasiImports, params: DeterministicWasiParameters): DeterministicWasi {
  let monotonicNs = 0n;
  let written = 0;
  let counter = 0n;
  let pool = new Uint8Array(0);
  const view = () => new DataView(params.memory().buffer);
  const bytes = () => new Uint8Array(params.memory().buffer);

  const nowOf = (clockId: number): bigint | undefined => {
    if (clockId === CLOCK_REALTIME) return FIXED_REALTIME_NS + monotonicNs;
    if (clockId === CLOCK_MONOTONIC || clockId === CLOCK_PROCESS_CPUTIME || clockId === CLOCK_THREAD_CPUTIME) return monotonicNs;
    return undefined;
  };

  // SHA-256 in counter mode over the seed: reproducible everywhere, and never the host's entropy.
  const randomBytes = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (pool.length === 0) {
        const block = Buffer.alloc(8);
        block.writeBigUInt64BE(counter++);
        pool = createHash("sha256").update(params.seed).update(block).digest();
      }
      const take = Math.min(pool.length, length - filled);
      out.set(pool.subarray(0, take), filled);
      pool = pool.subarray(take);
      filled += take;
    }
    return out;
  };

  const iovecTotal = (iovs: number, count: number): number => {
    const v = view();
    let total = 0;
    for (let i = 0; i < count; i++) total += v.getUint32(iovs + i * 8 + 4, true);
    return total;
  };

  const chargeOutput = (length: number): boolean => {
    if (written + length > params.outputBytes) {
      params.onOutputExceeded();
      return false;
    }
    written += length;
    return true;
  };

  const imports: WasiImports = {
    ...base,
    clock_res_get: (clockId, resultPtr) => {
      if (nowOf(Number(clockId)) === undefined) return ERRNO_INVAL;
      view().setBigUint64(Number(resultPtr), 1n, true);
      return ERRNO_SUCCESS;
    },
    clock_time_get: (clockId, _precision, resultPtr) => {
      const now = nowOf(Number(clockId));
      if (now === undefined) return ERRNO_INVAL;
      view().setBigUint64(Number(resultPtr), now, true);
      return ERRNO_SUCCESS;
    },
    random_get: (bufPtr, length) => {
      bytes().set(randomBytes(Number(length)), Number(bufPtr));
      return ERRNO_SUCCESS;
    },
    // Sleeping advances the virtual clock instead of the real one: time passes only as the program asks, so a
    // sleeper costs no wall-clock time and a sleep loop runs into the instruction budget.
    poll_oneoff: (inPtr, outPtr, nsubscriptions, neventsPtr) => {
      const v = view();
      const n = Number(nsubscriptions);
      let advance = 0n;
      for (let i = 0; i < n; i++) {
        const sub = Number(inPtr) + i * SUBSCRIPTION_SIZE;
        const event = Number(outPtr) + i * EVENT_SIZE;
        const tag = v.getUint8(sub + 8);
        if (tag === EVENTTYPE_CLOCK) {
          const clockNow = nowOf(v.getUint32(sub + 16, true)) ?? monotonicNs;
          const timeout = v.getBigUint64(sub + 24, true);
          const absolute = (v.getUint16(sub + 40, true) & SUBCLOCKFLAGS_ABSTIME) !== 0;
          const wait = absolute ? (timeout > clockNow ? timeout - clockNow : 0n) : timeout;
          if (wait > advance) advance = wait;
        }
        v.setBigUint64(event, v.getBigUint64(sub, true), true);
        v.setUint16(event + 8, ERRNO_SUCCESS, true);
        v.setUint8(event + 10, tag);
        v.setBigUint64(event + 16, 0n, true);
        v.setUint16(event + 24, 0, true);
      }
      monotonicNs += advance;
      v.setUint32(Number(neventsPtr), n, true);
      return ERRNO_SUCCESS;
    },
    sched_yield: () => ERRNO_SUCCESS,
    fd_write: (fd, iovs, iovsLen, nwrittenPtr) =>
      chargeOutput(iovecTotal(Number(iovs), Number(iovsLen))) ? base.fd_write!(fd, iovs, iovsLen, nwrittenPtr) : ERRNO_FBIG,
    fd_pwrite: (fd, iovs, iovsLen, offset, nwrittenPtr) =>
      chargeOutput(iovecTotal(Number(iovs), Number(iovsLen)))
        ? base.fd_pwrite!(fd, iovs, iovsLen, offset, nwrittenPtr)
        : ERRNO_FBIG,
    // Growing a file without writing it would dodge the output budget.
    fd_allocate: () => ERRNO_FBIG,
    fd_filestat_set_size: (fd, size) => (chargeOutput(Number(size)) ? base.fd_filestat_set_size!(fd, size) : ERRNO_FBIG),
  };
  return { imports, written: () => written };
}
