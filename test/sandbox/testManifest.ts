// A minimal wasm module manifest for the sandbox tests, with limits to override.
import { parseManifest } from "../../src/core/moduleId.ts";
import type { ModuleManifestInput } from "../../src/core/moduleManifest.ts";

export const manifestOf = (limits: Partial<NonNullable<ModuleManifestInput["limits"]>> = {}) =>
  parseManifest(
    {
      manifestVersion: 1,
      name: "test",
      version: "v1",
      description: "test module",
      author: "tests",
      engine: "wasm",
      artifact: { cid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am" },
      invocation: { args: ["test"] },
      limits: { instructions: "1000000", memoryMiB: 2, timeoutMs: 10_000, outputBytes: 1 << 20, ...limits },
      deterministic: true,
      pricing: "metered",
    },
    "test",
  );
