import { asyncIterableReader, readBlockHead, readHeader, type BytesReader } from "@ipld/car/decoder";
import { CID } from "multiformats/cid";
import { LilypadError } from "../core/errors.ts";
import { blockWriter } from "./blockWriter.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { CarFailure, CarVerificationError, ContentNotFoundError, InvalidCidError } from "./errors.ts";
import { MAX_BLOCK_BYTES } from "./kuboParameters.ts";
import { readBlock } from "./readBlock.ts";
import { verifyBlock } from "./verifyBlock.ts";
import { blockKey, decodeLinks } from "./walkDag.ts";

/**
 * The most bytes of linking (non-leaf) dag-pb blocks held in memory until their DAG is complete. With kubo's
 * parameters these are about 1 in 174 of a file's blocks plus the directories: 64 MiB covers ~10 TB of file data.
 */
export const MAX_HELD_BYTES = 64 * 1024 * 1024;

export interface ImportCarParameters {
  blockstore: Blockstore;
  /** CAR v1 bytes, e.g. an HTTP response body or exportCar's output. */
  car: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** The CID the caller asked for. The CAR must name exactly this root, and carry or complete its DAG. */
  expectedRoot: CID | string;
  /** Refuse a CAR longer than this many bytes (default: no limit). A forged CAR can be endless. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface ImportCarResult {
  root: CID;
  /** Sections read from the CAR, each verified. */
  blocks: number;
  /** CAR bytes read. */
  bytes: number;
  /** Distinct blocks in the DAG under root, all present and verified now. */
  dagBlocks: number;
  /** Verified blocks in the CAR that the root does not reach; kept (they are correct), but worth a log line. */
  unreachableBlocks: number;
}

interface HeldBlock {
  cid: CID;
  bytes: Uint8Array;
  links: CID[];
}

/**
 * Imports a CAR into the blockstore, trusting nothing in it.
 *
 * 1. The header must name exactly `expectedRoot`.
 * 2. Every block is re-hashed with sha2-256 and compared with its CID before it is stored; other hash functions and
 *    codecs other than dag-pb and raw are refused, as are blocks over MAX_BLOCK_BYTES (checked from the section
 *    length, before the block is buffered).
 * 3. Leaves (raw blocks, dag-pb blocks without links) are written as they arrive. Blocks with links are held in
 *    memory, and once the CAR has ended, the DAG under the root is walked: every block must have arrived or already
 *    be in the store (existing ones are re-read and verified too). Only then are the held blocks written, children
 *    before parents, the root last.
 *
 * So the store keeps its invariant (see createBlockstore.ts): after a failure, verified leaves and complete sub-DAGs
 * may remain, but nothing whose DAG is incomplete, and in particular not the root. The error says which CID failed.
 */
export async function importCar(params: ImportCarParameters): Promise<ImportCarResult> {
  const { signal } = params;
  const blockstore = blockWriter(params.blockstore);
  const expectedRoot = parseRoot(params.expectedRoot);
  let bytesRead = 0;
  let sourceError: unknown;
  const source = (async function* () {
    try {
      for await (const chunk of params.car) {
        bytesRead += chunk.byteLength;
        if (params.maxBytes !== undefined && bytesRead > params.maxBytes) {
          throw new CarVerificationError({
            failure: CarFailure.tooLarge,
            message: `CAR for ${expectedRoot} is larger than ${params.maxBytes} bytes`,
          });
        }
        yield chunk;
      }
    } catch (error) {
      sourceError = error;
      throw error;
    }
  })();

  try {
    const reader = boundedReader(asyncIterableReader(source), expectedRoot);
    const received = new Set<string>();
    const held = new Map<string, HeldBlock>();
    let heldBytes = 0;
    let blocks = 0;

    try {
      const header = await readHeader(reader, 1);
      const [root, ...others] = header.roots;
      if (root === undefined || others.length > 0 || !root.equals(expectedRoot)) {
        throw new CarVerificationError({
          failure: CarFailure.rootMismatch,
          cid: root?.toString(),
          message: `CAR root is ${header.roots.map(String).join(", ") || "missing"}, expected ${expectedRoot}`,
        });
      }

      while ((await reader.upTo(8)).length > 0) {
        signal?.throwIfAborted();
        const head = await readBlockHead(reader);
        const cidString = head.cid.toString();
        if (head.blockLength < 0) throw malformed(`section for ${cidString} is shorter than its CID`);
        if (head.blockLength > MAX_BLOCK_BYTES) {
          throw new CarVerificationError({
            failure: CarFailure.blockTooLarge,
            cid: cidString,
            message: `block ${cidString} is ${head.blockLength} bytes, over the ${MAX_BLOCK_BYTES}-byte limit`,
          });
        }
        const bytes = await reader.exactly(head.blockLength, true);
        blocks += 1;

        const verified = await verifyBlock({ cid: head.cid, bytes });
        if (!verified.valid) {
          throw new CarVerificationError({
            failure: verified.failure === "hash-mismatch" ? CarFailure.hashMismatch : CarFailure.unsupportedCid,
            cid: cidString,
            message: `block ${cidString} failed verification: ${verified.reason}`,
          });
        }
        const links = carLinksOf(head.cid, bytes);
        const key = blockKey(head.cid);
        received.add(key);
        if (links.length === 0) {
          // A leaf is complete by itself, so storing it now cannot break the invariant.
          await blockstore.put(head.cid, bytes);
        } else if (!held.has(key)) {
          // `bytes` may be a view into the reader's buffer; copy so holding it does not hold that buffer. (Not
          // .slice(): on a Buffer that is a view, not a copy.)
          const copy = new Uint8Array(bytes);
          held.set(key, { cid: head.cid, bytes: copy, links });
          heldBytes += copy.byteLength;
          if (heldBytes > MAX_HELD_BYTES) {
            throw new CarVerificationError({
              failure: CarFailure.tooLarge,
              cid: cidString,
              message: `CAR for ${expectedRoot} holds more than ${MAX_HELD_BYTES} bytes of linking blocks`,
            });
          }
        }
      }
    } catch (error) {
      if (error instanceof LilypadError) throw error;
      if (sourceError !== undefined) throw sourceError; // the network or the caller failed, not the CAR
      if (signal?.aborted) throw error;
      throw malformed((error as Error).message, error);
    }

    const dagBlocks = await completeDag({ blockstore, root: expectedRoot, received, held, signal });
    return {
      root: expectedRoot,
      blocks,
      bytes: bytesRead,
      dagBlocks: dagBlocks.size,
      unreachableBlocks: [...received].filter((key) => !dagBlocks.has(key)).length,
    };
  } finally {
    // Ends the caller's stream (an HTTP body is cancelled, freeing the connection) if we stopped early.
    await source.return(undefined);
  }
}

/**
 * Walks the DAG under root, post-order, and writes each held block once everything below it is stored. Returns the
 * keys of every block in the DAG. Iterative: a forged DAG can be deep.
 */
async function completeDag(params: {
  blockstore: Blockstore;
  root: CID;
  received: Set<string>;
  held: Map<string, HeldBlock>;
  signal: AbortSignal | undefined;
}): Promise<Set<string>> {
  const { blockstore, received, held, signal } = params;
  const visited = new Set<string>();
  interface Frame {
    cid: CID;
    parent: CID | undefined;
    links?: CID[];
    next: number;
  }
  const stack: Frame[] = [{ cid: params.root, parent: undefined, next: 0 }];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const frame = stack[stack.length - 1] as Frame;
    const key = blockKey(frame.cid);
    if (frame.links === undefined) {
      // A DAG named by hashes has no cycles, so a block seen before is finished, not an ancestor.
      if (visited.has(key)) {
        stack.pop();
        continue;
      }
      visited.add(key);
      frame.links = await linksFor(frame, key);
    }
    const child = frame.links[frame.next];
    if (child !== undefined) {
      frame.next += 1;
      stack.push({ cid: child, parent: frame.cid, next: 0 });
      continue;
    }
    const block = held.get(key);
    if (block !== undefined) {
      await blockstore.put(block.cid, block.bytes);
      held.delete(key);
    }
    stack.pop();
  }
  return visited;

  async function linksFor(frame: Frame, key: string): Promise<CID[]> {
    const block = held.get(key);
    if (block !== undefined) return block.links;
    if (received.has(key)) return []; // a leaf, already written
    // Not in the CAR: the store must have it. Re-read and verify it, and walk below it too.
    let bytes: Uint8Array;
    try {
      bytes = await readBlock({ blockstore, cid: frame.cid, signal });
    } catch (error) {
      if (error instanceof ContentNotFoundError) {
        const cid = frame.cid.toString();
        throw new CarVerificationError({
          failure: CarFailure.missingBlock,
          cid,
          message:
            frame.parent === undefined
              ? `CAR does not contain its root ${cid}`
              : `CAR is missing block ${cid} (linked from ${frame.parent})`,
        });
      }
      throw error;
    }
    const decoded = decodeLinks(frame.cid, bytes);
    if (!decoded.ok) {
      throw new CarVerificationError({
        failure: decoded.failure === "unsupported-link" ? CarFailure.unsupportedCid : CarFailure.invalidBlock,
        cid: frame.cid.toString(),
        message: `stored block ${frame.cid} is refused: ${decoded.reason}`,
      });
    }
    return decoded.links;
  }
}

/** Links of a block from the CAR, refusing blocks that are not valid dag-pb and links we could not verify. */
function carLinksOf(cid: CID, bytes: Uint8Array): CID[] {
  const decoded = decodeLinks(cid, bytes);
  if (decoded.ok) return decoded.links;
  throw new CarVerificationError({
    failure: decoded.failure === "unsupported-link" ? CarFailure.unsupportedCid : CarFailure.invalidBlock,
    cid: cid.toString(),
    message: `block ${cid} is refused: ${decoded.reason}`,
  });
}

function parseRoot(root: CID | string): CID {
  if (typeof root !== "string") return root;
  try {
    return CID.parse(root);
  } catch (error) {
    throw new InvalidCidError({ value: root, cause: error });
  }
}

function malformed(reason: string, cause?: unknown): CarVerificationError {
  return new CarVerificationError({ failure: CarFailure.malformed, message: `malformed CAR: ${reason}`, cause });
}

/**
 * Caps every single read, so a forged length (of the header or a section) is refused before the reader starts
 * buffering that many bytes.
 */
function boundedReader(reader: BytesReader, root: CID): BytesReader {
  const limit = MAX_BLOCK_BYTES + 1024; // a block plus its CID and varints
  const check = (length: number): void => {
    if (length > limit) {
      throw new CarVerificationError({
        failure: CarFailure.blockTooLarge,
        message: `CAR for ${root} has a ${length}-byte section, over the ${MAX_BLOCK_BYTES}-byte block limit`,
      });
    }
  };
  return {
    async upTo(length) {
      check(length);
      return reader.upTo(length);
    },
    async exactly(length, seek) {
      check(length);
      return reader.exactly(length, seek);
    },
    seek(length) {
      reader.seek(length);
    },
    get pos() {
      return reader.pos;
    },
  };
}
