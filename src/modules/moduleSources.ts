// Which sources a module folder has, and whether its build is current. A folder holds at most one of:
//   assembly/index.ts   AssemblyScript (compileAssemblyScript.ts)
//   src/main.c          C, every .c under src/ (compileC.ts)
//   src/main.rs         Rust, one crate rooted at src/main.rs, std only (compileRust.ts)
// The build writes build/sources.json with a digest of the source files, so that `module run ./folder` can tell
// that the sources changed since build/module.wasm was made and rebuild first (buildModuleIfStale.ts). A digest
// rather than mtimes: a checkout or a copy changes mtimes without changing the program, and an edit undone is no change.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { z } from "zod";
import { ModulePackageError } from "./errors.ts";

export const SOURCE_LANGUAGES = ["assemblyscript", "c", "rust"] as const;
export type SourceLanguage = (typeof SOURCE_LANGUAGES)[number];

export interface ModuleSources {
  language: SourceLanguage;
  /** The entry file (absolute). */
  entry: string;
  /** Every source file the build reads from the folder (absolute, sorted): what the digest covers. */
  files: string[];
}

/** Where each language's entry lives, and the folder whose files are its sources. */
const LAYOUT: Record<SourceLanguage, { entry: string[]; folder: string }> = {
  assemblyscript: { entry: ["assembly", "index.ts"], folder: "assembly" },
  c: { entry: ["src", "main.c"], folder: "src" },
  rust: { entry: ["src", "main.rs"], folder: "src" },
};

/** The folder's sources, or undefined when it has none (a module.wasm compiled elsewhere, or a js module). */
export async function findModuleSources(dir: string): Promise<ModuleSources | undefined> {
  const found = SOURCE_LANGUAGES.filter((language) => existsSync(join(dir, ...LAYOUT[language].entry)));
  if (found.length > 1) {
    throw new ModulePackageError({
      dir,
      reason: `it has sources in more than one language (${found.map((l) => LAYOUT[l].entry.join("/")).join(", ")})`,
      hint: "keep one of them: a module is built from one program",
    });
  }
  const language = found[0];
  if (language === undefined) return undefined;
  const { entry, folder } = LAYOUT[language];
  return { language, entry: join(dir, ...entry), files: (await listFiles(join(dir, folder))).sort() };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && !e.name.startsWith(".")).map((e) => join(e.parentPath, e.name));
}

/** A digest of the sources: each file's path (relative to the folder, with '/') and bytes, and the language. */
export async function sourcesDigest(dir: string, sources: ModuleSources): Promise<string> {
  const hash = createHash("sha256").update(`${sources.language}\n`);
  for (const file of sources.files) {
    const bytes = await readFile(file);
    hash.update(`${relative(dir, file).split(sep).join("/")}\n${bytes.length}\n`).update(bytes);
  }
  return hash.digest("hex");
}

const stampSchema = z.object({ language: z.enum(SOURCE_LANGUAGES), sources: z.string().regex(/^[0-9a-f]{64}$/) });

export function stampFile(dir: string): string {
  return join(dir, "build", "sources.json");
}

export async function writeSourcesStamp(dir: string, language: SourceLanguage, digest: string): Promise<void> {
  await mkdir(join(dir, "build"), { recursive: true });
  await writeFile(stampFile(dir), `${JSON.stringify({ language, sources: digest })}\n`);
}

/** Why the folder's build/module.wasm is not what its sources give today, or undefined when it is. */
export async function staleReason(dir: string, sources: ModuleSources): Promise<string | undefined> {
  if (!existsSync(join(dir, "build", "module.wasm"))) return "it was never built";
  let stamp: z.output<typeof stampSchema> | undefined;
  try {
    stamp = stampSchema.parse(JSON.parse(await readFile(stampFile(dir), "utf8")));
  } catch {
    return "its build records no sources";
  }
  if (stamp.language !== sources.language || stamp.sources !== (await sourcesDigest(dir, sources))) return "its sources changed since the last build";
  return undefined;
}
