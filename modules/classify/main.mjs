// Image classification module for the js engine: NSFWJS's MobileNetV2 model on TensorFlow.js with the
// WebAssembly backend. The model files are part of this module's artifact (models/, copied from the nsfwjs
// package by the build), so they are named by CID like the code. Contract: see src/sandbox/js/README.md.
//
// Reproducible output: the wasm backend runs on one thread (Node never gets the threaded build, and the thread
// count is pinned to 1 as well), the SIMD build is plain WebAssembly SIMD (same results on every CPU), and
// probabilities are rounded to 6 decimals.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export default async function run({ inputs, files, outputsDir, packageDir }) {
  const top = inputs.Top ?? 5;
  const imagePath = files.Image;
  if (!imagePath) {
    console.error("classify: the Image input is required");
    return 2;
  }
  // The libraries greet on stdout while loading; send that to stderr so stdout holds only the labels.
  const model = await withConsoleOnStderr(async () => {
    const tf = await import("@tensorflow/tfjs");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    wasm.setThreadsCount(1);
    // The .wasm binaries are read from the package folder on disk (no fetch).
    wasm.setWasmPaths(`${join(packageDir("@tensorflow/tfjs-backend-wasm"), "dist")}/`);
    if (!(await tf.setBackend("wasm"))) throw new Error("classify: the TensorFlow.js wasm backend did not start");
    await tf.ready();
    const { load } = await import("nsfwjs/core");
    const models = join(dirname(fileURLToPath(import.meta.url)), "models", "mobilenet_v2");
    const mobileNetV2 = {
      name: "MobileNetV2",
      numOfWeightBundles: 1,
      modelJson: () => import(pathToFileURL(join(models, "model.min.cjs")).href),
      weightBundles: [() => import(pathToFileURL(join(models, "group1-shard1of1.min.cjs")).href)],
    };
    return { tf, classifier: await load("MobileNetV2", { size: 224, modelDefinitions: [mobileNetV2] }) };
  });

  const { PNG } = (await import("pngjs")).default;
  const png = PNG.sync.read(await readFile(imagePath));
  const { tf, classifier } = model;
  // pngjs gives RGBA; the model takes RGB, so alpha is dropped.
  const image = tf.tidy(() =>
    tf.tensor3d(new Int32Array(png.data), [png.height, png.width, 4], "int32").slice([0, 0, 0], [-1, -1, 3]),
  );
  const predictions = await classifier.classify(image, top);
  image.dispose();

  const labels = predictions
    .map(({ className, probability }) => ({ className, probability: Number(probability.toFixed(6)) }))
    .sort((a, b) => b.probability - a.probability || a.className.localeCompare(b.className, "en"));
  await writeFile(join(outputsDir, "labels.json"), `${JSON.stringify(labels, null, 2)}\n`);
  for (const { className, probability } of labels) console.log(`${className}\t${probability.toFixed(6)}`);
  return 0;
}

async function withConsoleOnStderr(body) {
  const saved = { log: console.log, info: console.info };
  console.log = console.info = console.error;
  try {
    return await body();
  } finally {
    Object.assign(console, saved);
  }
}
