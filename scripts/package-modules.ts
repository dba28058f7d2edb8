// Packages every module in modules/ (after scripts/build-modules.ts compiled the wasm ones) and writes
// modules/catalog.json: NAME:VERSION -> module CID. The catalog is committed, so a module's id is visible in
// review, and a test rebuilds everything and checks that the ids come out the same (reproducible builds).
// Container modules (engine "container") are left out: their images are built by scripts/build-images.ts, which
// runs mmdebstrap and podman for minutes and is not part of `npm ci` or `npm test`, and an image built from
// Debian's mirror today is not byte-identical to one built tomorrow, so no committed catalog could name it.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHIPPED_CATALOG_FILE, SHIPPED_MODULES_DIR, type ModuleCatalog } from "../src/modules/moduleCatalog.ts";
import { packageModule } from "../src/modules/packageModule.ts";
import { createBlockstore } from "../src/storage/createBlockstore.ts";

export async function packageShippedModules(): Promise<ModuleCatalog> {
  const storeDir = await mkdtemp(join(tmpdir(), "lilypad-package-"));
  try {
    const blockstore = await createBlockstore({ path: storeDir });
    const catalog: ModuleCatalog = {};
    for (const name of readdirSync(SHIPPED_MODULES_DIR).sort()) {
      if (!existsSync(join(SHIPPED_MODULES_DIR, name, "manifest.json"))) continue;
      if (isContainerModule(join(SHIPPED_MODULES_DIR, name))) continue;
      const packaged = await packageModule({ dir: join(SHIPPED_MODULES_DIR, name), blockstore });
      catalog[`${packaged.manifest.name}:${packaged.manifest.version}`] = packaged.cid;
    }
    return catalog;
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
}

/** Whether a module folder's manifest names the container engine. */
export function isContainerModule(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { engine?: unknown }).engine === "container";
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const catalog = await packageShippedModules();
  await writeFile(SHIPPED_CATALOG_FILE, `${JSON.stringify(catalog, null, 2)}\n`);
  for (const [key, cid] of Object.entries(catalog)) console.log(`lilypad: ${key.padEnd(12)} ${cid}`);
}
