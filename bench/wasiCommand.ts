// Runs a compiled WASI command module once, on a fresh instance, with node:wasi, collecting stdout and stderr in
// memory. Used by the metering benchmark and its test. As in the sandbox (src/sandbox/deterministicWasi.ts),
// random_get is seeded, so that a run does the same work every time: Rust's HashMap, for one, seeds its hasher
// from it, and a different seed means different probe sequences and a different instruction count.
//
// fd_write is answered here in JavaScript rather than by node:wasi's own import: called straight from wasm, that
// import is a V8 fast API call, and it allocates through a memory manager that reports to V8's heap; once a
// program has grown its memory by some tens of MB, that report can start a garbage collection inside the fast
// call, which then crashes the process (SIGSEGV in InnerPointerToCodeCache::GetCacheEntry while walking the stack;
// Node 22.23 here: a C program that allocates 100 MB and then prints fails about one run in two).
import { WASI } from "node:wasi";

export interface WasiRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  instance: WebAssembly.Instance;
}

type WasiFunction = (...args: number[]) => number;

const ERRNO_SUCCESS = 0;

/** Instantiates `module` afresh and runs its `_start` with `args` (argv[0] included). */
export function runWasiCommand(module: WebAssembly.Module, args: string[]): WasiRun {
  const wasi = new WASI({ version: "preview1", args, env: {}, returnOnExit: true });
  const base = (wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, WasiFunction> }).wasi_snapshot_preview1;
  const chunks: Record<number, Uint8Array[]> = { 1: [], 2: [] };
  let memory: WebAssembly.Memory | undefined;
  const fd_write: WasiFunction = (fd, iovs, iovsLength, writtenPtr) => {
    const collected = chunks[fd];
    if (!collected || !memory) return base.fd_write!(fd, iovs, iovsLength, writtenPtr);
    const view = new DataView(memory.buffer);
    let written = 0;
    for (let i = 0; i < iovsLength; i++) {
      const pointer = view.getUint32(iovs + i * 8, true);
      const length = view.getUint32(iovs + i * 8 + 4, true);
      collected.push(new Uint8Array(memory.buffer, pointer, length).slice());
      written += length;
    }
    view.setUint32(writtenPtr, written, true);
    return ERRNO_SUCCESS;
  };
  let state = 0x2545f4914f6cdd1dn;
  const random_get: WasiFunction = (pointer, length) => {
    const bytes = new Uint8Array(memory!.buffer, pointer, length);
    for (let i = 0; i < length; i++) {
      // xorshift64, one byte per step: fixed, not secret.
      state ^= (state << 13n) & 0xffffffffffffffffn;
      state ^= state >> 7n;
      state ^= (state << 17n) & 0xffffffffffffffffn;
      bytes[i] = Number(state & 0xffn);
    }
    return ERRNO_SUCCESS;
  };
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: { ...base, fd_write, random_get } });
  memory = instance.exports.memory as WebAssembly.Memory;
  const exitCode = wasi.start(instance);
  const decode = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8");
  return { exitCode, stdout: decode(chunks[1]!), stderr: decode(chunks[2]!), instance };
}
