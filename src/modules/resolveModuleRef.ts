// Turns what a user types into a module CID: a local folder (for authors), a module name, or a bare CID. A name
// says whose module it is, and is looked up only where that owner speaks:
// - NAME:VERSION (bare): the modules shipped with lilypad, then the user's own catalog (what they built), then the
//   names the network's governance approved on chain. Never a module some stranger published.
// - 0x<publisher>/NAME:VERSION: what that address published in its own namespace of the on-chain registry.
import { existsSync, statSync } from "node:fs";
import { CID } from "multiformats/cid";
import type { Address, Hex } from "viem";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { ModuleRegistryUnavailableError, UnknownModuleError } from "./errors.ts";
import { LILYPAD_MODULE_ALIASES, readShippedCatalog, type ModuleCatalog } from "./moduleCatalog.ts";
import { formatModuleName, GOVERNANCE_NAMESPACE, MODULE_NAME_PART, parseModuleName, type ModuleName } from "../core/moduleName.ts";
import { buildModuleIfStale } from "./buildModule.ts";

/**
 * The on-chain registry's lookup: the module id digest bound to `name:version` in `publisher`'s namespace
 * (GOVERNANCE_NAMESPACE for the bare names governance approved), or undefined. Throws when it cannot be asked.
 */
export type ModuleRegistryLookup = (query: { publisher: Address; name: string; version: string }) => Promise<Hex | undefined>;

export interface ResolveModuleRefParameters {
  ref: string;
  blockstore: Blockstore;
  /** The user's own catalogs (what they built), consulted in order after the shipped catalog. */
  catalogs: ModuleCatalog[];
  /** The modules shipped with lilypad (default: modules/catalog.json); their names are never shadowed. */
  shipped?: ModuleCatalog;
  /** The on-chain registry, when a network is configured. */
  registry?: ModuleRegistryLookup;
  /** Where compilers are looked up when a folder must be rebuilt (default: this process's environment). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Called before a folder whose sources changed since its last build (or that was never built) is rebuilt. */
  onRebuild?: (reason: string) => void;
}

export interface ResolveModuleRefResult {
  cid: string;
  /**
   * How it was found: a folder, the shipped catalog, the user's catalog, a bare name governance approved, a
   * publisher's namespace in the registry, or a CID.
   */
  source: "folder" | "shipped" | "catalog" | "approved" | "registry" | "cid";
  /** The name it was found by; the module's manifest must bear it (checkModuleName). */
  name?: ModuleName;
}

/** Whether a reference names a folder: it starts with "." or "/", or is an existing directory. */
export function isFolderRef(ref: string): boolean {
  return ref.startsWith(".") || ref.startsWith("/") || (existsSync(ref) && statSync(ref).isDirectory());
}

export async function resolveModuleRef(params: ResolveModuleRefParameters): Promise<ResolveModuleRefResult> {
  const { ref, blockstore } = params;
  if (isFolderRef(ref)) {
    if (!existsSync(ref)) throw new UnknownModuleError({ ref, hint: "no such folder" });
    // An author who edited the sources runs what they wrote, not the previous build.
    const built = await buildModuleIfStale({ dir: ref, blockstore, env: params.env, onRebuild: params.onRebuild });
    return { cid: built.cid, source: "folder" };
  }
  const name = parseModuleName(ref);
  if (name?.publisher !== undefined) return await resolvePublished(ref, name, name.publisher, params.registry);
  if (name) return await resolveBare(ref, name, params);
  try {
    return { cid: CID.parse(ref).toV1().toString(), source: "cid" };
  } catch {
    const hint = MODULE_NAME_PART.test(ref) ? `a name needs a version, e.g. ${ref}:v1` : "use NAME:VERSION (e.g. cowsay:v1), 0x<publisher>/NAME:VERSION, a module CID, or a folder (./my-module)";
    throw new UnknownModuleError({ ref, hint });
  }
}

async function resolvePublished(ref: string, name: ModuleName, publisher: Address, registry: ModuleRegistryLookup | undefined): Promise<ResolveModuleRefResult> {
  if (!registry) {
    throw new ModuleRegistryUnavailableError({
      ref,
      reason: "no network is configured, and published modules are named in a network's on-chain registry",
      hint: "start a devnet (lilypad devnet) or name a network",
    });
  }
  let digest: Hex | undefined;
  try {
    digest = await registry({ publisher, name: name.name, version: name.version });
  } catch (error) {
    throw new ModuleRegistryUnavailableError({ ref, reason: "the module registry did not answer", hint: "check the network's RPC URL and try again", cause: error });
  }
  if (!digest || BigInt(digest) === 0n) {
    throw new UnknownModuleError({ ref, hint: `${publisher} has not published ${name.name}:${name.version} on this network: check the address and the version` });
  }
  return { cid: moduleCidOfDigest(digest), source: "registry", name };
}

async function resolveBare(ref: string, given: ModuleName, params: ResolveModuleRefParameters): Promise<ResolveModuleRefResult> {
  const alias = LILYPAD_MODULE_ALIASES[formatModuleName(given)];
  const name = alias === undefined ? given : (parseModuleName(alias) ?? given);
  const key = formatModuleName(name);
  const shipped = params.shipped ?? readShippedCatalog();
  if (shipped[key]) return { cid: shipped[key], source: "shipped", name };
  for (const catalog of params.catalogs) {
    if (catalog[key]) return { cid: catalog[key], source: "catalog", name };
  }
  let unreachable: unknown;
  if (params.registry) {
    try {
      const digest = await params.registry({ publisher: GOVERNANCE_NAMESPACE, name: name.name, version: name.version });
      if (digest && BigInt(digest) !== 0n) return { cid: moduleCidOfDigest(digest), source: "approved", name };
    } catch (error) {
      unreachable = error;
    }
  }
  const known = [...new Set([shipped, ...params.catalogs].flatMap((c) => Object.keys(c)))].sort();
  throw new UnknownModuleError({
    ref,
    hint:
      `a bare name is a module shipped with lilypad, one you built, or one the network's governance approved` +
      `${known.length ? ` (known here: ${known.join(", ")})` : ""}${unreachable === undefined ? "" : "; the module registry did not answer"}. ` +
      `A module someone published is named by its publisher: 0x<publisher address>/${key}; ask its author for the full name`,
    cause: unreachable,
  });
}
