// The pool's job folders: where they go by default (memory when /dev/shm is usable), and that its children write
// the results there.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { runWasmJob } from "../../src/sandbox/runWasmJob.ts";
import { defaultJobsRoot, SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { manifestOf } from "./testManifest.ts";
import * as modules from "./watModules.ts";

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "lilypad-pool-"));
  roots.push(root);
  return root;
}

const manifest = manifestOf();

describe("SandboxPool job folders", () => {
  it("defaults to one folder per work folder in /dev/shm when it is writable, else under the work folder", () => {
    const work = tempRoot();
    const root = defaultJobsRoot(work);
    if (existsSync("/dev/shm") && statSync("/dev/shm").isDirectory()) {
      assert.equal(dirname(root), "/dev/shm");
      assert.match(root, /lilypad-jobs-[0-9a-f]{16}$/);
      assert.equal(defaultJobsRoot(join(work, ".")), root, "the same work folder, however written, has one jobs folder");
      assert.notEqual(defaultJobsRoot(tempRoot()), root, "another work folder has its own");
    } else {
      assert.equal(root, join(work, "jobs"));
    }
  });

  it("makes fresh job folders under its jobs root, where its children write the results", async () => {
    const work = tempRoot();
    const jobsRoot = join(tempRoot(), "jobs");
    const pool = new SandboxPool({ workRoot: work, jobsRoot, size: 1 });
    try {
      const a = pool.newJobDir();
      const b = pool.newJobDir();
      assert.notEqual(a, b);
      assert.equal(dirname(a), jobsRoot);
      const run = await runWasmJob({ pool, manifest, moduleCid: "pool-hello", wasm: modules.hello, inputs: {}, jobDir: a, seed: Buffer.from("s"), cacheDir: join(work, "cache") });
      assert.equal(run.exitCode, 0);
      assert.equal(readFileSync(join(run.resultDir, "stdout"), "utf8"), "hello\n");
    } finally {
      await pool.close();
    }
  });
});
