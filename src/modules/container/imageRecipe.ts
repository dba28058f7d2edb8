// A container module's image recipe, image.json in its folder (docs/containers.md, "Building a container module"):
//   { "debian": { "suite": "bookworm", "packages": ["python3-minimal", "python3-sklearn"] },
//     "files": { "/app/train.py": "train.py" } }
// The image is Debian's essential set plus apt plus `packages` (mmdebstrap --variant=apt), with each file of
// `files` copied from the folder to its path in the image. Every name is checked here, so nothing the recipe says
// reaches a program except as one argument, and no file outside the folder can be copied.
import { existsSync, lstatSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { z } from "zod";
import { ImageRecipeError } from "./errors.ts";

/** Debian package names (Debian policy 5.6.1), optionally with an architecture qualifier such as `:amd64`. */
const debianPackage = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.+-]{1,99}(:[a-z0-9-]{1,32})?$/, "a Debian package name (lowercase letters, digits, '.', '+' and '-')");

/** An absolute path in the image: /-separated names of safe characters, no '.' or '..' parts. */
const imagePath = z
  .string()
  .max(256)
  .regex(/^(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)+$/, "an absolute path in the image, such as /app/main.py (letters, digits, '.', '_', '+', '-')")
  .refine((p) => !p.split("/").some((part) => part === "." || part === ".."), "no '.' or '..' parts");

/** A path inside the module folder, relative, without '..'. */
const folderPath = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$/, "a path relative to the module folder, such as main.py or src/main.py")
  .refine((p) => !p.split("/").some((part) => part === "." || part === ".."), "no '.' or '..' parts");

export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";

export const imageRecipeSchema = z
  .object({
    debian: z
      .object({
        /** A Debian suite or codename: bookworm, trixie, stable, ... */
        suite: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, "a Debian suite such as bookworm"),
        packages: z.array(debianPackage).max(500).default([]),
        mirror: z
          .string()
          .max(500)
          .regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/, "an http(s) URL of a Debian mirror")
          .default(DEFAULT_DEBIAN_MIRROR),
      })
      .strict(),
    /** Image path -> file in the module folder. */
    files: z
      .record(z.string(), folderPath)
      .superRefine((files, ctx) => {
        // Checked here rather than as the record's key schema, whose messages zod replaces with "Invalid key".
        for (const target of Object.keys(files)) {
          const checked = imagePath.safeParse(target);
          if (!checked.success) ctx.addIssue({ code: "custom", message: checked.error.issues[0]!.message, path: [target] });
        }
      })
      .default({}),
  })
  .strict();

export type ImageRecipe = z.output<typeof imageRecipeSchema>;

export const IMAGE_RECIPE_FILE = "image.json";

/** Checks a recipe, naming every problem with its place: `image.json: debian.packages.1: a Debian package name...`. */
export function parseImageRecipe(raw: unknown, where = IMAGE_RECIPE_FILE): ImageRecipe {
  const parsed = imageRecipeSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(top level)"}: ${issue.message}`);
    throw new ImageRecipeError({ where, reason: problems.join("; ") });
  }
  const recipe = parsed.data;
  return { ...recipe, debian: { ...recipe.debian, packages: [...new Set(recipe.debian.packages)].sort() } };
}

/** The folder's image.json, checked, with each file it copies checked to be a regular file inside the folder; undefined when there is none. */
export async function readImageRecipe(dir: string): Promise<ImageRecipe | undefined> {
  const root = resolve(dir);
  const path = join(root, IMAGE_RECIPE_FILE);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ImageRecipeError({ where: path, reason: `not JSON (${(error as Error).message})` });
  }
  const recipe = parseImageRecipe(raw, path);
  for (const [target, source] of Object.entries(recipe.files)) {
    const file = join(root, ...source.split("/"));
    if (!file.startsWith(root + sep)) throw new ImageRecipeError({ where: path, reason: `files.${target}: ${source} is outside the folder` });
    let kind = "missing";
    try {
      const stat = lstatSync(file);
      kind = stat.isFile() ? "file" : stat.isSymbolicLink() ? "a symbolic link" : "not a regular file";
    } catch {
      // missing
    }
    if (kind !== "file") throw new ImageRecipeError({ where: path, reason: `files.${target}: ${source} is ${kind === "missing" ? "not in the folder" : kind}` });
  }
  return recipe;
}
