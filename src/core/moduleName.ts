// What a module name says: whose module it is. `cowsay:v1` (a bare name) is the network's own: a module shipped
// with lilypad, one the user built, or one the network's governance approved. `0x<publisher>/sheep:v1` is the
// module that address published in the on-chain registry, in its own namespace, where nobody else can publish.
// Pure: no I/O.
import type { Address } from "viem";
import { getAddress, isAddress } from "viem/utils";
import { LilypadError } from "./errors.ts";

/** A name or version: 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit (as in manifests and on chain). */
export const MODULE_NAME_PART = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The namespace of bare names on chain: what governance approved. No caller can publish as the zero address. */
export const GOVERNANCE_NAMESPACE: Address = "0x0000000000000000000000000000000000000000";

/** A module name that is malformed: a bad publisher address, no version, characters names do not have. */
export class InvalidModuleNameError extends LilypadError {
  readonly ref: string;
  constructor(params: { ref: string; reason: string; hint?: string }) {
    super({ code: "INVALID_MODULE_NAME", message: `"${params.ref}" is not a module name: ${params.reason}`, hint: params.hint, usage: true });
    this.name = "InvalidModuleNameError";
    this.ref = params.ref;
  }
}

export interface ModuleName {
  /** The publisher's address (checksummed) for a namespaced name; undefined for a bare name. */
  publisher?: Address;
  name: string;
  version: string;
}

/**
 * Parses what a user typed as a module name. Returns undefined for something that is not meant as a name (no ':'
 * and no '/', e.g. a CID), and throws InvalidModuleNameError, naming what is wrong, for a name that is malformed.
 */
export function parseModuleName(ref: string): ModuleName | undefined {
  if (!ref.includes(":") && !ref.includes("/")) return undefined;
  const slash = ref.indexOf("/");
  const namespace = slash === -1 ? undefined : ref.slice(0, slash);
  const rest = slash === -1 ? ref : ref.slice(slash + 1);
  const publisher = namespace === undefined ? undefined : parsePublisher(ref, namespace);
  const colon = rest.indexOf(":");
  if (colon === -1) {
    throw new InvalidModuleNameError({ ref, reason: "it has no version", hint: `add one, e.g. ${ref}:v1` });
  }
  const name = rest.slice(0, colon);
  const version = rest.slice(colon + 1);
  for (const [what, part] of [["name", name], ["version", version]] as const) {
    if (!MODULE_NAME_PART.test(part)) {
      throw new InvalidModuleNameError({
        ref,
        reason: `its ${what} "${part}" is not 1-64 characters of a-z, 0-9, '.', '_' or '-' starting with a letter or digit`,
        hint: /[A-Z]/.test(part) ? `module names are lower case: ${formatModuleName({ publisher, name: name.toLowerCase(), version: version.toLowerCase() })}` : undefined,
      });
    }
  }
  return { publisher, name, version };
}

/** `name:version`, or `<publisher>/name:version`. */
export function formatModuleName({ publisher, name, version }: ModuleName): string {
  return publisher === undefined ? `${name}:${version}` : `${publisher}/${name}:${version}`;
}

function parsePublisher(ref: string, namespace: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(namespace)) {
    throw new InvalidModuleNameError({
      ref,
      reason: `"${namespace}" is not a publisher address`,
      hint: ref.includes(":")
        ? "a published module's name starts with its publisher's address, 0x<40 hex digits>/NAME:VERSION (there are no " +
          "handles: a handle anyone may claim first says nothing about whose module it is)"
        : `for a folder, write ./${ref}`,
    });
  }
  if (!isAddress(namespace, { strict: true })) {
    throw new InvalidModuleNameError({
      ref,
      reason: `the publisher address ${namespace} fails its checksum (mixed case that is not EIP-55)`,
      hint: "copy the address exactly as its publisher gave it, or write it all in lower case",
    });
  }
  const publisher = getAddress(namespace);
  if (publisher === GOVERNANCE_NAMESPACE) {
    throw new InvalidModuleNameError({
      ref,
      reason: "the zero address publishes nothing",
      hint: `names the network's governance approved are written bare: ${ref.slice(namespace.length + 1)}`,
    });
  }
  return publisher;
}
