// The podman run arguments of a container job: every flag of docs/containers.md, the GPU only when asked for, and
// inputs as single literal arguments (no podman installation needed).
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";
import { resolveInputs } from "../../../src/core/moduleInputs.ts";
import { moduleManifestSchema, PLACEHOLDER_ARTIFACT_CID } from "../../../src/core/moduleManifest.ts";
import { containerRunArgs } from "../../../src/sandbox/container/containerRunArgs.ts";

const image = `sha256:${"12".repeat(32)}`;
const manifest = moduleManifestSchema.parse({
  manifestVersion: 1,
  name: "t",
  version: "v1",
  description: "",
  author: "t",
  engine: "container",
  artifact: { cid: PLACEHOLDER_ARTIFACT_CID, image },
  inputs: [{ name: "Text", type: "string" }],
  invocation: { args: ["/bin/tool", "--text", "{{Text}}"], env: { MODE: "x{{Text}}" } },
  resources: { cpu: 2 },
  limits: { memoryMiB: 128, outputBytes: 1000 },
  deterministic: true,
  pricing: "per-run",
});
const argsOf = (gpu: boolean, jobDir = "/jobs/1") =>
  containerRunArgs({
    manifest,
    image,
    inputs: resolveInputs({ manifest, given: { Text: "a b; $(rm -rf /)" } }),
    name: "lilypad-job-test",
    inputsDir: `${jobDir}/inputs`,
    outputsDir: `${jobDir}/result/outputs`,
    seed: new Uint8Array([1, 2, 255]),
    gpu,
    stdin: false,
  });
const pairs = (args: string[]) => args.slice(0, args.indexOf(image)).map((a, i, all) => `${a} ${all[i + 1]}`);

describe("containerRunArgs", () => {
  it("never asks podman for more CPUs than the host has (podman would refuse to start)", () => {
    const greedy = { ...manifest, resources: { ...manifest.resources, cpu: 256 } };
    const args = containerRunArgs({ manifest: greedy, image, inputs: {}, name: "n", inputsDir: "/j/i", outputsDir: "/j/o", seed: new Uint8Array(1), gpu: false, stdin: false });
    assert.equal(args[args.indexOf("--cpus") + 1], String(availableParallelism()));
  });

  it("carries every limit of the docs' table", () => {
    const flags = pairs(argsOf(false));
    for (const pair of [
      "--network none",
      "--pull never",
      "--cap-drop all",
      "--security-opt no-new-privileges",
      "--user 65534:65534",
      "--memory 128m",
      "--memory-swap 128m",
      `--cpus ${Math.min(2, availableParallelism())}`,
      "--pids-limit 256",
      "--label lilypad.job=1",
      "--name lilypad-job-test",
      "--ulimit fsize=1001:1001",
      "--mount type=bind,source=/jobs/1/inputs,destination=/inputs,ro=true",
      "--mount type=bind,source=/jobs/1/result/outputs,destination=/outputs",
      "--env LILYPAD_SEED=0102ff",
      "--env MODE=xa b; $(rm -rf /)",
      '--entrypoint ["/bin/tool"]',
    ]) {
      assert.ok(flags.includes(pair), pair);
    }
    assert.ok(argsOf(false).includes("--read-only"));
    assert.ok(!argsOf(false).includes("nvidia.com/gpu=all"));
    assert.ok(pairs(argsOf(true)).includes("--device nvidia.com/gpu=all"));
  });

  it("ends with the image and the command, each input one argument", () => {
    const args = argsOf(false);
    assert.deepEqual(args.slice(args.indexOf(image)), [image, "--text", "a b; $(rm -rf /)"]);
  });

  it("refuses a job folder that would break the --mount syntax", () => {
    assert.throws(() => argsOf(false, "/jobs/a,b"), { code: "INVALID_ARGUMENT" });
  });
});
