// A deal's result files for the dashboard: the result directory is fetched from where the chain says it is served
// (the provider's registered URL, then the mediator's), verified block by block against the CID on chain, kept in
// the indexer's block store, and read from there. Whatever a provider serves, only bytes that hash to the posted
// CID are ever shown.
import { exporter, type UnixFSEntry } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import type { ResultFile, ResultFiles } from "../core/api/indexerApi.ts";
import type { Blockstore } from "../storage/createBlockstore.ts";
import { fetchCar } from "../storage/fetchCar.ts";
import { isPlainFile, isSafeName, type PlainFile } from "../storage/unixfsEntries.ts";
import { IndexerError, IndexerErrorCode } from "./indexerErrors.ts";

/** The most of a result the indexer downloads to preview: results are bounded by the market, previews by us. */
export const MAX_PREVIEW_RESULT_BYTES = 64 * 1024 * 1024;
/** The largest single file served. */
export const MAX_PREVIEW_FILE_BYTES = 16 * 1024 * 1024;
const MAX_LISTED_FILES = 1000;
const FETCH_TIMEOUT_MS = 30_000;

export interface ResultFileSourcesParameters {
  blockstore: Blockstore;
  /** Refuse loopback and private addresses in registered URLs (off a devnet: they are chosen by other parties). */
  refusePrivateAddresses: boolean;
}

export interface FileBytes {
  bytes: Uint8Array;
  type: ResultFile["type"];
  contentType: string;
}

export class ResultFileStore {
  readonly #p: ResultFileSourcesParameters;
  /** One download per CID at a time, however many viewers open the deal at once. */
  readonly #fetching = new Map<string, Promise<void>>();
  readonly #fetched = new Set<string>();

  constructor(params: ResultFileSourcesParameters) {
    this.#p = params;
  }

  async list(cid: CID, sources: readonly string[]): Promise<ResultFiles> {
    await this.#ensure(cid, sources);
    const files: ResultFile[] = [];
    const walk = async (entry: UnixFSEntry, prefix: string): Promise<void> => {
      if (files.length >= MAX_LISTED_FILES) return;
      if (entry.type === "directory") {
        for await (const child of entry.entries()) {
          if (!isSafeName(child.name)) continue;
          await walk(await exporter(child.cid, this.#p.blockstore), prefix === "" ? child.name : `${prefix}/${child.name}`);
        }
        return;
      }
      if (!isPlainFile(entry)) return;
      const head = await firstBytes(entry, 512);
      files.push({ path: prefix, size: Number(entry.size), type: sniff(head, prefix).type });
    };
    await walk(await exporter(cid, this.#p.blockstore), "");
    return { cid: cid.toString(), files };
  }

  async read(cid: CID, path: string, sources: readonly string[]): Promise<FileBytes> {
    const parts = path.split("/");
    if (path === "" || !parts.every(isSafeName)) throw new IndexerError(IndexerErrorCode.fileNotFound, `no file ${JSON.stringify(path)} in the result`);
    await this.#ensure(cid, sources);
    let entry: UnixFSEntry;
    try {
      entry = await exporter(`${cid.toString()}/${parts.join("/")}`, this.#p.blockstore);
    } catch {
      throw new IndexerError(IndexerErrorCode.fileNotFound, `no file ${JSON.stringify(path)} in the result`);
    }
    if (!isPlainFile(entry)) throw new IndexerError(IndexerErrorCode.fileNotFound, `${JSON.stringify(path)} is not a file`);
    if (entry.size > BigInt(MAX_PREVIEW_FILE_BYTES)) {
      throw new IndexerError(IndexerErrorCode.fileTooLarge, `${path} is ${entry.size} bytes; the dashboard shows files up to ${MAX_PREVIEW_FILE_BYTES}`);
    }
    const bytes = await firstBytes(entry, MAX_PREVIEW_FILE_BYTES);
    return { bytes, ...sniff(bytes, path) };
  }

  async #ensure(cid: CID, sources: readonly string[]): Promise<void> {
    const key = cid.toString();
    if (this.#fetched.has(key)) return;
    let pending = this.#fetching.get(key);
    if (!pending) {
      pending = this.#download(cid, sources).finally(() => this.#fetching.delete(key));
      this.#fetching.set(key, pending);
    }
    await pending;
    this.#fetched.add(key);
  }

  async #download(cid: CID, sources: readonly string[]): Promise<void> {
    const failures: string[] = [];
    for (const url of sources) {
      try {
        await fetchCar({
          url,
          root: cid,
          blockstore: this.#p.blockstore,
          maxBytes: MAX_PREVIEW_RESULT_BYTES,
          refusePrivateAddresses: this.#p.refusePrivateAddresses,
          signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        });
        return;
      } catch (error) {
        failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new IndexerError(
      IndexerErrorCode.resultUnavailable,
      sources.length === 0 ? `nobody registered a URL that serves ${cid}` : `could not fetch ${cid} (${failures.join("; ")})`,
    );
  }
}

async function firstBytes(entry: PlainFile, length: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of entry.content({ length })) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks, size);
}

const IMAGES: readonly { magic: number[]; contentType: string }[] = [
  { magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], contentType: "image/png" },
  { magic: [0xff, 0xd8, 0xff], contentType: "image/jpeg" },
  { magic: [0x47, 0x49, 0x46, 0x38], contentType: "image/gif" },
];

/**
 * What a file is, from its bytes (never its name, which the provider chose): an image format browsers render
 * inertly, text (UTF-8 without NULs, served as text/plain so no markup in a result ever runs), or binary.
 */
function sniff(head: Uint8Array, _path: string): Pick<FileBytes, "type" | "contentType"> {
  for (const image of IMAGES) {
    if (image.magic.every((b, i) => head[i] === b)) return { type: "image", contentType: image.contentType };
  }
  if (!head.includes(0)) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(head.length === 512 ? trimPartialCharacter(head) : head);
      return { type: "text", contentType: "text/plain; charset=utf-8" };
    } catch {
      // not UTF-8
    }
  }
  return { type: "binary", contentType: "application/octet-stream" };
}

/** A prefix cut at 512 bytes may split a multi-byte character: drop its last incomplete one before decoding. */
function trimPartialCharacter(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = bytes[end - i]!;
    if ((b & 0xc0) === 0x80) continue;
    if ((b & 0x80) !== 0) end -= i;
    break;
  }
  return bytes.subarray(0, end);
}
