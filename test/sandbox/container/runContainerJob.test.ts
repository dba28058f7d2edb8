// The container engine: a busybox image runs with its inputs, outputs and the fixed environment, an archive that
// loads as another image is refused, and hostile jobs (the twins of the WASI engine's) are stopped with the right
// typed error, the host carrying on and no container left behind.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { resolveInputs, type InputValue } from "../../../src/core/moduleInputs.ts";
import { moduleManifestSchema, PLACEHOLDER_ARTIFACT_CID, type ModuleManifest, type ModuleManifestInput } from "../../../src/core/moduleManifest.ts";
import { ensureImageLoaded, forgetLoadedImage, listContainers, PODMAN_GLOBAL_ARGS } from "../../../src/sandbox/container/podman.ts";
import { runContainerJob, type RunContainerJobResult } from "../../../src/sandbox/container/runContainerJob.ts";
import {
  ImageMismatchError,
  InvalidModuleError,
  MemoryLimitExceededError,
  OutputLimitExceededError,
  SandboxLimitError,
  WallClockTimeoutError,
} from "../../../src/sandbox/errors.ts";
import { removeJobDir } from "../../../src/sandbox/placeJobInputs.ts";
import { busyboxImage, containerToolsMissing, type TestImage } from "./busyboxImage.ts";

const missing = await containerToolsMissing();
const SEED = new Uint8Array(32).fill(7);
const DATA_CID = "bafkreifixturedatafixturedatafixturedatafixturedatafixturedat";

let workRoot: string;
let image: TestImage;
let jobs = 0;

function manifestOf(extra: Partial<ModuleManifestInput> = {}): ModuleManifest {
  return moduleManifestSchema.parse({
    manifestVersion: 1,
    name: "busybox",
    version: "v1",
    description: "a test module",
    author: "test",
    engine: "container",
    artifact: { cid: PLACEHOLDER_ARTIFACT_CID, image: image.image },
    deterministic: true,
    pricing: "per-run",
    ...extra,
    limits: { memoryMiB: 64, timeoutMs: 15_000, outputBytes: 1 << 20, ...extra.limits },
  });
}

/** A manifest whose command is `sh -c <script>`, with the inputs as $1, $2, ... in declaration order. */
function scriptManifest(script: string, extra: Partial<ModuleManifestInput> = {}): ModuleManifest {
  const names = (extra.inputs ?? []).map((input) => `{{${input.name}}}`);
  return manifestOf({ ...extra, invocation: { env: {}, ...extra.invocation, args: ["sh", "-c", script, "sh", ...names] } });
}

function run(manifest: ModuleManifest, given: Record<string, InputValue> = {}, inputFiles: Record<string, string> = {}): Promise<RunContainerJobResult> {
  return runContainerJob({
    manifest,
    image: image.image,
    inputs: resolveInputs({ manifest, given }),
    inputFiles,
    jobDir: mkdtempSync(join(workRoot, `job-${jobs++}-`)),
    seed: SEED,
  });
}

const read = (result: RunContainerJobResult, path: string) => readFileSync(join(result.resultDir, path), "utf8");

describe("runContainerJob", { skip: missing && `container tests skipped: ${missing}` }, () => {
  before(async () => {
    workRoot = mkdtempSync(join(tmpdir(), "lilypad-container-test-"));
    image = await busyboxImage();
  });
  after(() => {
    for (const job of readdirSync(workRoot)) removeJobDir(join(workRoot, job));
    rmSync(workRoot, { recursive: true, force: true });
  });
  afterEach(async () => {
    assert.deepEqual(await listContainers(), [], "no job container is left behind");
  });

  it("runs the command with its inputs, the manifest's and the fixed environment, and lays out the result", async () => {
    const data = join(workRoot, "data.txt");
    writeFileSync(data, "file input\n");
    const manifest = scriptManifest(
      'echo "arg:$1"; cat /inputs/data.txt; read line; echo "stdin:$line"; echo written > /outputs/out.txt; env | sort; exit 3',
      {
        inputs: [
          { name: "Message", type: "string" },
          { name: "Data", type: "file", fileName: "data.txt" },
        ],
        invocation: { env: { GREETING: "hello {{Message}}" }, stdin: "from stdin {{Message}}\n" },
      },
    );
    const result = await run(manifest, { Message: "world", Data: DATA_CID }, { [DATA_CID]: data });
    assert.equal(result.exitCode, 3);
    assert.equal(read(result, "exitCode"), "3\n");
    const stdout = read(result, "stdout");
    assert.match(stdout, /^arg:world\nfile input\nstdin:from stdin world\n/);
    for (const line of [
      "GREETING=hello world",
      "SOURCE_DATE_EPOCH=0",
      "TZ=UTC",
      "LANG=C.UTF-8",
      "PYTHONHASHSEED=0",
      "OMP_NUM_THREADS=1",
      "OPENBLAS_NUM_THREADS=1",
      "MKL_NUM_THREADS=1",
      `LILYPAD_SEED=${"07".repeat(32)}`,
      "HOSTNAME=lilypad",
    ]) {
      assert.ok(stdout.split("\n").includes(line), `${line} in the environment`);
    }
    assert.equal(read(result, "outputs/out.txt"), "written\n");
    assert.equal(read(result, "stderr"), "");
    assert.ok(result.durationMs > 0);
  });

  it("gives the same result bytes on a second run", async () => {
    const manifest = scriptManifest('echo "$1"; env | sort; echo x > /outputs/a', { inputs: [{ name: "Message", type: "string" }] });
    const [a, b] = [await run(manifest, { Message: "same" }), await run(manifest, { Message: "same" })];
    for (const path of ["stdout", "stderr", "exitCode", "outputs/a"]) assert.equal(read(a, path), read(b, path), path);
  });

  it("runs the image's own command when args are empty, and clears it when args name an entrypoint", async () => {
    // The image's CMD is /bin/sh, which runs the script it reads from stdin.
    const own = await run(manifestOf({ invocation: { args: [], env: {}, stdin: "echo from-cmd; id -u\n" } }));
    assert.equal(read(own, "stdout"), "from-cmd\n65534\n");
    const echo = await run(manifestOf({ invocation: { args: ["echo"], env: {} } }));
    assert.equal(read(echo, "stdout"), "\n");
  });

  it("passes a hostile input literally, as one argument, and never parses the entrypoint", async () => {
    const hostile = `$(touch /outputs/pwned); \`touch /outputs/pwned2\` && echo "hi" | cat; '"; rm -rf / ; --help`;
    const manifest = manifestOf({ inputs: [{ name: "Message", type: "string" }], invocation: { args: ["echo", "{{Message}}"], env: {} } });
    const result = await run(manifest, { Message: hostile });
    assert.equal(read(result, "stdout"), `${hostile}\n`);
    assert.deepEqual(readdirSync(join(result.resultDir, "outputs")), []);

    // An entrypoint that looks like podman's JSON form is still one file name, which does not exist.
    const entry = manifestOf({ inputs: [{ name: "Cmd", type: "string" }], invocation: { args: ["{{Cmd}}"], env: {} } });
    await assert.rejects(run(entry, { Cmd: '["sh","-c","echo pwned > /outputs/p"]' }), InvalidModuleError);
  });

  it("refuses an archive that does not load as the named image, loading nothing, and loads a right one once for concurrent callers", async () => {
    const removedFirst = spawnSync("podman", [...PODMAN_GLOBAL_ARGS, "rmi", "--force", image.image], { encoding: "utf8" });
    assert.equal(removedFirst.status, 0, removedFirst.stderr);
    // Removed behind this process's back: it is told, as the engine tells it when a run finds the image gone.
    forgetLoadedImage(image.image);
    const wrong = `sha256:${"ab".repeat(32)}`;
    await assert.rejects(ensureImageLoaded({ archivePath: image.archivePath, image: wrong }), (error: unknown) => {
      assert.ok(error instanceof ImageMismatchError);
      assert.equal(error.code, "IMAGE_MISMATCH");
      assert.deepEqual(error.loaded, [image.image]);
      return true;
    });
    await assert.rejects(ensureImageLoaded({ archivePath: image.archivePath, image: "busybox:latest" }), InvalidModuleError);
    // The archive was read, not loaded: a hostile one leaves nothing in podman's storage.
    assert.notEqual(spawnSync("podman", [...PODMAN_GLOBAL_ARGS, "image", "exists", image.image]).status, 0);
    await Promise.all([1, 2, 3].map(() => ensureImageLoaded({ archivePath: image.archivePath, image: image.image })));
    assert.equal(spawnSync("podman", [...PODMAN_GLOBAL_ARGS, "image", "exists", image.image]).status, 0);
  });

  it("refuses a manifest that names another image than the one given", async () => {
    const manifest = manifestOf({ artifact: { cid: PLACEHOLDER_ARTIFACT_CID, image: `sha256:${"cd".repeat(32)}` } });
    await assert.rejects(run(manifest), InvalidModuleError);
  });

  it("refuses to run an image that is not loaded, naming the cause", async () => {
    const absent = `sha256:${"ef".repeat(32)}`;
    const manifest = manifestOf({ artifact: { cid: PLACEHOLDER_ARTIFACT_CID, image: absent } });
    const jobDir = mkdtempSync(join(workRoot, `job-${jobs++}-`));
    await assert.rejects(
      runContainerJob({ manifest, image: absent, inputs: {}, jobDir, seed: SEED }),
      (error: unknown) => error instanceof InvalidModuleError && /not loaded/.test(error.message),
    );
  });

  it("a fork bomb hits the process limit, the job ends and the host carries on", async () => {
    const started = Date.now();
    const manifest = scriptManifest("f(){ f | f & }; f; sleep 2; echo survived", { limits: { timeoutMs: 30_000, outputBytes: 64 << 20 } });
    try {
      await run(manifest);
    } catch (error) {
      assert.ok(error instanceof SandboxLimitError, String(error));
    }
    assert.ok(Date.now() - started < 30_000);
    const after = await run(scriptManifest("echo fine"));
    assert.equal(read(after, "stdout"), "fine\n");
  });

  it("a memory bomb is killed at the memory limit", async () => {
    const manifest = scriptManifest('x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo ${#x}', { limits: { memoryMiB: 32 } });
    await assert.rejects(run(manifest), MemoryLimitExceededError);
  });

  it("a flood on stdout is stopped at the output limit", async () => {
    const manifest = scriptManifest("yes flood", { limits: { outputBytes: 64 << 10 } });
    await assert.rejects(run(manifest), OutputLimitExceededError);
  });

  it("one big file in /outputs is stopped at the output limit", async () => {
    const manifest = scriptManifest("head -c 100000000 /dev/zero > /outputs/big; echo done", { limits: { outputBytes: 64 << 10 } });
    await assert.rejects(run(manifest), OutputLimitExceededError);
  });

  it("many small files in /outputs are stopped at the output limit", async () => {
    const manifest = scriptManifest('i=0; while true; do head -c 4096 /dev/zero > /outputs/f$i; i=$((i+1)); done', { limits: { outputBytes: 256 << 10 } });
    await assert.rejects(run(manifest), OutputLimitExceededError);
  });

  it("has no network", async () => {
    const manifest = scriptManifest(
      "ls /sys/class/net; nc -w 2 1.1.1.1 80 </dev/null && echo CONNECTED; wget -T 2 -q -O /tmp/page http://1.1.1.1/ && echo FETCHED; exit 0",
    );
    const result = await run(manifest);
    assert.equal(read(result, "stdout"), "lo\n");
    assert.match(read(result, "stderr"), /unreachable|bad address|can't connect/i);
  });

  it("can write only /outputs and /tmp: the root and /inputs are read-only", async () => {
    const data = join(workRoot, "ro.txt");
    writeFileSync(data, "keep\n");
    const manifest = scriptManifest(
      "touch /x; touch /bin/x; echo changed > /inputs/data.txt; touch /inputs/new; echo t > /tmp/t && cat /tmp/t; echo o > /outputs/o",
      { inputs: [{ name: "Data", type: "file", fileName: "data.txt" }] },
    );
    const result = await run(manifest, { Data: DATA_CID }, { [DATA_CID]: data });
    const stderr = read(result, "stderr");
    assert.equal(stderr.match(/Read-only file system/g)?.length, 4, stderr);
    assert.equal(read(result, "stdout"), "t\n", stderr);
    assert.equal(read(result, "outputs/o"), "o\n");
    const inputsDir = join(result.resultDir, "..", "inputs");
    assert.deepEqual(readdirSync(inputsDir), ["data.txt"]);
    assert.equal(readFileSync(join(inputsDir, "data.txt"), "utf8"), "keep\n");
  });

  it("removes a symlink written to /outputs before the result is read", async () => {
    const result = await run(scriptManifest("ln -s /etc/passwd /outputs/link; echo a > /outputs/a"));
    assert.deepEqual(readdirSync(join(result.resultDir, "outputs")), ["a"]);
    assert.match(read(result, "stderr"), /removed from outputs .*link/);
  });

  it("a job past its wall clock is killed and removed", async () => {
    const started = Date.now();
    await assert.rejects(run(scriptManifest("sleep 60", { limits: { timeoutMs: 1500 } })), WallClockTimeoutError);
    assert.ok(Date.now() - started < 30_000, "killed at its limit, long before the 60 s sleep ends");
  });
});
