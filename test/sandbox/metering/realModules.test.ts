// Real compiler output: wabt's own emscripten-built module (600 KB of C++), an AssemblyScript WASI command
// compiled here, rabin-wasm, and the repository's built modules. Each is instrumented and must validate; where
// its imports can be provided it runs, metered, and must behave exactly like the original.
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { WASI } from "node:wasi";
import wabtInit from "wabt";
import { instrument } from "./helpers.ts";
import { instrumentEveryInstruction, ORACLE_EXPORT } from "./oracle.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

type Instantiate = typeof WebAssembly.instantiate;

/**
 * Runs wabtInit with WebAssembly.instantiate intercepted, so the test can see (and optionally replace) the
 * module wabt is built from. Returns the wabt API and the instance it runs on.
 */
async function wabtWith(transform: (bytes: Uint8Array) => Uint8Array): Promise<{ wabt: Awaited<ReturnType<typeof wabtInit>>; original: Uint8Array; instance: WebAssembly.Instance }> {
  const realInstantiate = WebAssembly.instantiate;
  let original: Uint8Array | undefined;
  let instance: WebAssembly.Instance | undefined;
  // Only the first instantiation from bytes is wabt's; anything else passes through untouched.
  const intercept = async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (original !== undefined || !(source instanceof Uint8Array || source instanceof ArrayBuffer)) {
      return realInstantiate(source as BufferSource, imports);
    }
    original = new Uint8Array(source);
    const result = await realInstantiate(new Uint8Array(transform(original)), imports);
    instance = result.instance;
    return result;
  };
  WebAssembly.instantiate = intercept as unknown as Instantiate;
  try {
    const wabt = await wabtInit();
    assert.ok(original && instance, "wabt did not instantiate through WebAssembly.instantiate");
    return { wabt, original, instance };
  } finally {
    WebAssembly.instantiate = realInstantiate;
  }
}

const SAMPLE_WAT = `(module
  (memory (export "memory") 1)
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`;

describe("real modules", () => {
  it("wabt's own module, metered, assembles WAT to the same bytes as unmetered wabt", async () => {
    const reference = await wabtWith((bytes) => bytes);
    const expected = reference.wabt.parseWat("sample.wat", SAMPLE_WAT, {}).toBinary({}).buffer;

    const metered = await wabtWith((bytes) => instrument(bytes, 10n ** 12n, 32768).wasm);
    const counter = metered.instance.exports.__lilypad_instructions as WebAssembly.Global;
    const before = counter.value as bigint;
    const actual = metered.wabt.parseWat("sample.wat", SAMPLE_WAT, {}).toBinary({}).buffer;
    const used = (counter.value as bigint) - before;
    assert.deepEqual(actual, expected);
    assert.ok(used > 10_000n, `parsing and writing took only ${used} instructions`);

    // The same work costs the same on a fresh metered instance.
    const again = await wabtWith((bytes) => instrument(bytes, 10n ** 12n, 32768).wasm);
    const counter2 = again.instance.exports.__lilypad_instructions as WebAssembly.Global;
    assert.equal(counter2.value, before, "start-up cost differs between instances");
    again.wabt.parseWat("sample.wat", SAMPLE_WAT, {}).toBinary({});
    assert.equal((counter2.value as bigint) - before, used);

    // And it is what the naive oracle counts, start-up included.
    const naive = await wabtWith((bytes) => instrumentEveryInstruction(bytes));
    const oracleCounter = naive.instance.exports[ORACLE_EXPORT] as WebAssembly.Global;
    assert.equal(oracleCounter.value, before);
    naive.wabt.parseWat("sample.wat", SAMPLE_WAT, {}).toBinary({});
    assert.equal((oracleCounter.value as bigint) - before, used);
  });

  it("an AssemblyScript WASI command prints the same output metered, with a stable count", async () => {
    const source = `
      function fib(n: i32): i64 { let a: i64 = 0, b: i64 = 1; for (let i = 0; i < n; i++) { const t = a + b; a = b; b = t; } return a; }
      const values = new Array<i32>(0);
      for (let i = 0; i < 2000; i++) values.push((i * 7919) % 1009);
      values.sort();
      let weighted: i64 = 0;
      for (let i = 0; i < values.length; i++) weighted += <i64>values[i] * i;
      const words = new Map<string, i32>();
      for (let i = 0; i < 500; i++) { const w = "w" + (i % 37).toString(); words.set(w, (words.has(w) ? words.get(w) : 0) + 1); }
      console.log("fib(80)=" + fib(80).toString() + " weighted=" + weighted.toString() + " words=" + words.size.toString());
      process.exit(3);
    `;
    // Imported here, not at the top: loading the compiler instantiates binaryen's own wasm.
    const { default: asc } = await import("assemblyscript/asc");
    let binary: Uint8Array | undefined;
    let diagnostics = "";
    const { error } = await asc.main(["prog.ts", "--config", "node_modules/@assemblyscript/wasi-shim/asconfig.json", "-O3", "--outFile", "prog.wasm"], {
      readFile: (name: string, baseDir: string) => {
        if (name === "prog.ts") return source;
        const path = resolve(repoRoot, baseDir, name);
        return existsSync(path) ? readFileSync(path, "utf8") : null;
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
      },
      listFiles: (dir: string, baseDir: string) => {
        const path = resolve(repoRoot, baseDir, dir);
        return existsSync(path) ? readdirSync(path).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")) : null;
      },
      stdout: { write: (chunk: string) => ((diagnostics += chunk), true) },
      stderr: { write: (chunk: string) => ((diagnostics += chunk), true) },
    });
    assert.equal(error, null, diagnostics);
    assert.ok(binary);

    const run = async (wasm: Uint8Array) => {
      const dir = mkdtempSync(join(tmpdir(), "lilypad-metering-"));
      const stdoutPath = join(dir, "stdout");
      const fd = openSync(stdoutPath, "w");
      try {
        const wasi = new WASI({ version: "preview1", args: ["prog"], env: {}, stdout: fd, returnOnExit: true });
        const { instance } = await WebAssembly.instantiate(new Uint8Array(wasm), wasi.getImportObject() as WebAssembly.Imports);
        let exitCode: number | "trap";
        try {
          exitCode = wasi.start(instance);
        } catch (trap) {
          assert.ok(trap instanceof WebAssembly.RuntimeError, String(trap));
          exitCode = "trap";
        }
        closeSync(fd);
        const count = (instance.exports.__lilypad_instructions ?? instance.exports[ORACLE_EXPORT]) as WebAssembly.Global | undefined;
        const exhausted = instance.exports.__lilypad_exhausted as WebAssembly.Global | undefined;
        return { exitCode, stdout: readFileSync(stdoutPath, "utf8"), count: count?.value as bigint | undefined, exhausted: exhausted?.value === 1 };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    const original = await run(binary);
    assert.match(original.stdout, /^fib\(80\)=23416728348467685 weighted=\d+ words=37\n$/);
    assert.equal(original.exitCode, 3);

    const metered = instrument(binary, 10n ** 10n, 16).wasm;
    const first = await run(metered);
    const second = await run(metered);
    assert.equal(first.stdout, original.stdout);
    assert.equal(first.exitCode, 3);
    assert.ok(first.count !== undefined && first.count > 100_000n);
    // proc_exit ends the run inside a call; the count stops exactly there, the same every time, and it is what
    // the naive oracle counts.
    assert.equal(second.count, first.count);
    const naive = await run(instrumentEveryInstruction(binary));
    assert.equal(naive.stdout, original.stdout);
    assert.equal(naive.count, first.count);

    const starved = await run(instrument(binary, first.count! / 2n, 16).wasm);
    assert.equal(starved.exitCode, "trap");
    assert.equal(starved.exhausted, true);
  });

  it("rabin-wasm (AssemblyScript, with an env import) validates and instantiates", async () => {
    const bytes = readFileSync(join(repoRoot, "node_modules/rabin-wasm/dist/rabin.wasm"));
    const result = instrument(bytes);
    assert.ok(WebAssembly.validate(result.wasm));
    const { instance } = await WebAssembly.instantiate(result.wasm, { env: { abort: () => {} } });
    assert.equal(typeof instance.exports.__lilypad_instructions, "object");
  });

  it("the repository's built WASI modules instrument and validate", async (t) => {
    const files = [
      ...(existsSync(join(repoRoot, "modules"))
        ? readdirSync(join(repoRoot, "modules")).map((name) => join(repoRoot, "modules", name, "build", "module.wasm"))
        : []),
    ].filter((file) => existsSync(file));
    if (files.length === 0) {
      t.skip("no built modules");
      return;
    }
    for (const file of files) {
      const result = instrument(readFileSync(file), 10n ** 10n, 1024);
      assert.ok(WebAssembly.validate(result.wasm), file);
      await WebAssembly.compile(result.wasm);
    }
  });
});
