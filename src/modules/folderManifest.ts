// What a module folder says it is: its manifest.json, or, for a folder in Lilypad's own format, the manifest its
// lilypad_module.json.tmpl translates to (docs/containers.md, "Lilypad's module format"). A translated module is a
// container module whose archive must hold the very image the template names by digest.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSourceManifest } from "../core/moduleId.ts";
import type { SourceManifest } from "../core/moduleManifest.ts";
import { ModulePackageError } from "./errors.ts";
import { translateLilypadTemplate, type LilypadImageReference } from "./lilypad/translate.ts";

export const LILYPAD_TEMPLATE_FILE = "lilypad_module.json.tmpl";

export interface FolderManifest {
  draft: SourceManifest;
  /** The file the draft came from. */
  source: string;
  /** For a Lilypad template: the image it names (the archive's manifest digest must be `digest`). */
  lilypadImage?: LilypadImageReference;
  /** What the translation ignored or changed, for the author. */
  notes: string[];
}

export async function readFolderManifest(root: string): Promise<FolderManifest> {
  const manifestPath = join(root, "manifest.json");
  const templatePath = join(root, LILYPAD_TEMPLATE_FILE);
  if (existsSync(manifestPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(manifestPath, "utf8"));
    } catch (error) {
      throw new ModulePackageError({ dir: root, reason: `manifest.json is not JSON (${(error as Error).message})` });
    }
    return { draft: parseSourceManifest(raw, manifestPath), source: manifestPath, notes: [] };
  }
  if (existsSync(templatePath)) {
    const { manifest, image, notes } = translateLilypadTemplate(await readFile(templatePath, "utf8"));
    return { draft: manifest, source: templatePath, lilypadImage: image, notes };
  }
  throw new ModulePackageError({ dir: root, reason: `it has no manifest.json (or ${LILYPAD_TEMPLATE_FILE})`, hint: "see docs/modules.md" });
}

/**
 * Points a Lilypad template's Docker image at `manifestDigest` (the image its folder's recipe just built): a
 * recipe is what the folder's image is made from, so the digest the template names follows it, as a built
 * manifest's artifact.cid follows its artifact. Returns whether the file changed.
 */
export async function pinTemplateImage(root: string, manifestDigest: string): Promise<boolean> {
  const path = join(root, LILYPAD_TEMPLATE_FILE);
  if (!existsSync(path)) return false;
  const text = await readFile(path, "utf8");
  const pinned = text.replace(/("Image"\s*:\s*"[^"@]+)@sha256:[0-9a-f]{64}"/, `$1@${manifestDigest}"`);
  if (pinned === text) return false;
  await writeFile(path, pinned);
  return true;
}
