// The scalar values of a Lilypad job spec: its image reference, and Bacalhau's and Lilypad's resource quantities.
import { LilypadTemplateError } from "./errors.ts";

/** An image reference that names its image by digest: `[registry/]name[:tag]@sha256:<64 hex>`. */
export interface LilypadImageReference {
  /** As the template gives it. */
  reference: string;
  /** Registry and repository, e.g. "grycap/cowsay" or "ghcr.io/org/sdxl". */
  name: string;
  tag?: string;
  /** "sha256:" and 64 hex digits: the registry's digest of the image manifest (not the image ID of its config). */
  digest: string;
}

const REPOSITORY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Reads an image reference; one without a digest is refused, because a tag can be moved to another image. */
export function parseImageReference(reference: string): LilypadImageReference {
  const at = reference.lastIndexOf("@");
  if (at === -1) {
    throw new LilypadTemplateError({
      reason: `the image ${JSON.stringify(reference)} has no digest: a tag can point at another image tomorrow, so it is never run`,
      hint: "pin it as name:tag@sha256:<digest> (docker buildx imagetools inspect name:tag prints the digest)",
    });
  }
  const digest = reference.slice(at + 1);
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new LilypadTemplateError({ reason: `the image ${JSON.stringify(reference)} has a digest that is not sha256: and 64 lowercase hex digits` });
  }
  let name = reference.slice(0, at);
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) throw new LilypadTemplateError({ reason: `the image ${JSON.stringify(reference)} has an invalid tag ${JSON.stringify(tag)}` });
  }
  if (!REPOSITORY.test(name)) throw new LilypadTemplateError({ reason: `the image ${JSON.stringify(reference)} has an invalid repository name ${JSON.stringify(name)}` });
  return tag === undefined ? { reference, name, digest } : { reference, name, tag, digest };
}

/** Bacalhau's CPU quantity: cores ("1", "0.5") or millicores ("500m"). */
export function parseCpu(value: string, where: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(m?)\s*$/.exec(value);
  if (!m) throw new LilypadTemplateError({ reason: `${where}: ${JSON.stringify(value)} is not a CPU quantity such as "1", "0.5" or "500m"` });
  return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}

const UNITS: Record<string, number> = {
  "": 1, b: 1,
  k: 1e3, kb: 1e3, ki: 2 ** 10, kib: 2 ** 10,
  m: 1e6, mb: 1e6, mi: 2 ** 20, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gi: 2 ** 30, gib: 2 ** 30,
  t: 1e12, tb: 1e12, ti: 2 ** 40, tib: 2 ** 40,
};

/** Bacalhau's byte quantity ("2gb", "512Mi", "100 MB", "1073741824"), in whole MiB rounded up. */
export function parseBytesMiB(value: string, where: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new LilypadTemplateError({ reason: `${where}: ${JSON.stringify(value)} is not a size such as "2gb", "512Mi" or "100mb"` });
  return Math.ceil((Number(m[1]) * unit) / 2 ** 20);
}

/** Lilypad's machine.ram is in megabytes (10^6 bytes), as its solver matches it against a provider's; in MiB. */
export function megabytesToMiB(mb: number): number {
  return Math.ceil((mb * 1e6) / 2 ** 20);
}
