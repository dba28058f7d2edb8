import { CID } from "multiformats/cid";
import type { z } from "zod";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import type { Hex } from "viem";
import { bytesToHex, hexToBytes } from "viem/utils";
import { canonicalJsonBytes, type JsonValue } from "./canonicalJson.ts";
import { InvalidManifestError } from "./errors.ts";
import { moduleManifestSchema, sourceManifestSchema, type ModuleManifest, type SourceManifest } from "./moduleManifest.ts";

export interface ModuleId {
  /** CIDv1 (raw codec, sha2-256) of the manifest's canonical JSON: how users and catalogs name the module. */
  cid: string;
  /** The CID's sha2-256 digest: the `moduleId` in job offers and the on-chain module registry. */
  digest: Hex;
}

/** The manifest's canonical bytes: what its id hashes, and what a catalog stores. */
export function manifestBytes(manifest: ModuleManifest): Uint8Array {
  return canonicalJsonBytes(manifest as unknown as JsonValue);
}

export async function moduleIdOf(manifest: ModuleManifest): Promise<ModuleId> {
  const digest = await sha256.digest(manifestBytes(manifest));
  return { cid: CID.create(1, raw.code, digest).toString(), digest: bytesToHex(digest.digest) };
}

/** The module CID that an on-chain module id (a sha2-256 digest) stands for. */
export function moduleCidOfDigest(digest: Hex): string {
  const bytes = hexToBytes(digest);
  if (bytes.length !== 32) throw new RangeError("a module id digest is 32 bytes");
  return CID.create(1, raw.code, createDigest(sha256.code, bytes)).toString();
}

/** Parses untrusted manifest JSON, with every problem named. */
export function parseManifest(value: unknown, source: string): ModuleManifest {
  return parseWith(moduleManifestSchema, value, source);
}

/** Parses the manifest.json of a module folder, whose artifact (or its cid) the build fills in. */
export function parseSourceManifest(value: unknown, source: string): SourceManifest {
  return parseWith(sourceManifestSchema, value, source);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidManifestError({
      source,
      issues: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
    });
  }
  return parsed.data;
}
