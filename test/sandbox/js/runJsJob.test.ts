// The js engine: the OCR and classify modules give the right, byte-identical results on every run, and hostile
// modules are refused or stopped with the right typed error while the host carries on.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { resolveInputs, type InputValue } from "../../../src/core/moduleInputs.ts";
import { moduleManifestSchema, type ModuleManifest, type ModuleManifestInput } from "../../../src/core/moduleManifest.ts";
import {
  InvalidModuleError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  WallClockTimeoutError,
} from "../../../src/sandbox/errors.ts";
import { bubblewrapWorks } from "../../../src/sandbox/isolation.ts";
import { runJsJob, type RunJsJobResult } from "../../../src/sandbox/js/runJsJob.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const modulesDir = join(repoRoot, "modules");
const hostileDir = join(repoRoot, "test", "fixtures", "hostile-js");
const imagesDir = join(repoRoot, "test", "fixtures", "images");
const IMAGE_CID = "bafkreifixtureimagefixtureimagefixtureimagefixtureimagefixtu";
const DATA_CID = "bafkreifixturedatafixturedatafixturedatafixturedatafixturedat";
const SEED = new Uint8Array(32).fill(7);
const hasPrlimit = spawnSync("prlimit", ["--version"], { stdio: "ignore" }).status === 0;

let workRoot: string;
let jobs = 0;

function freshJobDir(): string {
  return mkdtempSync(join(workRoot, `job-${jobs++}-`));
}

function loadManifest(name: string): ModuleManifest {
  return moduleManifestSchema.parse(JSON.parse(readFileSync(join(modulesDir, name, "manifest.json"), "utf8")));
}

function hostileManifest(entry: string, extra: Partial<ModuleManifestInput> = {}): ModuleManifest {
  return moduleManifestSchema.parse({
    manifestVersion: 1,
    name: "hostile",
    version: "v1",
    description: "a test module",
    author: "test",
    engine: "js",
    artifact: { cid: "bafkreiplaceholderplaceholderplaceholderplaceholderplaceholde", entry },
    deterministic: true,
    pricing: "per-run",
    ...extra,
    // Node alone takes some 50 MiB resident: the schema's default of 64 MiB suits wasm modules, not js ones.
    limits: { memoryMiB: 256, timeoutMs: 10_000, outputBytes: 1 << 20, ...extra.limits },
  });
}

async function runModule(params: {
  manifest: ModuleManifest;
  moduleDir: string;
  given?: Record<string, InputValue>;
  inputFiles?: Record<string, string>;
  seed?: Uint8Array;
  isolation?: "auto" | "bwrap" | "none";
}): Promise<RunJsJobResult> {
  return runJsJob({
    manifest: params.manifest,
    moduleDir: params.moduleDir,
    inputs: resolveInputs({ manifest: params.manifest, given: params.given ?? {} }),
    inputFiles: params.inputFiles ?? {},
    jobDir: freshJobDir(),
    seed: params.seed ?? SEED,
    isolation: params.isolation,
  });
}

const read = (result: RunJsJobResult, path: string) => readFileSync(join(result.resultDir, path), "utf8");

/** Every file under `dir`, by relative path. */
function filesOf(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/** Live descendants of this test process (there should be none between jobs). */
function childProcesses(): string[] {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean),
  );
}

before(() => {
  workRoot = mkdtempSync(join(tmpdir(), "lilypad-js-test-"));
});

after(() => {
  // Jobs leave their inputs folder read-only.
  for (const job of readdirSync(workRoot)) {
    if (existsSync(join(workRoot, job, "inputs"))) chmodSync(join(workRoot, job, "inputs"), 0o755);
  }
  rmSync(workRoot, { recursive: true, force: true });
});

describe("AI modules", () => {
  const firstRuns = new Map<string, RunJsJobResult>();

  it("ocr reads the fixture's text exactly", async (t) => {
    const result = await runModule({
      manifest: loadManifest("ocr"),
      moduleDir: join(modulesDir, "ocr"),
      given: { Image: IMAGE_CID },
      inputFiles: { [IMAGE_CID]: join(imagesDir, "hello.png") },
    });
    t.diagnostic(`ocr run: ${result.durationMs.toFixed(0)} ms`);
    assert.equal(result.exitCode, 0, read(result, "stderr"));
    assert.equal(read(result, "stdout"), "HELLO LILYPAD 42\n");
    assert.equal(read(result, "outputs/text.txt"), "HELLO LILYPAD 42\n");
    const summary = JSON.parse(read(result, "outputs/result.json")) as { text: string; confidence: number; words: number };
    assert.equal(summary.text, "HELLO LILYPAD 42\n");
    assert.equal(summary.words, 3);
    assert.ok(Number.isInteger(summary.confidence) && summary.confidence > 50, `confidence ${summary.confidence}`);
    assert.equal(read(result, "exitCode"), "0\n");
    firstRuns.set("ocr", result);
  });

  it("classify returns 5 labels with probabilities summing to about 1", async (t) => {
    const result = await runModule({
      manifest: loadManifest("classify"),
      moduleDir: join(modulesDir, "classify"),
      given: { Image: IMAGE_CID },
      inputFiles: { [IMAGE_CID]: join(imagesDir, "pattern.png") },
    });
    t.diagnostic(`classify run: ${result.durationMs.toFixed(0)} ms`);
    assert.equal(result.exitCode, 0, read(result, "stderr"));
    const labels = JSON.parse(read(result, "outputs/labels.json")) as Array<{ className: string; probability: number }>;
    assert.equal(labels.length, 5);
    assert.deepEqual(labels.map((l) => l.className).sort(), ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
    const sum = labels.reduce((s, l) => s + l.probability, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `sum ${sum}`);
    assert.deepEqual(labels, [...labels].sort((a, b) => b.probability - a.probability));
    assert.ok(labels.every((l) => Number(l.probability.toFixed(6)) === l.probability));
    assert.equal(read(result, "stdout").trim().split("\n").length, 5);
    firstRuns.set("classify", result);
  });

  it("gives byte-identical result directories when run again", async (t) => {
    for (const [name, image] of [["ocr", "hello.png"], ["classify", "pattern.png"]] as const) {
      const first = firstRuns.get(name);
      assert.ok(first, `the first ${name} run failed`);
      const second = await runModule({
        manifest: loadManifest(name),
        moduleDir: join(modulesDir, name),
        given: { Image: IMAGE_CID },
        inputFiles: { [IMAGE_CID]: join(imagesDir, image) },
      });
      t.diagnostic(`${name} second run: ${second.durationMs.toFixed(0)} ms`);
      const [a, b] = [filesOf(first.resultDir), filesOf(second.resultDir)];
      assert.deepEqual([...b.keys()], [...a.keys()]);
      for (const [path, bytes] of a) assert.ok(bytes.equals(b.get(path)!), `${name}: ${path} differs between runs`);
    }
  });
});

describe("the js engine's contract", () => {
  const echo = (extra: Partial<ModuleManifestInput> = {}) =>
    hostileManifest("echo.mjs", {
      inputs: [
        { name: "Data", type: "file", fileName: "data.txt" },
        { name: "Word", type: "string", default: "hi" },
        { name: "Exit", type: "integer", default: 0 },
      ],
      invocation: { args: ["--word", "{{Word}}"], env: { GREETING: "hello {{Word}}" }, stdin: "stdin says {{Word}}" },
      ...extra,
    });

  it("passes inputs, files, args, stdin and only the manifest's environment, and seeds Math.random", async () => {
    const data = join(workRoot, "data.txt");
    await import("node:fs/promises").then((fs) => fs.writeFile(data, "some data"));
    const run = (seed: Uint8Array) =>
      runModule({ manifest: echo(), moduleDir: hostileDir, given: { Data: DATA_CID, Word: "yo", Exit: 3 }, inputFiles: { [DATA_CID]: data }, seed });
    const [one, two, other] = [await run(SEED), await run(SEED), await run(new Uint8Array(32).fill(9))];
    assert.equal(one.exitCode, 3);
    assert.equal(read(one, "exitCode"), "3\n");
    const report = JSON.parse(read(one, "outputs/report.json")) as Record<string, unknown>;
    assert.deepEqual(report.inputs, { Data: DATA_CID, Word: "yo", Exit: 3 });
    assert.equal(report.file, "some data");
    assert.equal(report.stdin, "stdin says yo");
    assert.deepEqual(report.args, ["--word", "yo"]);
    assert.deepEqual(report.env, { GREETING: "hello yo", TZ: "UTC" });
    assert.equal(report.timeZone, "UTC");
    assert.equal(read(one, "stderr"), "to stderr\n");
    assert.equal(read(two, "stdout"), read(one, "stdout"), "same seed, same Math.random");
    assert.notEqual(JSON.parse(read(other, "outputs/report.json")).random, report.random);
  });

  it("refuses an entry without a run function, or outside the module folder", async () => {
    await assert.rejects(runModule({ manifest: hostileManifest("no-run.mjs"), moduleDir: hostileDir }), InvalidModuleError);
    await assert.rejects(runModule({ manifest: hostileManifest("../images/hello.png"), moduleDir: hostileDir }), InvalidModuleError);
    await assert.rejects(runModule({ manifest: hostileManifest("missing.mjs"), moduleDir: hostileDir }), InvalidModuleError);
  });
});

describe("hostile js modules", () => {
  const deniedBy = async (entry: string, pattern: RegExp, isolation?: "auto" | "none") => {
    const result = await runModule({ manifest: hostileManifest(entry), moduleDir: hostileDir, isolation });
    assert.notEqual(result.exitCode, 0);
    const stderr = read(result, "stderr");
    assert.match(stderr, pattern);
    return result;
  };

  it("cannot read /etc/passwd", async () => {
    const result = await deniedBy("read-passwd.mjs", /permission denied \(FileSystemRead \/etc\/passwd\)/);
    assert.equal(read(result, "stdout"), "");
  });

  it("cannot read /etc/passwd without bubblewrap either (the permission model alone)", async () => {
    await deniedBy("read-passwd.mjs", /permission denied \(FileSystemRead \/etc\/passwd\)/, "none");
  });

  it("cannot write outside its outputs folder", async () => {
    const result = await deniedBy("write-outside.mjs", /permission denied \(FileSystemWrite .*\/result\/exitCode\)/);
    assert.equal(read(result, "exitCode"), "1\n");
  });

  it("cannot fetch", async () => {
    await deniedBy("fetch.mjs", /permission denied \(Network fetch http:\/\/example.com\/?\)/);
  });

  it("cannot open a socket under bubblewrap", { skip: !bubblewrapWorks() && "bubblewrap is not available" }, async () => {
    await deniedBy("raw-socket.mjs", /ENETUNREACH|EAI_AGAIN|ECONNREFUSED/);
  });

  it("cannot start programs", async () => {
    await deniedBy("spawn-shell.mjs", /permission denied \(ChildProcess/);
  });

  it("is killed at the wall-clock limit", async () => {
    const started = performance.now();
    await assert.rejects(runModule({ manifest: hostileManifest("spin.mjs", { limits: { timeoutMs: 1500 } }), moduleDir: hostileDir }), WallClockTimeoutError);
    assert.ok(performance.now() - started < 4000);
  });

  it("is killed at the memory limit, off the heap and on it", async () => {
    for (const entry of ["memory-buffers.mjs", "memory-heap.mjs"]) {
      await assert.rejects(
        runModule({ manifest: hostileManifest(entry, { limits: { memoryMiB: 128, timeoutMs: 20_000 } }), moduleDir: hostileDir }),
        MemoryLimitExceededError,
        entry,
      );
    }
  });

  it("is stopped at the output limit, on stdout and in outputs/", async () => {
    for (const entry of ["flood-stdout.mjs", "fill-outputs.mjs"]) {
      const jobDir = freshJobDir();
      const manifest = hostileManifest(entry, { limits: { outputBytes: 256 << 10, timeoutMs: 20_000 } });
      await assert.rejects(
        runJsJob({ manifest, moduleDir: hostileDir, inputs: {}, jobDir, seed: SEED }),
        OutputLimitExceededError,
        entry,
      );
      const stdout = statSync(join(jobDir, "result", "stdout")).size;
      assert.ok(stdout <= 256 << 10, `${entry}: stdout kept ${stdout} bytes`);
      // With prlimit, RLIMIT_FSIZE stops the file one byte past the limit; without it, within 50 ms of writing.
      const written = [...filesOf(join(jobDir, "result", "outputs")).values()].reduce((sum, b) => sum + b.length, 0);
      if (hasPrlimit) assert.ok(written <= (256 << 10) + 1, `${entry}: outputs/ kept ${written} bytes`);
    }
  });

  it("leaves the host healthy: no processes left, memory bounded, the next job runs", async () => {
    assert.deepEqual(childProcesses(), []);
    assert.ok(process.memoryUsage().rss < 512 << 20, `host rss ${process.memoryUsage().rss}`);
    const result = await runModule({ manifest: hostileManifest("echo.mjs", { inputs: [{ name: "Exit", type: "integer", default: 0 }] }), moduleDir: hostileDir });
    assert.equal(result.exitCode, 0);
  });
});
