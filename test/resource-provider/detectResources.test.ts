// What a provider finds on its machine. No GPU exists here: a shell script named nvidia-smi on PATH stands in for
// NVIDIA's tool, printing what the real one prints for the same query (or failing as it does without a driver).
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  detectResources,
  NVIDIA_SMI_ARGS,
  offeredDiskMiB,
  offeredRamMiB,
  parseNvidiaSmiCsv,
} from "../../src/resource-provider/detectResources.ts";

const root = mkdtempSync(join(tmpdir(), "lilypad-detect-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding a stand-in `nvidia-smi` with this script body, for PATH. */
function fakeNvidiaSmi(name: string, body: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "nvidia-smi"), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, "nvidia-smi"), 0o755);
  return dir;
}

const GiB = 2 ** 30;

describe("offeredRamMiB", () => {
  it("keeps 1 GiB for the system on a small machine, an eighth on a large one", () => {
    assert.deepEqual(offeredRamMiB(4 * GiB), { total: 4096, reserve: 1024, offered: 3072 });
    assert.deepEqual(offeredRamMiB(64 * GiB), { total: 65_536, reserve: 8192, offered: 57_344 });
  });
  it("offers nothing when the machine has less than the reserve", () => {
    assert.equal(offeredRamMiB(512 * 2 ** 20).offered, 0);
  });
});

describe("offeredDiskMiB", () => {
  it("keeps 1 GiB or 5% of the file system free, whichever is more", () => {
    // 100 GiB file system, 40 GiB free: 5 GiB kept.
    assert.deepEqual(offeredDiskMiB({ bsize: 4096, blocks: (100 * GiB) / 4096, bavail: (40 * GiB) / 4096 }), { free: 40_960, reserve: 5120, offered: 35_840 });
    // 10 GiB file system, 3 GiB free: 1 GiB kept.
    assert.deepEqual(offeredDiskMiB({ bsize: 4096, blocks: (10 * GiB) / 4096, bavail: (3 * GiB) / 4096 }), { free: 3072, reserve: 1024, offered: 2048 });
  });
  it("offers nothing on a nearly full disk", () => {
    assert.equal(offeredDiskMiB({ bsize: 4096, blocks: (10 * GiB) / 4096, bavail: 1000 }).offered, 0);
  });
});

describe("parseNvidiaSmiCsv", () => {
  it("reads one GPU a line: name, memory", () => {
    assert.deepEqual(parseNvidiaSmiCsv("NVIDIA A100-SXM4-40GB, 40960 MiB\nNVIDIA GeForce RTX 3090, 24576 MiB\n"), [
      { name: "NVIDIA A100-SXM4-40GB", memoryMiB: 40_960 },
      { name: "NVIDIA GeForce RTX 3090", memoryMiB: 24_576 },
    ]);
  });
  it("splits at the last comma, and keeps a GPU whose memory it cannot read", () => {
    assert.deepEqual(parseNvidiaSmiCsv("Odd, Name, 8192 MiB\r\nNVIDIA T4, [N/A]\n\n"), [
      { name: "Odd, Name", memoryMiB: 8192 },
      { name: "NVIDIA T4", memoryMiB: undefined },
    ]);
  });
  it("reads nothing from nothing", () => {
    assert.deepEqual(parseNvidiaSmiCsv(""), []);
    assert.deepEqual(parseNvidiaSmiCsv("\n  \n"), []);
  });
});

describe("detectResources", () => {
  const machine = { cpuCount: () => 6, totalMemoryBytes: () => 16 * GiB };

  it("counts the GPUs a (stand-in) nvidia-smi lists, and passes it the documented query", async () => {
    const bin = fakeNvidiaSmi("two-gpus", [
      `[ "$*" = "${NVIDIA_SMI_ARGS.join(" ")}" ] || { echo "unexpected arguments: $*" >&2; exit 2; }`,
      `echo "NVIDIA A100-SXM4-40GB, 40960 MiB"`,
      `echo "NVIDIA A100-SXM4-40GB, 40960 MiB"`,
    ].join("\n"));
    const found = await detectResources({ workDir: root, env: { PATH: `${bin}:/usr/bin:/bin` }, ...machine });
    assert.equal(found.offer.gpu, 2);
    assert.equal(found.gpus[0]?.memoryMiB, 40_960);
    assert.equal(found.gpuNote, undefined);
    assert.equal(found.offer.cpu, 6);
    assert.equal(found.offer.ramMiB, 16_384 - 2048);
    assert.equal(found.diskPath, root);
    assert.ok(found.freeDiskMiB > 0);
    assert.equal(found.offer.diskMiB, Math.max(0, found.freeDiskMiB - found.diskReserveMiB));
  });

  it("no nvidia-smi on PATH: no GPU, and says why", async () => {
    const empty = join(root, "empty-bin");
    mkdirSync(empty, { recursive: true });
    const found = await detectResources({ workDir: root, env: { PATH: empty }, ...machine });
    assert.equal(found.offer.gpu, 0);
    assert.deepEqual(found.gpus, []);
    assert.equal(found.gpuNote, "nvidia-smi not found");
  });

  it("an nvidia-smi that fails (no driver): no GPU, with its message", async () => {
    const bin = fakeNvidiaSmi("no-driver", `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." ; exit 9`);
    const found = await detectResources({ workDir: root, env: { PATH: bin }, ...machine });
    assert.equal(found.offer.gpu, 0);
    assert.match(found.gpuNote ?? "", /^nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate/);
  });

  it("an nvidia-smi that lists nothing: no GPU", async () => {
    const bin = fakeNvidiaSmi("silent", "exit 0");
    const found = await detectResources({ workDir: root, env: { PATH: bin }, ...machine });
    assert.equal(found.offer.gpu, 0);
    assert.equal(found.gpuNote, "nvidia-smi lists no GPU");
  });

  it("measures the nearest existing folder when the work folder does not exist yet", async () => {
    const found = await detectResources({ workDir: join(root, "not", "yet", "work"), env: { PATH: "" }, ...machine });
    assert.equal(found.diskPath, root);
  });

  it("uses this machine's own figures by default", async () => {
    const found = await detectResources({ workDir: root, env: { PATH: "" } });
    assert.ok(Number.isInteger(found.cpus) && found.cpus >= 1);
    assert.ok(found.totalRamMiB > 0);
  });
});
