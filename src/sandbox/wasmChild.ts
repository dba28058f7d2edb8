// The sandbox's child process: runs one WASI job at a time with node:wasi, reports how it ended and how many
// instructions it executed. The host kills it with SIGKILL at the wall-clock limit, which also stops a module
// blocked in a host call (a worker thread could not be stopped there). Compiled modules stay cached here, so a
// warm child runs the next job of the same module without compiling again.
import { closeSync, openSync, readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import type { RunOutcome, RunReply, RunRequest } from "./childProtocol.ts";
import { deterministicWasi, type WasiImports } from "./deterministicWasi.ts";
import { EXHAUSTED_EXPORT, HOST_REFUSED_EXPORT, INSTRUCTIONS_EXPORT, MEMORY_DENIED_EXPORT } from "./metering/instrumentModule.ts";

const compiled = new Map<string, WebAssembly.Module>();
const MAX_CACHED_MODULES = 32;

function compile(request: RunRequest): { module: WebAssembly.Module; cached: boolean } {
  const hit = compiled.get(request.cacheKey);
  if (hit) return { module: hit, cached: true };
  const module = new WebAssembly.Module(readFileSync(request.wasmPath));
  if (compiled.size >= MAX_CACHED_MODULES) compiled.delete(compiled.keys().next().value!);
  compiled.set(request.cacheKey, module);
  return { module, cached: false };
}

function run(request: RunRequest): RunReply {
  const fds = [openSync(request.stdinPath, "r"), openSync(request.stdoutPath, "w"), openSync(request.stderrPath, "w")] as const;
  let instance: WebAssembly.Instance | undefined;
  let cached = false;
  let outputExceeded = false;
  const instructions = (): bigint => {
    const counter = instance?.exports[INSTRUCTIONS_EXPORT];
    // The counter is an i64 that the host reads as unsigned.
    return counter instanceof WebAssembly.Global ? BigInt.asUintN(64, BigInt(counter.value as bigint)) : 0n;
  };
  const raised = (name: string): boolean => {
    const flag = instance?.exports[name];
    return flag instanceof WebAssembly.Global && flag.value === 1;
  };
  const exhausted = () => raised(EXHAUSTED_EXPORT);
  // The metering pass raises this flag when a memory.grow is refused at the job's memory limit.
  const memoryAtCap = () => raised(MEMORY_DENIED_EXPORT);
  // And this one when the host refused a memory.grow the limit allows: whatever the module made of that, the run
  // says something about this machine, not the job.
  const hostRefused = () => raised(HOST_REFUSED_EXPORT);
  let outcome: RunOutcome;
  try {
    const wasi = new WASI({
      version: "preview1",
      args: request.args,
      env: request.env,
      preopens: { "/inputs": request.inputsDir, "/outputs": request.outputsDir },
      stdin: fds[0],
      stdout: fds[1],
      stderr: fds[2],
      returnOnExit: true,
    });
    const compiledModule = compile(request);
    cached = compiledModule.cached;
    const { wasi_snapshot_preview1: wasiBase } = wasi.getImportObject() as { wasi_snapshot_preview1: WasiImports };
    const wasiImports = deterministicWasi(wasiBase, {
      memory: () => instance!.exports.memory as WebAssembly.Memory,
      seed: Buffer.from(request.seed, "hex"),
      outputBytes: request.outputBytes,
      onOutputExceeded: () => {
        outputExceeded = true;
      },
    });
    try {
      instance = new WebAssembly.Instance(compiledModule.module, { wasi_snapshot_preview1: wasiImports.imports });
    } catch (error) {
      // The memory is allocated here: a host short of memory fails the instantiation, a module cannot.
      if (isOutOfMemory(error)) return reply(request, { kind: "host-out-of-memory", message: (error as Error).message }, 0n, cached);
      return reply(request, { kind: "invalid-module", message: (error as Error).message }, 0n, cached);
    }
    try {
      const exitCode = wasi.start(instance);
      if (hostRefused()) outcome = { kind: "host-out-of-memory", message: `exited with ${exitCode} after the host refused a memory.grow` };
      else if (outputExceeded) outcome = { kind: "output-limit" };
      else if (exitCode !== 0 && memoryAtCap()) outcome = { kind: "memory-limit", message: `exited with ${exitCode} at the memory limit` };
      else outcome = { kind: "exited", exitCode };
    } catch (error) {
      if (exhausted()) outcome = { kind: "instruction-budget" };
      else if (hostRefused() || isOutOfMemory(error)) outcome = { kind: "host-out-of-memory", message: String(error) };
      // How deep a module may recurse depends on V8's frame sizes, which change when it tiers a function up on a
      // background thread: reproducible neither across machines nor across runs.
      else if (isStackOverflow(error)) outcome = { kind: "stack-overflow", message: (error as Error).message };
      else if (outputExceeded) outcome = { kind: "output-limit" };
      else if (memoryAtCap()) outcome = { kind: "memory-limit", message: (error as Error).message };
      else outcome = { kind: "trapped", message: error instanceof WebAssembly.RuntimeError ? error.message : String(error) };
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return reply(request, outcome, instructions(), cached);
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

function isOutOfMemory(error: unknown): boolean {
  return error instanceof RangeError && /out of memory/i.test(error.message);
}

function reply(request: RunRequest, outcome: RunOutcome, instructions: bigint, cached: boolean): RunReply {
  return { type: "done", id: request.id, outcome, instructions: instructions.toString(), cached };
}

process.on("message", (message: RunRequest) => {
  if (message?.type !== "run") return;
  process.send!(run(message));
});
process.send!({ type: "ready" });
