// The js engine's child process: imports one job's entry module and calls its default export (the contract is in
// README.md beside this file). It runs under Node's permission model, started by runJsJob, and imports only Node
// built-ins, since it may read nothing of this repository but itself. It tells the host how the job ended on fd 3,
// with one JSON line (jsChildProtocol.ts); stdout and stderr belong to the module.
// Plain JavaScript on purpose: a .ts entry would make every job pay ~200 ms for Node's type stripping.
import { writeSync } from "node:fs";
import { registerHooks } from "node:module";
import { pathToFileURL } from "node:url";

const STATUS_FD = 3;
let reported = false;

/**
 * Tells the host how the job ended; only the first report counts.
 * @param {import("./jsChildProtocol.ts").JsChildStatus} status
 */
function report(status) {
  if (reported) return;
  reported = true;
  try {
    writeSync(STATUS_FD, `${JSON.stringify(status)}\n`);
  } catch {
    // the host is gone; nothing to tell
  }
}

/** Prints why the module failed, saying "permission denied" for what the permission model refused. */
function describeFailure(error) {
  const code = error?.code;
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (code === "ERR_ACCESS_DENIED") {
    const { permission, resource } = error;
    const what = [permission, resource].filter(Boolean).join(" ");
    return `lilypad: permission denied${what ? ` (${what})` : ""}: ${text}\n`;
  }
  return `lilypad: the module failed: ${text}\n`;
}

function fail(error) {
  try {
    writeSync(2, describeFailure(error));
  } catch {
    // stderr is closed
  }
  report({ kind: "exited", exitCode: 1 });
  process.exit(1);
}

/** The name of the package a bare specifier imports ("@scope/name/sub" -> "@scope/name"), or undefined. */
function bareName(specifier) {
  if (/^(node:|file:|data:|\.|\/)/.test(specifier)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * Node 22's permission model has no network permission (--allow-net came in Node 25); the wall is bubblewrap's
 * empty network namespace. These stubs only make the usual ways in fail at once, with a clear message, also where
 * bubblewrap is missing (a module can still reach node:net itself there).
 */
function denyNetwork() {
  const denied = (what) =>
    Object.assign(new Error(`${what}: the sandbox has no network`), { code: "ERR_ACCESS_DENIED", permission: "Network", resource: what });
  globalThis.fetch = async (input) => {
    throw denied(`fetch ${input instanceof Request ? input.url : String(input)}`);
  };
  Object.defineProperty(globalThis, "WebSocket", {
    configurable: true,
    writable: true,
    value: class {
      constructor(url) {
        throw denied(`WebSocket ${String(url)}`);
      }
    },
  });
}

/**
 * stdout and stderr are pipes to the host, which Node writes asynchronously: a module printing in a loop would
 * queue its output in memory, and process.exit() would drop what is still queued. Blocking writes fix both;
 * the host reads as fast as it can and stops the job at the output limit.
 */
function blockingStdio() {
  for (const stream of [process.stdout, process.stderr]) {
    stream._handle?.setBlocking?.(true);
  }
}

/** @param {import("./jsChildProtocol.ts").JsChildConfig} config */
async function main(config) {
  blockingStdio();
  denyNetwork();
  for (const key of Object.keys(process.env)) if (!Object.hasOwn(config.env, key)) delete process.env[key];
  const moduleUrl = pathToFileURL(config.moduleDir.endsWith("/") ? config.moduleDir : `${config.moduleDir}/`).href;
  // The module's own imports of provided packages resolve in the engine's node_modules (the module folder has
  // none of its own); everything else, including the packages' imports of each other, resolves as usual.
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const name = bareName(specifier);
      if (name !== undefined && Object.hasOwn(config.packages, name) && context.parentURL?.startsWith(moduleUrl)) {
        return nextResolve(specifier, { ...context, parentURL: config.anchorUrl });
      }
      return nextResolve(specifier, context);
    },
  });

  let entry;
  try {
    entry = await import(pathToFileURL(config.entry).href);
  } catch (error) {
    writeSync(2, describeFailure(error));
    report({ kind: "invalid-module", message: `importing the entry failed: ${error?.message ?? String(error)}` });
    process.exit(1);
  }
  if (typeof entry.default !== "function") {
    report({ kind: "invalid-module", message: "the entry has no default export function run(context)" });
    process.exit(1);
  }
  const context = Object.freeze({
    inputs: Object.freeze({ ...config.inputs }),
    files: Object.freeze({ ...config.files }),
    inputsDir: config.inputsDir,
    outputsDir: config.outputsDir,
    args: Object.freeze([...config.args]),
    env: Object.freeze({ ...process.env }),
    seed: config.seed,
    packageDir(name) {
      const dir = config.packages[name];
      if (dir === undefined) throw new Error(`the js engine provides no package named ${name}`);
      return dir;
    },
  });
  const returned = await entry.default(context);
  const exitCode = typeof returned === "number" && Number.isInteger(returned) ? returned & 0xff : 0;
  report({ kind: "exited", exitCode });
  process.exit(exitCode);
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
// Modules that call process.exit() themselves still report how they ended.
process.on("exit", (code) => report({ kind: "exited", exitCode: code }));
main(JSON.parse(process.argv[2] ?? "{}")).catch(fail);
