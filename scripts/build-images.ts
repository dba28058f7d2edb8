// Builds the image of every shipped container module (modules/<name>/image.json) into modules/<name>/build/
// image.oci.tar, cached by content (src/modules/container/buildContainerImage.ts): the first build runs mmdebstrap
// and podman (minutes), later ones link the cached archive (well under a second). CI runs it before the tests
// that use the images; `npm test` and `npm ci` do not, so installing lilypad never runs mmdebstrap.
// A folder with a lilypad_module.json.tmpl (Lilypad's own module format) gets its template's
// "Image":"name@sha256:..." rewritten to the manifest digest of the image just built.
// Usage: node scripts/build-images.ts [name ...]
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildContainerImage } from "../src/modules/container/buildContainerImage.ts";
import { IMAGE_RECIPE_FILE } from "../src/modules/container/imageRecipe.ts";
import { LILYPAD_TEMPLATE_FILE, pinTemplateImage } from "../src/modules/folderManifest.ts";
import { SHIPPED_MODULES_DIR } from "../src/modules/moduleCatalog.ts";

/** The shipped modules that have an image recipe. */
export function listImageModules(): string[] {
  return readdirSync(SHIPPED_MODULES_DIR)
    .sort()
    .filter((name) => existsSync(join(SHIPPED_MODULES_DIR, name, IMAGE_RECIPE_FILE)));
}

async function main(argv: string[]): Promise<void> {
  const names = argv.length > 0 ? argv : listImageModules();
  const started = performance.now();
  for (const name of names) {
    const dir = join(SHIPPED_MODULES_DIR, name);
    if (!existsSync(join(dir, IMAGE_RECIPE_FILE))) throw new Error(`modules/${name} has no ${IMAGE_RECIPE_FILE}`);
    const t0 = performance.now();
    const built = await buildContainerImage({ dir, onProgress: (line) => console.log(`  ${name}: ${line}`) });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`modules/${name}/build/image.oci.tar  ${(built.bytes / 1e6).toFixed(0)} MB  ${built.image}  ${built.source}  ${seconds} s`);
    if (await pinTemplateImage(dir, built.manifestDigest)) {
      console.log(`modules/${name}/${LILYPAD_TEMPLATE_FILE}: Image pinned to ${built.manifestDigest}`);
    }
  }
  console.log(`built ${names.length} images in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.message}${"hint" in error && error.hint ? `\n${String(error.hint)}` : ""}` : error);
    process.exitCode = 1;
  });
}
