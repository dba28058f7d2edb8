// `lilypad resource-provider --cpu --ram --gpu --disk`: checked, converted, merged over what was detected, and
// printed at start.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { describeOffer, offeredResources, parseResourceFlags } from "../../src/cli/resourceFlags.ts";
import { main } from "../../src/cli/main.ts";
import type { CliContext } from "../../src/cli/context.ts";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import type { DetectedResources } from "../../src/resource-provider/detectResources.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "lilypad-rflags-"));
after(() => rmSync(root, { recursive: true, force: true }));

const detected: DetectedResources = {
  offer: { cpu: 8, ramMiB: 28_672, gpu: 1, diskMiB: 90_000 },
  cpus: 8,
  totalRamMiB: 32_768,
  ramReserveMiB: 4096,
  diskPath: "/srv/lilypad/work",
  freeDiskMiB: 100_000,
  diskReserveMiB: 10_000,
  gpus: [{ name: "NVIDIA L4", memoryMiB: 23_034 }],
  gpuNote: undefined,
};

describe("parseResourceFlags", () => {
  it("reads cores, sizes in MiB or with a unit, and GPUs", () => {
    assert.deepEqual(parseResourceFlags({ cpu: "2.5", ram: "8G", gpu: "0", disk: "100GiB" }), { cpu: 2.5, ram: 8192, gpu: 0, disk: 102_400 });
    assert.deepEqual(parseResourceFlags({ ram: "512", disk: "1.5t" }), { ram: 512, disk: 1_572_864 });
    assert.deepEqual(parseResourceFlags({ ram: "1.5G", disk: "0" }), { ram: 1536, disk: 0 });
    assert.deepEqual(parseResourceFlags({}), {});
  });

  for (const [flag, value, message] of [
    ["cpu", "0", /--cpu.*"0".*above 0/],
    ["cpu", "-1", /--cpu/],
    ["cpu", "many", /--cpu.*"many".*CPU cores/],
    ["cpu", "", /--cpu/],
    ["ram", "lots", /--ram.*"lots".*size in MiB/],
    ["ram", "0", /--ram.*at least 1 MiB/],
    ["ram", "8PB", /--ram/],
    ["ram", "-5G", /--ram/],
    ["gpu", "1.5", /--gpu.*whole number/],
    ["gpu", "-1", /--gpu.*whole number/],
    ["gpu", "two", /--gpu.*whole number/],
    ["disk", "-1", /--disk/],
    ["disk", "10 furlongs", /--disk/],
  ] as const) {
    it(`refuses --${flag} ${JSON.stringify(value)}`, () => {
      assert.throws(
        () => parseResourceFlags({ [flag]: value }),
        (error: unknown) => error instanceof InvalidArgumentError && message.test(`${error.argument} ${error.message}`),
      );
    });
  }
});

describe("offeredResources", () => {
  it("offers what was detected unless a flag says otherwise", () => {
    assert.deepEqual(offeredResources(detected, {}), detected.offer);
    assert.deepEqual(offeredResources(detected, { cpu: 2, gpu: 0 }), { cpu: 2, ramMiB: 28_672, gpu: 0, diskMiB: 90_000 });
    assert.deepEqual(offeredResources(detected, { ram: 4096, disk: 0 }), { cpu: 8, ramMiB: 4096, gpu: 1, diskMiB: 0 });
  });
});

describe("describeOffer", () => {
  it("says what is offered and what was found", () => {
    const text = describeOffer(offeredResources(detected, { cpu: 2 }), detected);
    assert.equal(text.split("\n")[0], "offering cpu 2, ram 28672 MiB, gpu 1, disk 90000 MiB");
    assert.match(text, /detected: 8 CPUs; 32768 MiB memory \(4096 MiB kept for the system\); 100000 MiB free at \/srv\/lilypad\/work \(10000 MiB kept free\); GPUs: NVIDIA L4 23034 MiB/);
    assert.match(describeOffer(detected.offer, { ...detected, gpus: [], gpuNote: "nvidia-smi not found" }), /GPUs: none: nvidia-smi not found/);
  });
});

describe("lilypad resource-provider", () => {
  function ctxCapturing(): { ctx: CliContext; out: () => string } {
    let text = "";
    const ctx: CliContext = {
      stdout: (t) => (text += t),
      stderr: (t) => (text += t),
      env: { LILYPAD_HOME: join(root, "home") },
      homedir: root,
      cwd: root,
      waitForShutdown: () => new Promise(() => {}),
    };
    return { ctx, out: () => text };
  }

  it("refuses a bad flag before anything else, naming it (exit 2)", async () => {
    const { ctx, out } = ctxCapturing();
    assert.equal(await main(["resource-provider", "--gpu", "two"], ctx), 2);
    assert.match(out(), /--gpu/);
    assert.match(out(), /whole number/);
  });

  it("prints what it offers at start: detected, with flags over it", { timeout: 60_000 }, async () => {
    // A network whose chain does not answer: the provider prints its offer, then fails to reach the chain.
    const networkFile = join(root, "network.json");
    const nowhere = "0x0000000000000000000000000000000000000001";
    writeFileSync(
      networkFile,
      JSON.stringify({
        name: "elsewhere",
        chainId: 8453,
        rpcUrl: "http://127.0.0.1:9/",
        deployBlock: 0,
        contracts: { token: nowhere, market: nowhere, serviceRegistry: nowhere, jobCreator: nowhere },
        solverUrl: "http://127.0.0.1:9/",
        mediators: ["0x0000000000000000000000000000000000000002"],
      }),
    );
    const bin = join(root, "fake-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "nvidia-smi"), '#!/bin/sh\necho "NVIDIA L4, 23034 MiB"\necho "NVIDIA L4, 23034 MiB"\n');
    chmodSync(join(bin, "nvidia-smi"), 0o755);
    const child = spawn(
      process.execPath,
      [join(REPO, "bin", "lilypad.js"), "resource-provider", "--network", networkFile, "--ram", "2G", "--cpu", "1.5", "--log-level", "silent"],
      {
        cwd: root,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, LILYPAD_HOME: join(root, "home"), LILYPAD_PRIVATE_KEY: `0x${"11".repeat(32)}` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no offer printed:\n${stderr}`)), 45_000);
        const check = () => {
          if (/detected: .*\n/.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stderr.on("data", check);
        child.once("exit", () => {
          check();
          clearTimeout(timer);
          reject(new Error(`exited before printing its offer:\n${stderr}`));
        });
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    }
    assert.match(stderr, /^offering cpu 1\.5, ram 2048 MiB, gpu 2, disk \d+ MiB$/m, stderr);
    assert.match(stderr, /GPUs: NVIDIA L4 23034 MiB, NVIDIA L4 23034 MiB/);
  });
});
