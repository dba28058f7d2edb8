// Names for module ids: the shipped catalog's (cowsay:v1, ...) and the on-chain registry's. Governance's bare
// names read as "name:version", a publisher's as "0xabcd…1234/name:version", as the CLI writes them.
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import type { DatabaseSync } from "node:sqlite";
import { ZERO_ADDRESS } from "../core/dealTypes.ts";
import type { ModuleSummary } from "../core/api/indexerApi.ts";

export type ModuleNameEntry = ModuleSummary["names"][number];

export class ModuleNames {
  readonly #catalog: Map<Hex, ModuleNameEntry[]>;
  readonly #db: DatabaseSync;
  #registry = new Map<Hex, ModuleNameEntry[]>();
  #registryCount = -1;

  /** `catalog` maps "name:version" to the module's CID, as modules/catalog.json does. */
  constructor(db: DatabaseSync, catalog: Readonly<Record<string, string>>) {
    this.#db = db;
    this.#catalog = new Map();
    for (const [key, cid] of Object.entries(catalog)) {
      const [name = key, version = ""] = key.split(":");
      const id = `0x${Buffer.from(CID.parse(cid).multihash.digest).toString("hex")}` as Hex;
      const list = this.#catalog.get(id) ?? [];
      list.push({ publisher: null, name, version, source: "catalog", publishedAt: null, tx: null });
      this.#catalog.set(id, list);
    }
  }

  /** Every name of `moduleId`: the catalog's first, then the registry's in publishing order. */
  namesOf(moduleId: Hex): ModuleNameEntry[] {
    this.#refresh();
    const id = moduleId.toLowerCase() as Hex;
    return [...(this.#catalog.get(id) ?? []), ...(this.#registry.get(id) ?? [])];
  }

  /** The name a person reads, e.g. "cowsay:v1"; null for an id nobody named. */
  displayName(moduleId: Hex): string | null {
    const [first] = this.namesOf(moduleId);
    if (!first) return null;
    const bare = `${first.name}:${first.version}`;
    if (first.publisher === null || BigInt(first.publisher) === BigInt(ZERO_ADDRESS)) return bare;
    return `${first.publisher.slice(0, 6)}…${first.publisher.slice(-4)}/${bare}`;
  }

  /** Module ids whose name contains `text` (case-insensitive). */
  idsMatching(text: string): Hex[] {
    this.#refresh();
    const needle = text.toLowerCase();
    const ids = new Set<Hex>();
    for (const map of [this.#catalog, this.#registry]) {
      for (const [id, names] of map) if (names.some((n) => `${n.name}:${n.version}`.toLowerCase().includes(needle))) ids.add(id);
    }
    return [...ids];
  }

  /** Every module id with a name. */
  knownIds(): Hex[] {
    this.#refresh();
    return [...new Set([...this.#catalog.keys(), ...this.#registry.keys()])];
  }

  /** Rereads the registry's names when new ones were indexed (names are only ever added). */
  #refresh(): void {
    const { n } = this.#db.prepare("SELECT COUNT(*) AS n FROM module_names").get() as { n: number };
    if (n === this.#registryCount) return;
    const rows = this.#db.prepare("SELECT publisher, name, version, module_id, published_at, tx FROM module_names ORDER BY published_at, tx").all() as {
      publisher: Hex;
      name: string;
      version: string;
      module_id: Hex;
      published_at: number;
      tx: Hex;
    }[];
    const registry = new Map<Hex, ModuleNameEntry[]>();
    for (const r of rows) {
      const id = r.module_id.toLowerCase() as Hex;
      const list = registry.get(id) ?? [];
      list.push({ publisher: r.publisher, name: r.name, version: r.version, source: "registry", publishedAt: r.published_at, tx: r.tx });
      registry.set(id, list);
    }
    this.#registry = registry;
    this.#registryCount = n;
  }
}
