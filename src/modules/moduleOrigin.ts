// Whose module a resolved reference is, in words for the user, and the check that a name is only ever run for the
// module that bears it.
import type { ModuleManifest } from "../core/moduleManifest.ts";
import { ModuleNameMismatchError } from "./errors.ts";
import { formatModuleName } from "../core/moduleName.ts";
import type { ResolveModuleRefResult } from "./resolveModuleRef.ts";

/**
 * Throws ModuleNameMismatchError when a module found by name has a manifest that calls it something else (a
 * publisher who bound `sheep:v1` to a module whose manifest says `cowsay:v1`): what the user reads as the module's
 * name is then always the name they asked for.
 */
export function checkModuleName(resolved: ResolveModuleRefResult, manifest: ModuleManifest): void {
  const { name } = resolved;
  if (name && (name.name !== manifest.name || name.version !== manifest.version)) {
    throw new ModuleNameMismatchError({ ref: formatModuleName(name), manifestName: `${manifest.name}:${manifest.version}` });
  }
}

/** One line: which module, and who stands behind its name. */
export function describeModuleOrigin(resolved: ResolveModuleRefResult, manifest: ModuleManifest): string {
  const own = `${manifest.name}:${manifest.version}`;
  switch (resolved.source) {
    case "shipped":
      return `${own}, shipped with lilypad`;
    case "catalog":
      return `${own}, from your catalog (a module you built or published)`;
    case "approved":
      return `${own}, approved by the network's governance`;
    case "registry":
      return `${own}, published by ${resolved.name?.publisher}`;
    case "folder":
      return `${own}, from a local folder`;
    case "cid":
      return `${resolved.cid}, by CID (its manifest calls it ${own}; no one vouches for that name)`;
  }
}
