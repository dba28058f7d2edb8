// Gathers what re-running a deal needs, from wherever it is, with the deal's on-chain data as the only index: the
// inputs (the canonical JSON whose keccak-256 is the deal's inputsHash), the module (its CID is the deal's
// moduleId) and each file input's content (by the CID in the inputs). Nothing fetched is trusted: the inputs are
// checked against the hash, and every block against its CID, so any party, store or solver may supply them. What is
// gathered stays in the blockstore, the inputs too (storeJobInputs), so this node can serve them in turn.
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { inputsHashOf, resolveInputs, type ResolvedInputs } from "../core/moduleInputs.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { fetchJobInputs } from "../storage/fetchJobInputs.ts";
import { readJobInputs } from "../storage/readJobInputs.ts";
import { storeJobInputs } from "../storage/storeJobInputs.ts";
import type { LoadModuleResult } from "./loadModule.ts";
import { fetchFromStores as fetchFromStoresOf, fetchModule, firstOf } from "./fetchModule.ts";
import { isShippedModule } from "./moduleCatalog.ts";
import { loadDealModule } from "./runDealJob.ts";

/** A file's CAR carries its bytes plus the DAG's links: a little more than the file. */
const carBytesFor = (fileBytes: number) => fileBytes + Math.ceil(fileBytes / 64) + (1 << 20);

/** Where to look for what is missing. Every source is asked in order, and every answer is checked. */
export interface DealJobSources {
  /** Base URLs that serve `/ipfs/:cid?format=car` and `/inputs/:inputsHash` (a party's registered URL, a store). */
  stores: readonly string[];
  /** Other ways to a deal's inputs, asked after the stores (a solver's job record). */
  inputs?: readonly { name: string; get(): Promise<ResolvedInputs> }[];
  /**
   * Stores reached only at public addresses: those another party chose (registered on chain), off a devnet. A store
   * whose host is or resolves to a loopback, private or link-local address is refused (PrivateAddressError).
   */
  publicOnly?: ReadonlySet<string>;
}

export interface GatherDealJobParameters {
  moduleId: Hex;
  inputsHash: Hex;
  /** Inputs already at hand (a proposal's); used only if they hash to inputsHash. */
  inputs?: ResolvedInputs;
  blockstore: Blockstore;
  workRoot: string;
  moduleCache?: Map<string, Promise<LoadModuleResult>>;
  /** Where to look; called once, and only if something is missing. */
  sources: () => Promise<DealJobSources>;
  signal?: AbortSignal;
}

export interface GatherDealJobResult {
  inputs: ResolvedInputs;
  module: LoadModuleResult;
  /** What was fetched, and from where (for logs). */
  fetched: string[];
}

export async function gatherDealJob(params: GatherDealJobParameters): Promise<GatherDealJobResult> {
  const { blockstore, inputsHash, signal } = params;
  const fetched: string[] = [];
  let sources: Promise<DealJobSources> | undefined;
  const sourcesOf = () => (sources ??= params.sources());

  // The inputs: at hand, kept from before, or asked for.
  let inputs = params.inputs !== undefined && inputsHashOf(params.inputs) === inputsHash ? params.inputs : await readJobInputs({ blockstore, inputsHash });
  if (inputs === undefined) {
    const { stores, inputs: others = [], publicOnly } = await sourcesOf();
    const attempts = [
      ...stores.map((url) => ({ name: url, get: () => fetchJobInputs({ url, inputsHash, signal, refusePrivateAddresses: publicOnly?.has(url) }) })),
      ...others.map((o) => ({ name: o.name, get: async () => checked(await o.get(), inputsHash) })),
    ];
    const found = await firstOf(`the inputs ${inputsHash}`, attempts);
    inputs = found.value;
    fetched.push(`inputs from ${found.name}`);
  }
  await storeJobInputs({ blockstore, inputs });

  // The module: the repository's own are packaged locally by loadModule; any other is fetched by CID.
  const moduleCid = CID.parse(moduleCidOfDigest(params.moduleId));
  if (!isShippedModule(moduleCid.toString())) {
    fetched.push(...(await fetchModule({ cid: moduleCid, blockstore, signal, sources: sourcesOf })));
  }
  const module = await loadDealModule({ ...params, blockstore });

  // Each file input's content, by the CID the inputs name.
  const resolved = resolveInputs({ manifest: module.manifest, given: inputs });
  for (const spec of module.manifest.inputs) {
    if (spec.type !== "file" || !Object.hasOwn(resolved, spec.name)) continue;
    const cid = CID.parse(String(resolved[spec.name]));
    if (!(await blockstore.has(cid))) fetched.push(`file input ${spec.name} from ${await fetchFromStores(cid, carBytesFor(spec.maxBytes))}`);
  }
  return { inputs, module, fetched };

  async function fetchFromStores(root: CID, maxBytes: number): Promise<string> {
    return fetchFromStoresOf({ ...(await sourcesOf()), root, blockstore, maxBytes, signal });
  }
}

function checked(inputs: ResolvedInputs, inputsHash: Hex): ResolvedInputs {
  if (inputsHashOf(inputs) !== inputsHash) throw new Error("its inputs do not hash to the deal's inputsHash");
  return inputs;
}
