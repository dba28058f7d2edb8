// Turns what a user types into a module CID: a local folder (for authors), NAME:VERSION (looked up in the
// user's catalog, the shipped catalog, then the on-chain module registry), or a bare CID.
import { existsSync, statSync } from "node:fs";
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { UnknownModuleError } from "./errors.ts";
import type { ModuleCatalog } from "./moduleCatalog.ts";
import { packageModule } from "./packageModule.ts";

export interface ResolveModuleRefParameters {
  ref: string;
  blockstore: Blockstore;
  /** Consulted in order; the first that has the name wins. */
  catalogs: ModuleCatalog[];
  /** The on-chain registry's lookup, when a chain is configured: the module id digest, or undefined. */
  registry?: (name: string, version: string) => Promise<Hex | undefined>;
}

export interface ResolveModuleRefResult {
  cid: string;
  /** How it was found. */
  source: "folder" | "catalog" | "registry" | "cid";
}

const NAME_VERSION = /^([a-z0-9][a-z0-9._-]*):([a-z0-9][a-z0-9._-]*)$/;

/** Whether a reference names a folder: it starts with "." or "/", or is an existing directory. */
export function isFolderRef(ref: string): boolean {
  return ref.startsWith(".") || ref.startsWith("/") || (existsSync(ref) && statSync(ref).isDirectory());
}

export async function resolveModuleRef({ ref, blockstore, catalogs, registry }: ResolveModuleRefParameters): Promise<ResolveModuleRefResult> {
  if (isFolderRef(ref)) {
    if (!existsSync(ref)) throw new UnknownModuleError({ ref, hint: "no such folder" });
    return { cid: (await packageModule({ dir: ref, blockstore })).cid, source: "folder" };
  }
  const named = NAME_VERSION.exec(ref);
  if (named) {
    for (const catalog of catalogs) {
      const cid = catalog[ref];
      if (cid) return { cid, source: "catalog" };
    }
    const digest = await registry?.(named[1]!, named[2]!);
    if (digest && BigInt(digest) !== 0n) return { cid: moduleCidOfDigest(digest), source: "registry" };
    const known = [...new Set(catalogs.flatMap((c) => Object.keys(c)))].sort();
    throw new UnknownModuleError({ ref, hint: known.length ? `known modules: ${known.join(", ")}` : undefined });
  }
  try {
    return { cid: CID.parse(ref).toV1().toString(), source: "cid" };
  } catch {
    throw new UnknownModuleError({ ref, hint: "use NAME:VERSION (e.g. cowsay:v1), a module CID, or a folder (./my-module)" });
  }
}
