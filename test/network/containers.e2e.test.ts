// Container modules on the network (docs/containers.md): a job creator packages a module whose artifact is an OCI
// image archive, leaves it with the solver, and a provider that runs podman fetches it by CID, loads it by image ID,
// runs it and is paid; a mediator's re-run agrees with an honest one. A module that says it is deterministic but is
// not is caught by the mediator's re-run (the provider loses its collateral), and refused by the build's two runs.
import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Outcome } from "../../src/core/dealTypes.ts";
import type { ModuleManifestInput } from "../../src/core/moduleManifest.ts";
import { assertReproducible, checkReproducible } from "../../src/modules/checkReproducible.ts";
import { ModuleNotReproducibleError } from "../../src/modules/errors.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { SandboxPool } from "../../src/sandbox/sandboxPool.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { busyboxImage, containerToolsMissing } from "../sandbox/container/busyboxImage.ts";
import { DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { startTestNetwork, type TestNetwork } from "./helpers.ts";

const missing = await containerToolsMissing();

function manifest(name: string, args: string[], deterministic = true): ModuleManifestInput {
  return {
    manifestVersion: 1,
    name,
    version: "v1",
    description: "a container module of the network tests",
    author: "tests",
    engine: "container",
    inputs: [{ name: "Message", type: "string", default: "hello" }],
    invocation: { args },
    resources: { cpu: 1, ramMiB: 64, gpu: 0, diskMiB: 16 },
    limits: { memoryMiB: 64, timeoutMs: 60_000, outputBytes: 1 << 20 },
    deterministic,
    pricing: "per-run",
  } as ModuleManifestInput;
}

describe("container modules on the network", { skip: missing, timeout: 10 * 60_000 }, () => {
  let t: TestNetwork;
  let store: Blockstore;
  const folders: Record<string, string> = {};

  async function folder(name: string, args: string[], deterministic = true): Promise<string> {
    const dir = join(t.home, "modules", name);
    await mkdir(dir, { recursive: true });
    await copyFile((await busyboxImage()).archivePath, join(dir, "image.oci.tar"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest(name, args, deterministic)));
    folders[name] = dir;
    return dir;
  }

  before(async () => {
    t = await startTestNetwork();
    store = await createBlockstore({ path: join(t.home, "jc-containers", "blocks") });
    await folder("say-box", ["sh", "-c", 'echo "the box says $1"; echo "$1" > /outputs/said.txt', "sh", "{{Message}}"]);
    // Says it is deterministic; is not: 16 random bytes in every run.
    await folder("jitter-box", ["sh", "-c", "head -c 16 /dev/urandom > /outputs/noise; echo done"]);
  });

  after(async () => {
    await t?.close();
  });

  const client = () =>
    t.client(DevAccountIndex.jobCreator, { blockstore: store, resolveModule: createModuleResolver({ blockstore: store, workDir: join(t.home, "jc-containers", "work") }) });

  it("runs a container job through the whole protocol: fetched by CID, loaded by image ID, run, paid, re-run alike", async () => {
    const { cid, manifest: packaged } = await packageModule({ dir: folders["say-box"]!, blockstore: store });
    assert.equal(packaged.artifact.image, (await busyboxImage()).image);
    const jc = await client();
    const run = await jc.run(cid, { Message: "moo; $(reboot)" });
    assert.equal(run.outcome, Outcome.Accepted);
    assert.equal(new TextDecoder().decode(run.stdout), "the box says moo; $(reboot)\n");
    assert.equal(run.instructions, 0n, "priced per run, not metered");
    // The mediator re-runs it and finds the same result CID: the provider was right.
    const checked = await jc.run(cid, { Message: "again" }, { mediationChance: 1 });
    assert.equal(checked.outcome, Outcome.ProviderRight);
  });

  it("a module that says it is deterministic but is not is caught by the mediator's re-run", async () => {
    const { cid } = await packageModule({ dir: folders["jitter-box"]!, blockstore: store });
    const jc = await client();
    const checked = await jc.run(cid, {}, { mediationChance: 1 });
    assert.equal(checked.outcome, Outcome.ProviderWrong);
  });

  it("the build's two runs refuse it, unless its manifest admits it is not deterministic", async () => {
    const pool = new SandboxPool({ workRoot: join(t.home, "build-work"), size: 1 });
    try {
      const check = async (dir: string) => {
        const { cid } = await packageModule({ dir, blockstore: store });
        return await checkReproducible({ moduleCid: cid, given: {}, blockstore: store, pool, workRoot: join(t.home, "build-work") });
      };
      const jitter = await check(folders["jitter-box"]!);
      assert.equal(jitter.reproducible, false);
      assert.throws(() => assertReproducible(jitter, "jitter-box"), ModuleNotReproducibleError);
      const admitted = await check(await folder("honest-jitter-box", ["sh", "-c", "head -c 16 /dev/urandom > /outputs/noise"], false));
      assert.equal(admitted.reproducible, false);
      assert.doesNotThrow(() => assertReproducible(admitted, "honest-jitter-box"));
      const steady = await check(folders["say-box"]!);
      assert.equal(steady.reproducible, true);
      assert.equal(steady.resultCids[0].toString(), steady.resultCids[1].toString());
    } finally {
      await pool.close();
    }
  });
});
