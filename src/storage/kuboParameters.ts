/**
 * The UnixFS import parameters of kubo 0.2x's `ipfs add -r --cid-version 1`, pinned.
 *
 * Why pin them: a result is named by its CID, and anyone must be able to check that name with a stock `ipfs add`.
 * Every one of these changes the CID. The importer's own defaults are not a contract (helia/unixfs 8 defaults to 1 MiB
 * chunks and 1024 links, and the importer's "unixfs-v1-2025" profile does too), so none are left to defaults.
 */
import type { ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";

/** `--cid-version 1`. It also turns on raw leaves in kubo. */
export const KUBO_CID_VERSION = 1;

/** kubo's `--raw-leaves` default when `--cid-version 1`: file chunks are raw blocks, not UnixFS-wrapped. */
export const KUBO_RAW_LEAVES = true;

/** `--chunker size-262144`, kubo's default. */
export const KUBO_CHUNK_SIZE_BYTES = 262_144;

/** boxo's `helpers.DefaultLinksPerBlock` for the balanced layout (kubo's default `--trickle=false`). */
export const KUBO_MAX_LINKS_PER_NODE = 174;

/**
 * kubo's `Internal.UnixFSShardingSizeThreshold` default (256 KiB). A directory becomes a HAMT when the sum over its
 * entries of (UTF-8 name length + CID byte length) reaches this.
 */
export const KUBO_HAMT_SHARDING_SIZE_BYTES = 262_144;

/**
 * boxo shards when the estimate is `>=` the threshold; the JS importer shards when it is `>` its option. Passing one
 * less makes the integer comparisons agree exactly.
 */
export const IMPORTER_SHARD_SPLIT_THRESHOLD_BYTES = KUBO_HAMT_SHARDING_SIZE_BYTES - 1;

/** A HAMT's fanout in bits (256 buckets), as in boxo. */
export const KUBO_HAMT_FANOUT_BITS = 8;

/** The importer options that reproduce kubo's CIDs. Fresh per call: the chunker and layout are closures. */
export function kuboImporterOptions(): ImporterOptions {
  return {
    cidVersion: KUBO_CID_VERSION,
    rawLeaves: KUBO_RAW_LEAVES,
    // A file that fits one chunk is named by its raw leaf (bafkrei...), as kubo does.
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: KUBO_CHUNK_SIZE_BYTES }),
    layout: balanced({ maxChildrenPerNode: KUBO_MAX_LINKS_PER_NODE }),
    // boxo estimates a directory's size from link names and CID lengths ("links-bytes"), not the encoded block.
    shardSplitStrategy: "links-bytes",
    shardSplitThresholdBytes: IMPORTER_SHARD_SPLIT_THRESHOLD_BYTES,
    shardFanoutBits: KUBO_HAMT_FANOUT_BITS,
    // dag-pb writes Links before Data, like go-codec-dagpb.
    fieldOrder: "links-first",
    // `ipfs add -r dir` names dir itself; wrapping is `-w`, which we never use. Directory imports build their own
    // root and opt in per call (see addDirectory.ts).
    wrapWithDirectory: false,
  };
}

/**
 * The largest block accepted from a CAR or read back from the store. kubo's bitswap refuses blocks over 2 MiB, and
 * with the parameters above no block comes near it (chunks are 256 KiB, directories shard at 256 KiB of links), so a
 * bigger one means a forged CAR trying to make us buffer it.
 */
export const MAX_BLOCK_BYTES = 2 * 1024 * 1024;
