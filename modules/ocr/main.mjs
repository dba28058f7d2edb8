// OCR module for the js engine: Tesseract (tesseract.js 7) on one image, English LSTM data from
// @tesseract.js-data/eng. Contract: see src/sandbox/js/README.md (default export run(context)).
//
// tesseract.js's public createWorker() always starts a worker thread. This module instead drives the very same
// worker script (tesseract.js/src/worker-script) in this thread, so the sandbox needs no --allow-worker and the
// job is one thread. Everything stays in memory or in the outputs folder: the language data is read from the
// package (no download, no cache written), and Tesseract's own files live in Emscripten's in-memory file system.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/** Tesseract 4 LSTM engine only (the English best_int data has no legacy-engine model). */
const OEM_LSTM_ONLY = 1;

export default async function run({ inputs, files, outputsDir, packageDir }) {
  const language = inputs.Language ?? "eng";
  const imagePath = files.Image;
  if (!imagePath) {
    console.error("ocr: the Image input is required");
    return 2;
  }
  const { default: workerScript } = await import("tesseract.js/src/worker-script/index.js");
  // The plain SIMD build, pinned: tesseract.js would pick the relaxed-SIMD build where the CPU has it, and
  // relaxed SIMD may round differently from one machine to another.
  const { default: core } = await import("tesseract.js-core/tesseract-core-simd-lstm.js");
  workerScript.setAdapter({
    getCore: async () => core,
    gunzip: gunzipSync,
    fetch: async () => {
      throw new Error("ocr: no network in the sandbox");
    },
    readCache: (path) => readFile(path),
    writeCache: async () => {
      throw new Error("ocr: the traineddata cache is disabled");
    },
    deleteCache: async () => {},
    checkCache: async () => false,
  });
  const call = tesseractCaller(workerScript);

  await call("load", { options: { lstmOnly: true, logging: false } });
  await call("loadLanguage", {
    langs: language,
    options: {
      // The trained data is part of this module's artifact (named by its CID), not the engine's.
      langPath: join(dirname(fileURLToPath(import.meta.url)), "models"),
      cacheMethod: "none",
      gzip: true,
      lstmOnly: true,
    },
  });
  await call("initialize", { langs: language, oem: OEM_LSTM_ONLY });
  const image = await readFile(imagePath);
  const result = await call("recognize", { image, options: {}, output: { text: true, blocks: true } });
  await call("terminate", {});

  const text = result.text ?? "";
  const words = (result.blocks ?? []).flatMap((b) => b.paragraphs ?? []).flatMap((p) => p.lines ?? []).flatMap((l) => l.words ?? []);
  const summary = {
    text,
    confidence: Math.round(result.confidence ?? 0),
    words: words.length,
    language,
  };
  await writeFile(join(outputsDir, "text.txt"), text);
  await writeFile(join(outputsDir, "result.json"), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(text);
  return 0;
}

/** Sends one request to tesseract.js's worker script and waits for its answer, as a worker thread would. */
function tesseractCaller(workerScript) {
  let nextJob = 0;
  return (action, payload) =>
    new Promise((resolve, reject) => {
      workerScript.dispatchHandlers({ workerId: "ocr", jobId: `job-${nextJob++}`, action, payload }, (message) => {
        if (message.status === "resolve") resolve(message.data);
        else if (message.status === "reject") reject(new Error(`tesseract ${action}: ${message.data}`));
      });
    });
}
