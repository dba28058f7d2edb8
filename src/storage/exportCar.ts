import { CarWriter } from "@ipld/car/writer";
import type { CID } from "multiformats/cid";
import { varint } from "multiformats";
import type { Blockstore } from "./createBlockstore.ts";
import { walkDag } from "./walkDag.ts";

/** The media type of a CAR (IANA), with the version the trustless gateway spec asks for. */
export const CAR_CONTENT_TYPE = "application/vnd.ipld.car; version=1";

export interface ExportCarParameters {
  blockstore: Pick<Blockstore, "get">;
  /** The CAR's single root: the DAG it carries. */
  root: CID;
  signal?: AbortSignal;
}

/** CAR v1 bytes, produced as they are read: the caller's pace sets the pace, and stopping early stops the walk. */
export type ExportCarResult = AsyncGenerator<Uint8Array, void, undefined>;

/**
 * Streams the DAG under `root` as a CAR v1 holding every block once, parents before children (see walkDag). Each
 * block is verified as it is read, so a corrupt store fails the export instead of passing the damage on.
 *
 * A pull-based generator rather than CarWriter's push channel: a consumer that goes away stops the walk (the channel
 * would leave the producer waiting for a drain forever), and a read error surfaces in the consumer's loop.
 */
export async function* exportCar({ blockstore, root, signal }: ExportCarParameters): ExportCarResult {
  yield await carHeader(root);
  for await (const { cid, bytes } of walkDag({ blockstore, root, signal })) {
    // A section is varint(length of CID + block), the CID's bytes, the block.
    const sectionLength = cid.bytes.byteLength + bytes.byteLength;
    const prefix = new Uint8Array(varint.encodingLength(sectionLength) + cid.bytes.byteLength);
    varint.encodeTo(sectionLength, prefix, 0);
    prefix.set(cid.bytes, prefix.byteLength - cid.bytes.byteLength);
    yield prefix;
    if (bytes.byteLength > 0) yield bytes;
  }
}

/** The CAR v1 header (a varint-prefixed dag-cbor `{ version: 1, roots }`), encoded by @ipld/car itself. */
async function carHeader(root: CID): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  const closing = writer.close();
  const chunks: Uint8Array[] = [];
  for await (const chunk of out) chunks.push(chunk);
  await closing;
  return Buffer.concat(chunks);
}

/** The DAG under `root` as one CAR in memory (an upload of a file or a module: bounded by its caller's limits). */
export async function exportCarBytes(blockstore: Pick<Blockstore, "get">, root: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of exportCar({ blockstore, root })) chunks.push(chunk);
  return Buffer.concat(chunks);
}
