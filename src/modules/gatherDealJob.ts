// Gathers what re-running a deal needs, from wherever it is, with the deal's on-chain data as the only index: the
// inputs (the canonical JSON whose keccak-256 is the deal's inputsHash), the module (its CID is the deal's
// moduleId) and each file input's content (by the CID in the inputs). Nothing fetched is trusted: the inputs are
// checked against the hash, and every block against its CID, so any party, store or solver may supply them. What is
// gathered stays in the blockstore, the inputs too (storeJobInputs), so this node can serve them in turn.
import { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { inputsHashOf, resolveInputs, type ResolvedInputs } from "../core/moduleInputs.ts";
import { moduleCidOfDigest, parseManifest } from "../core/moduleId.ts";
import { LilypadError } from "../core/errors.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { fetchCar } from "../storage/fetchCar.ts";
import { fetchJobInputs } from "../storage/fetchJobInputs.ts";
import { readFileBytes } from "../storage/readFileBytes.ts";
import { readJobInputs } from "../storage/readJobInputs.ts";
import { storeJobInputs } from "../storage/storeJobInputs.ts";
import type { LoadModuleResult } from "./loadModule.ts";
import { readShippedCatalog } from "./moduleCatalog.ts";
import { loadDealModule } from "./runDealJob.ts";

const MAX_MANIFEST_BYTES = 256 * 1024;
/** A module's artifact: a wasm binary, or a js folder with its models. */
const MAX_ARTIFACT_CAR_BYTES = 1 << 30;
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

/** Nothing that was asked had (valid) content: each source's failure is listed. */
export class DealJobUnavailableError extends LilypadError {
  readonly failures: readonly string[];

  constructor(params: { what: string; failures: readonly string[] }) {
    super({
      code: "DEAL_JOB_UNAVAILABLE",
      message: `${params.what} could not be found${params.failures.length ? `: ${params.failures.join("; ")}` : " (no source to ask)"}`,
    });
    this.name = "DealJobUnavailableError";
    this.failures = params.failures;
  }
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
  if (!shippedModuleCids().has(moduleCid.toString())) {
    if (!(await blockstore.has(moduleCid))) fetched.push(`module from ${await fetchFromStores(moduleCid, MAX_MANIFEST_BYTES)}`);
    const manifest = parseManifest(JSON.parse(new TextDecoder().decode(await readFileBytes({ blockstore, cid: moduleCid, maxBytes: MAX_MANIFEST_BYTES }))), moduleCid.toString());
    const artifact = CID.parse(manifest.artifact.cid);
    if (!(await blockstore.has(artifact))) fetched.push(`module artifact from ${await fetchFromStores(artifact, MAX_ARTIFACT_CAR_BYTES)}`);
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
    const { stores, publicOnly } = await sourcesOf();
    const found = await firstOf(
      root.toString(),
      stores.map((url) => ({ name: url, get: () => fetchCar({ url, root, blockstore, maxBytes, signal, refusePrivateAddresses: publicOnly?.has(url) }) })),
    );
    return found.name;
  }
}

let shipped: Set<string> | undefined;
/** The CIDs of the repository's own modules (read once: this runs on every job). */
function shippedModuleCids(): Set<string> {
  return (shipped ??= new Set(Object.values(readShippedCatalog())));
}

function checked(inputs: ResolvedInputs, inputsHash: Hex): ResolvedInputs {
  if (inputsHashOf(inputs) !== inputsHash) throw new Error("its inputs do not hash to the deal's inputsHash");
  return inputs;
}

/** The first source that answers without throwing; every failure is named in the error if none does. */
async function firstOf<T>(what: string, attempts: { name: string; get(): Promise<T> }[]): Promise<{ name: string; value: T }> {
  const failures: string[] = [];
  for (const attempt of attempts) {
    try {
      return { name: attempt.name, value: await attempt.get() };
    } catch (error) {
      failures.push(`${attempt.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new DealJobUnavailableError({ what, failures });
}
