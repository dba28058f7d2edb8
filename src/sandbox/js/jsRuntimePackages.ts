// The npm packages the js engine provides to modules (AI runtimes that are JavaScript plus WebAssembly, and the
// model files shipped inside them), resolved to their real folders on this machine together with everything
// they depend on. A job's child may read these folders and nothing else of node_modules.
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";

/** What a module may import by bare name. Each brings its dependencies along. */
export const PROVIDED_PACKAGES: readonly string[] = [
  "tesseract.js",
  "tesseract.js-core",
  "@tesseract.js-data/eng",
  "nsfwjs",
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-backend-cpu",
  "@tensorflow/tfjs-converter",
  "@tensorflow/tfjs-layers",
  "@tensorflow/tfjs-data",
  "pngjs",
];

/**
 * Packages that a provided package loads without declaring them (bundled code that kept its require calls).
 * Node's resolver must be able to read them, or the import fails with a permission error.
 */
const UNDECLARED_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  "@tensorflow/tfjs": ["long"],
};

export interface JsRuntimePackages {
  /** Real folder of every provided package and every package they depend on, by package name. */
  dirs: Record<string, string>;
  /**
   * A file URL inside the node_modules folder that holds the provided packages: the child resolves a module's
   * bare imports of provided packages as if they were written there.
   */
  anchorUrl: string;
}

let cached: JsRuntimePackages | undefined;

/** Resolves the provided packages once per process (a few milliseconds). */
export function jsRuntimePackages(): JsRuntimePackages {
  cached ??= resolvePackages();
  return cached;
}

function resolvePackages(): JsRuntimePackages {
  const dirs: Record<string, string> = {};
  const anchorFrom = createRequire(import.meta.url);
  const first = packageDir(anchorFrom, PROVIDED_PACKAGES[0]!);
  if (!first) throw new Error(`the js engine's runtime package ${PROVIDED_PACKAGES[0]} is not installed`);
  const queue: Array<{ name: string; from: NodeJS.Require; required: boolean }> = PROVIDED_PACKAGES.map((name) => ({ name, from: anchorFrom, required: true }));
  // Each package's dependencies resolve from its own folder (nested node_modules win), as Node resolves them.
  const seen = new Set<string>();
  while (queue.length > 0) {
    const { name, from, required } = queue.shift()!;
    const dir = packageDir(from, name);
    if (!dir) {
      if (required) throw new Error(`the js engine's runtime package ${name} is not installed`);
      continue;
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    // A package found twice (nested copies) is listed under its first path; every copy is readable below.
    dirs[dirs[name] === undefined ? name : `${name}@${dir}`] = dir;
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const ownRequire = createRequire(join(dir, "package.json"));
    const declared = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
    for (const dep of [...Object.keys(declared), ...(UNDECLARED_DEPENDENCIES[name] ?? [])]) {
      // Type declarations are never loaded at run time.
      if (dep.startsWith("@types/")) continue;
      queue.push({ name: dep, from: ownRequire, required: false });
    }
  }
  const root = nodeModulesRootOf(first, PROVIDED_PACKAGES[0]!);
  return { dirs, anchorUrl: new URL(`file://${join(root, "__lilypad_js_engine__.js")}`).href };
}

/** The real folder of `name` as seen from `from`, or undefined when it is not installed there. */
function packageDir(from: NodeJS.Require, name: string): string | undefined {
  for (const base of from.resolve.paths(name) ?? []) {
    try {
      return realpathSync(join(base, name));
    } catch {
      // not in this node_modules folder; try the next one up
    }
  }
  return undefined;
}

/** The node_modules folder holding `name` (one level up, two for a scoped name). */
function nodeModulesRootOf(dir: string, name: string): string {
  let root = dirname(dir);
  if (name.startsWith("@")) root = dirname(root);
  if (!root.endsWith(`${sep}node_modules`)) throw new Error(`${name} is not inside a node_modules folder (${dir})`);
  return root;
}
