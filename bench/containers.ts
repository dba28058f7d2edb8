// Container figures (docs/containers.md): the overhead of a trivial container job (a busybox image: `echo hi`)
// through the engine as a provider runs it (the image already loaded, its archive checked by ID, the result folder
// laid out, the container removed), beside a trivial WASI job in the warm sandbox, runs interleaved; and the
// shipped train-digits module's time (scikit-learn trains a random forest on the digits data set), when its image
// was built (node scripts/build-images.ts). Run alone with `node bench/containers.ts` (RUNS=30).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseManifest } from "../src/core/moduleId.ts";
import { BUILT_IMAGE_FILE } from "../src/modules/container/buildContainerImage.ts";
import { SHIPPED_MODULES_DIR } from "../src/modules/moduleCatalog.ts";
import { packageModule } from "../src/modules/packageModule.ts";
import { runModule } from "../src/modules/runModule.ts";
import { podmanAvailability } from "../src/sandbox/container/podman.ts";
import { runJob } from "../src/sandbox/runJob.ts";
import { SandboxPool } from "../src/sandbox/sandboxPool.ts";
import { createBlockstore } from "../src/storage/createBlockstore.ts";
import { busyboxImage } from "../test/sandbox/container/busyboxImage.ts";
import { hello } from "../test/sandbox/watModules.ts";

export interface ContainerFigures {
  /** Why the figures are missing, when they are. */
  skipped?: string;
  runs: number;
  container: { p50Ms: number; p99Ms: number };
  wasm: { p50Ms: number; p99Ms: number };
  training?: { trees: number; runs: number; medianMs: number };
  trainingSkipped?: string;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

function manifest(engine: "wasm" | "container", image?: string) {
  return parseManifest(
    {
      manifestVersion: 1, name: "bench", version: "v1", description: "", author: "bench", engine,
      artifact: { cid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am", ...(image ? { image } : {}) },
      invocation: { args: engine === "wasm" ? ["hello"] : ["echo", "hi"] },
      resources: { cpu: 1, ramMiB: 64, gpu: 0, diskMiB: 16 },
      limits: { memoryMiB: 64, timeoutMs: 60_000, outputBytes: 1 << 20 },
      deterministic: true, pricing: engine === "wasm" ? "metered" : "per-run",
    },
    "bench",
  );
}

export async function measureContainers(runs = Number(process.env.RUNS ?? 30)): Promise<ContainerFigures> {
  const podman = await podmanAvailability();
  const empty = { runs: 0, container: { p50Ms: NaN, p99Ms: NaN }, wasm: { p50Ms: NaN, p99Ms: NaN } };
  if (!podman.ok) return { ...empty, skipped: podman.reason };
  const root = await mkdtemp(join(tmpdir(), "lilypad-bench-containers-"));
  const pool = new SandboxPool({ workRoot: join(root, "work"), size: 1 });
  try {
    const box = await busyboxImage();
    const containerManifest = manifest("container", box.image);
    const wasmManifest = manifest("wasm");
    const one = async (engine: "wasm" | "container") => {
      const jobDir = pool.newJobDir();
      const started = performance.now();
      await runJob({
        pool, moduleCid: `bench-${engine}`, manifest: engine === "wasm" ? wasmManifest : containerManifest,
        artifact: engine === "wasm" ? { engine, wasm: hello } : { engine, archivePath: box.archivePath, image: box.image },
        inputs: {}, jobDir, seed: new Uint8Array(32), workRoot: join(root, "work"),
      });
      const ms = performance.now() - started;
      await rm(jobDir, { recursive: true, force: true });
      return ms;
    };
    for (let i = 0; i < 3; i++) await Promise.all([one("container"), one("wasm")]);
    const container: number[] = [];
    const wasm: number[] = [];
    for (let i = 0; i < runs; i++) {
      container.push(await one("container"));
      wasm.push(await one("wasm"));
      if ((i + 1) % 10 === 0) process.stderr.write(`containers: ${i + 1}/${runs} runs\n`);
    }
    const figures: ContainerFigures = {
      runs,
      container: { p50Ms: percentile(container, 50), p99Ms: percentile(container, 99) },
      wasm: { p50Ms: percentile(wasm, 50), p99Ms: percentile(wasm, 99) },
    };
    const trainDir = join(SHIPPED_MODULES_DIR, "train-digits");
    if (!existsSync(join(trainDir, BUILT_IMAGE_FILE))) {
      figures.trainingSkipped = "no train-digits image: run node scripts/build-images.ts";
      return figures;
    }
    const blockstore = await createBlockstore({ path: join(root, "blocks") });
    const { cid } = await packageModule({ dir: trainDir, blockstore });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await runModule({ moduleCid: cid, given: { Trees: "50" }, blockstore, pool, workRoot: join(root, "work"), seed: new TextEncoder().encode("bench") });
      if (run.exitCode !== 0) throw new Error(`train-digits exited with ${run.exitCode}`);
      times.push(run.durationMs);
    }
    figures.training = { trees: 50, runs: times.length, medianMs: percentile(times, 50) };
    return figures;
  } finally {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await measureContainers(), null, 2));
