// Test helpers: compile a module once per test process, and run a WASI command module in-process with node:wasi,
// /inputs and /outputs preopened on fresh temporary folders and stdout/stderr captured through temp files.
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { WASI } from "node:wasi";
import { compileModule, repoRoot } from "../../src/modules/compileAssemblyScript.ts";
import { parseManifest } from "../../src/core/moduleId.ts";
import { fillTemplate, resolveInputs, type InputValue } from "../../src/core/moduleInputs.ts";
import type { ModuleManifest } from "../../src/core/moduleManifest.ts";

/** A CID to stand for a file input's content (the tests place the bytes in /inputs themselves). */
export const someFileCid = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

/** modules/<name>/manifest.json, validated. */
export function loadManifest(name: string): ModuleManifest {
  return parseManifest(JSON.parse(readFileSync(join(repoRoot, "modules", name, "manifest.json"), "utf8")), `modules/${name}/manifest.json`);
}

/** argv and env for a job, the way the manifest's invocation turns inputs into them. */
export function invocationOf(manifest: ModuleManifest, given: Record<string, InputValue>): { args: string[]; env: Record<string, string> } {
  const inputs = resolveInputs({ manifest, given });
  const args = manifest.invocation.args.map((a) => fillTemplate(a, inputs));
  const env = Object.fromEntries(Object.entries(manifest.invocation.env).map(([k, v]) => [k, fillTemplate(v, inputs)]));
  return { args, env };
}

/** The entry file of modules/<name>. */
export function moduleEntry(name: string): string {
  return `modules/${name}/assembly/index.ts`;
}

// node:wasi's V8 fast API calls can crash the process (SIGSEGV) when a GC happens inside one: nodejs/node#46777,
// still open on Node 22.23. It happened here after a few runs in a process that had also run the compiler.
// Turning fast API calls off before any module is instantiated avoids it.
setFlagsFromString("--no-turbo-fast-api-calls");

const compiled = new Map<string, Promise<Uint8Array>>();

/** The module's wasm bytes, compiled in memory from its source (once per process). */
export function moduleWasm(entry: string): Promise<Uint8Array> {
  let bytes = compiled.get(entry);
  if (!bytes) {
    bytes = compileModule({ entry });
    compiled.set(entry, bytes);
  }
  return bytes;
}

export interface RunWasiParameters {
  wasm: Uint8Array;
  /** argv, including the program name. */
  args: string[];
  env?: Record<string, string>;
  /** Files to place in /inputs, by name. */
  inputs?: Record<string, string | Uint8Array>;
}

export interface RunWasiResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The files the module left in /outputs, by name. */
  outputs: Map<string, Buffer>;
}

export async function runWasi({ wasm, args, env = {}, inputs = {} }: RunWasiParameters): Promise<RunWasiResult> {
  const root = mkdtempSync(join(tmpdir(), "lilypad-module-test-"));
  try {
    const inputsDir = join(root, "inputs");
    const outputsDir = join(root, "outputs");
    mkdirSync(inputsDir);
    mkdirSync(outputsDir);
    for (const [name, content] of Object.entries(inputs)) writeFileSync(join(inputsDir, name), content);
    const stdoutPath = join(root, "stdout");
    const stderrPath = join(root, "stderr");
    const stdoutFd = openSync(stdoutPath, "w");
    const stderrFd = openSync(stderrPath, "w");
    let exitCode: number;
    try {
      const wasi = new WASI({
        version: "preview1",
        args,
        env,
        preopens: { "/inputs": inputsDir, "/outputs": outputsDir },
        stdout: stdoutFd,
        stderr: stderrFd,
        returnOnExit: true,
      });
      const module = await WebAssembly.compile(new Uint8Array(wasm));
      const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
      exitCode = wasi.start(instance);
    } finally {
      closeSync(stdoutFd);
      closeSync(stderrFd);
    }
    const outputs = new Map<string, Buffer>();
    for (const name of readdirSync(outputsDir).sort()) outputs.set(name, readFileSync(join(outputsDir, name)));
    return { exitCode, stdout: readFileSync(stdoutPath, "utf8"), stderr: readFileSync(stderrPath, "utf8"), outputs };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
