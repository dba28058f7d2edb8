// Scaffolds a module folder from a template shipped in the package (templates/modules/<language>/): a program
// that greets its one input, a manifest without `artifact` (the build fills it in) and a README. Each template
// builds and runs as written; test/cli/moduleInit.test.ts does exactly that for every language.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "../core/errors.ts";
import { MODULE_NAME_PART } from "../core/moduleName.ts";
import { SOURCE_LANGUAGES, type SourceLanguage } from "./moduleSources.ts";

/** The templates, beside src/ (and dist/) in the package: package.json `files` lists templates/. */
export const MODULE_TEMPLATES_DIR = fileURLToPath(new URL("../../templates/modules", import.meta.url));

export interface InitModuleParameters {
  /** The folder to create (absolute); it must not exist, or be empty. */
  dir: string;
  language: SourceLanguage;
  /** The module's name (default: the folder's name, lower-cased). */
  name?: string;
  author: string;
  /** How the user will type the folder in the README's commands, e.g. "./hello". */
  shownAs: string;
}

export interface InitModuleResult {
  name: string;
  /** The files written, relative to the folder, sorted. */
  files: string[];
}

export function isSourceLanguage(value: string): value is SourceLanguage {
  return (SOURCE_LANGUAGES as readonly string[]).includes(value);
}

export async function initModule({ dir, language, name, author, shownAs }: InitModuleParameters): Promise<InitModuleResult> {
  const moduleName = name ?? basename(dir).toLowerCase();
  if (!MODULE_NAME_PART.test(moduleName)) {
    throw new InvalidArgumentError({
      argument: name === undefined ? "<dir>" : "--name",
      message: `"${moduleName}" cannot be a module name: 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`,
      hint: name === undefined ? "name the module with --name, e.g. --name hello" : "e.g. --name hello",
    });
  }
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new InvalidArgumentError({
      argument: "<dir>",
      message: `${shownAs} already exists and is not empty`,
      hint: "choose a new folder (module init never overwrites files)",
    });
  }
  const template = join(MODULE_TEMPLATES_DIR, language);
  const tokens: Record<string, string> = { __NAME__: moduleName, __AUTHOR__: author, __DIR__: shownAs };
  const files: string[] = [];
  for (const entry of await readdir(template, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const from = join(entry.parentPath, entry.name);
    const file = relative(template, from);
    // In JSON files the values are escaped as JSON strings: an author may be `Ada "the first" Lovelace`.
    const escape = file.endsWith(".json") ? (value: string) => JSON.stringify(value).slice(1, -1) : (value: string) => value;
    const text = (await readFile(from, "utf8")).replace(/__(NAME|AUTHOR|DIR)__/g, (token) => escape(tokens[token] ?? token));
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text, { flag: "wx" });
    files.push(file);
  }
  return { name: moduleName, files: files.sort() };
}
