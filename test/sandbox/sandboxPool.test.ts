// The pool's job folders: where they go by default (memory when /dev/shm is usable, one root per pool, removed on
// close), and that its children write the results there.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { runWasmJob } from "../../src/sandbox/runWasmJob.ts";
import { jobsParentDir, SandboxPool } from "../../src/sandbox/sandboxPool.ts";
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
  it("by default makes a jobs root of its own, in /dev/shm when writable (else the work folder), and removes it on close", async () => {
    const work = tempRoot();
    const parent = jobsParentDir(work);
    if (existsSync("/dev/shm") && statSync("/dev/shm").isDirectory()) assert.equal(parent, "/dev/shm");
    else assert.equal(parent, work);
    const a = new SandboxPool({ workRoot: work, size: 1 });
    const b = new SandboxPool({ workRoot: work, size: 1 });
    assert.notEqual(a.jobsRoot, b.jobsRoot, "two pools on one work folder do not share a jobs root");
    for (const pool of [a, b]) {
      assert.equal(dirname(pool.jobsRoot), parent);
      assert.match(pool.jobsRoot, /lilypad-jobs-/);
    }
    const leftover = a.newJobDir();
    await a.close();
    assert.equal(existsSync(a.jobsRoot), false, "removed with whatever a job left in it");
    assert.equal(existsSync(leftover), false);
    assert.equal(existsSync(b.jobsRoot), true, "the other pool's is untouched");
    await b.close();
    assert.equal(existsSync(b.jobsRoot), false);
  });

  it("removes the jobs roots that pools of dead processes left behind, and no live one's", async () => {
    const parent = jobsParentDir(tempRoot());
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    assert.ok(dead !== undefined && dead > 0);
    const orphan = join(parent, `lilypad-jobs-${dead}-test${Date.now()}`);
    mkdirSync(join(orphan, "job-1"), { recursive: true });
    const live = join(parent, `lilypad-jobs-${process.pid}-test${Date.now()}`);
    mkdirSync(live);
    roots.push(live);
    const pool = new SandboxPool({ workRoot: tempRoot(), size: 1 });
    try {
      assert.equal(existsSync(orphan), false);
      assert.equal(existsSync(live), true);
    } finally {
      await pool.close();
    }
  });

  it("keeps a jobs root it was given on close", async () => {
    const jobsRoot = join(tempRoot(), "given");
    const pool = new SandboxPool({ workRoot: tempRoot(), jobsRoot, size: 1 });
    pool.newJobDir();
    await pool.close();
    assert.equal(existsSync(jobsRoot), true);
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
