// Reads an OCI image archive (`podman save --format oci-archive`: oci-layout, index.json, blobs/sha256/<digest>)
// without podman: which image it holds (the image ID podman reports on load is the digest of the image config) and
// the digest of its manifest (what `name@sha256:...` references name). The small blobs read are checked against
// their digests; the layers are only checked to be present (podman checks them when it loads the archive).
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { z } from "zod";
import { OciArchiveError } from "./errors.ts";
import { listTar, readTarEntry, type TarEntry } from "./tar.ts";

/** index.json, a manifest and a config are a few KiB: a hostile archive does not get a provider to read gigabytes. */
const MAX_JSON_BYTES = 4 << 20;
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const descriptor = z.object({ mediaType: z.string().optional(), digest, size: z.number().int().nonnegative() });
const indexSchema = z.object({ schemaVersion: z.literal(2), manifests: z.array(descriptor).min(1) });
const manifestSchema = z.object({ schemaVersion: z.literal(2), config: descriptor, layers: z.array(descriptor) });

export interface OciImageInfo {
  /** The image ID: `sha256:` and the digest of the image config. */
  image: string;
  /** The digest of the image manifest, `sha256:...`. */
  manifestDigest: string;
  /** The layers' digests, bottom first. */
  layers: string[];
  /** The archive's size in bytes. */
  bytes: number;
}

export async function readOciImage(path: string): Promise<OciImageInfo> {
  const fail = (reason: string): never => {
    throw new OciArchiveError({ path, reason });
  };
  let listing: Awaited<ReturnType<typeof listTar>>;
  try {
    listing = await listTar(path);
  } catch (error) {
    return fail(`not a tar file (${(error as Error).message})`);
  }
  const byName = new Map<string, TarEntry>();
  for (const entry of listing.entries) byName.set(entry.name.replace(/^\.\//, ""), entry);
  const json = async (name: string, expected?: string): Promise<unknown> => {
    const entry = byName.get(name);
    if (!entry || entry.type !== "0") return fail(`it has no ${name}`);
    if (entry.size > MAX_JSON_BYTES) return fail(`${name} is ${entry.size} bytes, more than the ${MAX_JSON_BYTES} an image's JSON needs`);
    const bytes = await readTarEntry(path, entry);
    if (expected && `sha256:${createHash("sha256").update(bytes).digest("hex")}` !== expected) return fail(`${name} does not match its digest`);
    try {
      return JSON.parse(bytes.toString("utf8"));
    } catch {
      return fail(`${name} is not JSON`);
    }
  };
  const blobName = (d: string): string => `blobs/sha256/${d.slice("sha256:".length)}`;
  const index = indexSchema.safeParse(await json("index.json"));
  if (!index.success) return fail("index.json is not an OCI image index");
  if (index.data.manifests.length !== 1) fail(`index.json names ${index.data.manifests.length} images, not one`);
  const manifestDigest = index.data.manifests[0]!.digest;
  const manifest = manifestSchema.safeParse(await json(blobName(manifestDigest), manifestDigest));
  if (!manifest.success) return fail("its manifest is not an OCI image manifest");
  const config = manifest.data.config.digest;
  await json(blobName(config), config);
  for (const layer of manifest.data.layers) {
    const entry = byName.get(blobName(layer.digest));
    if (!entry) fail(`layer ${layer.digest} is missing`);
    else if (entry.size !== layer.size) fail(`layer ${layer.digest} is ${entry.size} bytes, not the ${layer.size} its manifest says`);
  }
  const { size } = await stat(path);
  return { image: config, manifestDigest, layers: manifest.data.layers.map((l) => l.digest), bytes: size };
}
