// The URL a role tells others (in the service registry, in its capacity offer, in messages): the public URL its
// operator gave, never the address it happens to bind. Binding every interface says nothing about how others reach
// the machine (fastify then reports 127.0.0.1), so that needs a public URL.
import { InvalidArgumentError } from "../core/errors.ts";

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "[::]", "::0"]);

/** Checks a `--public-url`: an http(s) base URL, without query or fragment; returned without a trailing slash. */
export function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError({ argument: "--public-url", message: `${value} is not a URL`, hint: "e.g. https://rp.example.org or http://203.0.113.7:8080" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError({ argument: "--public-url", message: `${value} must be http or https` });
  if (url.search || url.hash || url.username || url.password) throw new InvalidArgumentError({ argument: "--public-url", message: `${value} must be a base URL, without credentials, query or fragment` });
  return url.toString().replace(/\/+$/, "");
}

/**
 * What to advertise once listening: `publicUrl` when given, else the URL the server reports. Throws (before
 * anything listens) for a bad public URL, or for every interface bound without one.
 */
export function advertisedUrlFor({ host, publicUrl }: { host: string | undefined; publicUrl: string | undefined }): (listening: string) => string {
  if (publicUrl !== undefined) {
    const url = parsePublicUrl(publicUrl);
    return () => url;
  }
  if (host !== undefined && ALL_INTERFACES.has(host)) {
    throw new InvalidArgumentError({
      argument: "--public-url",
      message: `listening on every interface (${host}) says nothing about how others reach this machine`,
      hint: "add --public-url with the address others use, e.g. http://203.0.113.7:8080",
    });
  }
  return (listening) => listening;
}
