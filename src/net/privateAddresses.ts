// Which addresses a download from a URL someone else chose may reach. Off a devnet, a URL named by another party (a
// provider's or mediator's registered URL) must not make this process connect to itself, its LAN or its cloud's
// metadata service (169.254.169.254): loopback, private, link-local, shared, reserved and multicast addresses are
// refused, by literal and after DNS resolution (so a name that resolves to one, and a redirect to one, are refused too).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from "node:dns";
import { lookup as dnsLookupAll } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { LilypadError } from "../core/errors.ts";
import { DEV_CHAIN_ID } from "../core/network.ts";

export interface RefusesPrivateAddressesParameters {
  /** The chain's id: a devnet (31337) serves every role on loopback. */
  chainId: number;
  /** Overrides the chain's rule: true allows private addresses (a private network of your own), false refuses them. */
  allowPrivateAddresses?: boolean;
}

/**
 * Whether downloads from URLs another party chose (registered on chain, named in a message) must refuse loopback,
 * private and link-local addresses: everywhere but on a devnet, unless `allowPrivateAddresses` says otherwise. The
 * one rule the SDK, the gateway, the relay judge and the mediator follow.
 */
export function refusesPrivateAddresses({ chainId, allowPrivateAddresses }: RefusesPrivateAddressesParameters): boolean {
  return !(allowPrivateAddresses ?? chainId === DEV_CHAIN_ID);
}

/** IPv4 ranges that are not the public internet: [first octets, prefix length]. */
const PRIVATE_V4: readonly (readonly [readonly number[], number])[] = [
  [[0], 8], // "this network"
  [[10], 8], // private
  [[100, 64], 10], // shared address space (carrier-grade NAT)
  [[127], 8], // loopback
  [[169, 254], 16], // link-local, including cloud metadata services
  [[172, 16], 12], // private
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // documentation
  [[192, 88, 99], 24], // 6to4 relay anycast
  [[192, 168], 16], // private
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // documentation
  [[203, 0, 113], 24], // documentation
  [[224], 4], // multicast
  [[240], 4], // reserved, and the broadcast address
];

/** IPv6 ranges that are not the public internet (embedded IPv4 addresses are checked as IPv4 below). */
const PRIVATE_V6: readonly (readonly [readonly number[], number])[] = [
  [[0xfc], 7], // unique local
  [[0xfe, 0x80], 10], // link-local
  [[0xfe, 0xc0], 10], // site-local (deprecated)
  [[0xff], 8], // multicast
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // discard-only
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // local-use IPv4/IPv6 translation
];

/**
 * Whether `address` (an IPv4 or IPv6 literal, brackets and zone allowed) is loopback, private, link-local or otherwise
 * not a public unicast address. Anything that is not an IP literal counts as private: nothing unknown gets through.
 */
export function isPrivateAddress(address: string): boolean {
  const literal = address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const family = isIP(literal);
  if (family === 4) return isPrivateV4(v4Bytes(literal));
  if (family === 6) return isPrivateV6(v6Bytes(literal));
  return true;
}

function isPrivateV4(bytes: readonly number[]): boolean {
  return PRIVATE_V4.some(([prefix, bits]) => matches(bytes, prefix, bits));
}

function isPrivateV6(bytes: readonly number[]): boolean {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  // :: and ::1, then addresses that carry an IPv4 address: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d),
  // translated (64:ff9b::a.b.c.d) and 6to4 (2002:ab.cd:...): each as private as the address it carries.
  if (zeros(0, 15) && (bytes[15] === 0 || bytes[15] === 1)) return true;
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return isPrivateV4(bytes.slice(12));
  if (zeros(0, 12)) return isPrivateV4(bytes.slice(12));
  if (matches(bytes, [0x00, 0x64, 0xff, 0x9b], 32) && zeros(4, 12)) return isPrivateV4(bytes.slice(12));
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return isPrivateV4(bytes.slice(2, 6));
  return PRIVATE_V6.some(([prefix, bits]) => matches(bytes, prefix, bits));
}

function matches(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v4Bytes(address: string): number[] {
  return address.split(".").map(Number);
}

/** The 16 bytes of a valid IPv6 literal (as `isIP` accepts it: "::" shorthand and a trailing dotted quad). */
function v6Bytes(address: string): number[] {
  let text = address;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    const [a, b, c, d] = v4Bytes(quad[1]);
    text = `${text.slice(0, -quad[1].length)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A download was refused because its host is (or resolves to) a loopback, private or link-local address. */
export class PrivateAddressError extends LilypadError {
  readonly host: string;
  readonly address: string;

  constructor(params: { host: string; address: string }) {
    const resolved = params.host === params.address ? "" : ` (it resolves to ${params.address})`;
    super({
      code: "PRIVATE_ADDRESS_REFUSED",
      message: `refusing to connect to ${params.host}${resolved}: a loopback, private or link-local address, allowed only on a devnet`,
      hint: "a service on a public network must register a public URL; on a private network of your own, set allowPrivateAddresses",
    });
    this.name = "PrivateAddressError";
    this.host = params.host;
    this.address = params.address;
  }
}

/** Throws PrivateAddressError when `hostname` (from a URL) is a private IP literal. Names are checked on lookup. */
export function refusePrivateLiteral(hostname: string): void {
  const literal = hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(literal.replace(/%.*$/, "")) !== 0 && isPrivateAddress(literal)) throw new PrivateAddressError({ host: hostname, address: literal });
}

/**
 * Throws PrivateAddressError when `url`'s host is a private address or resolves to one (any of its addresses). For a
 * client that cannot take publicOnlyLookup (fetch): the check comes before the connection, so prefer httpRequest's
 * `refusePrivateAddresses`, which checks the address connected to. A host that does not resolve is left to the client.
 */
export async function refusePrivateUrl(url: string): Promise<void> {
  const { hostname } = new URL(url);
  refusePrivateLiteral(hostname);
  if (isIP(hostname.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "")) !== 0) return;
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookupAll(hostname, { all: true });
  } catch {
    return;
  }
  const refused = addresses.find((a) => isPrivateAddress(a.address));
  if (refused) throw new PrivateAddressError({ host: hostname, address: refused.address });
}

/**
 * A DNS lookup for sockets that refuses a name if any of its addresses is private: checked when the connection is
 * made, so the address connected to is the address checked (no window for DNS rebinding between check and use).
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...(options as LookupOptions), all: true } as LookupAllOptions, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) return callback(new PrivateAddressError({ host: hostname, address: refused.address }) as unknown as NodeJS.ErrnoException, "", 0);
    if ((options as LookupOptions).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
    return callback(null, first.address, first.family);
  });
};
