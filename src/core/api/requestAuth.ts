// Signed requests: every call to the solver that acts for an address carries that address's signature over the
// method, the path, the body's hash, a one-time nonce and an expiry, bound to one chain and one market. The
// solver refuses a request whose signature does not recover to the claimed address, whose expiry has passed or
// lies too far ahead, or whose nonce it has seen before (it remembers nonces until they expire).
import type { Address, LocalAccount } from "viem";
import { bytesToHex, hashMessage, sha256, stringToBytes } from "viem/utils";
import { z } from "zod";
import { addressSchema, hexSchema } from "../primitives.ts";
import { recoverDigestSigner } from "../secp256k1.ts";

/** Requests may be signed at most this far ahead; bounds how long the solver must remember a nonce. */
export const MAX_AUTH_LIFETIME_SECONDS = 300;

export const AUTH_HEADERS = {
  address: "x-lilypad-address",
  nonce: "x-lilypad-nonce",
  expiry: "x-lilypad-expiry",
  signature: "x-lilypad-signature",
} as const;

export const requestAuthSchema = z.object({
  address: addressSchema,
  nonce: z.string().regex(/^[0-9a-f]{16,64}$/, { message: "must be 16-64 lowercase hex characters" }),
  expiry: z.coerce.number().int().positive(),
  signature: hexSchema.refine((s) => s.length === 132, { message: "must be a 65-byte signature" }),
});
export type RequestAuth = z.output<typeof requestAuthSchema>;

export interface AuthScope {
  chainId: number;
  market: Address;
}

export interface AuthedRequest {
  method: string;
  /** The path with its query string, as sent. */
  path: string;
  body: string | Uint8Array;
}

/** The text a request's signature covers. */
export function authMessage(scope: AuthScope, request: AuthedRequest, nonce: string, expiry: number): string {
  const bodyBytes = typeof request.body === "string" ? stringToBytes(request.body) : request.body;
  return [
    "lilypad request v1",
    `chain ${scope.chainId} market ${scope.market.toLowerCase()}`,
    `${request.method.toUpperCase()} ${request.path}`,
    `body ${sha256(bodyBytes)}`,
    `nonce ${nonce} expiry ${expiry}`,
  ].join("\n");
}

/** Signs a request as `account`, valid for `lifetimeSeconds` from `now`. */
export async function signRequest(params: {
  account: LocalAccount;
  scope: AuthScope;
  request: AuthedRequest;
  now: number;
  lifetimeSeconds?: number;
}): Promise<RequestAuth> {
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16))).slice(2);
  const expiry = params.now + (params.lifetimeSeconds ?? 60);
  const signature = await params.account.signMessage({ message: authMessage(params.scope, params.request, nonce, expiry) });
  return { address: params.account.address, nonce, expiry, signature };
}

/** Headers carrying `auth`. */
export function authHeaders(auth: RequestAuth): Record<string, string> {
  return {
    [AUTH_HEADERS.address]: auth.address,
    [AUTH_HEADERS.nonce]: auth.nonce,
    [AUTH_HEADERS.expiry]: String(auth.expiry),
    [AUTH_HEADERS.signature]: auth.signature,
  };
}

export type AuthFailure = "missing" | "malformed" | "expired" | "too-far-ahead" | "bad-signature" | "replayed";

export type VerifyRequestResult = { ok: true; address: Address; expiry: number; nonce: string } | { ok: false; failure: AuthFailure; detail: string };

/**
 * Checks a request's signature and freshness. Replay is the caller's to check (it holds the nonce memory):
 * `seenNonce` answers whether address+nonce was used before and records it if not.
 */
export async function verifyRequest(params: {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  scope: AuthScope;
  request: AuthedRequest;
  now: number;
  seenNonce: (address: Address, nonce: string, expiry: number) => boolean;
}): Promise<VerifyRequestResult> {
  const raw = Object.fromEntries(Object.entries(AUTH_HEADERS).map(([k, h]) => [k, single(params.headers[h])]));
  if (Object.values(raw).every((v) => v === undefined)) {
    return { ok: false, failure: "missing", detail: `this request must be signed (headers ${Object.values(AUTH_HEADERS).join(", ")})` };
  }
  const parsed = requestAuthSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, failure: "malformed", detail: `bad auth header ${String(issue?.path[0] ?? "")}: ${issue?.message ?? "invalid"}` };
  }
  const auth = parsed.data;
  if (auth.expiry <= params.now) return { ok: false, failure: "expired", detail: `the request expired at ${auth.expiry} (now ${params.now})` };
  if (auth.expiry > params.now + MAX_AUTH_LIFETIME_SECONDS) {
    return { ok: false, failure: "too-far-ahead", detail: `expiry may be at most ${MAX_AUTH_LIFETIME_SECONDS} s ahead` };
  }
  const signer = recoverDigestSigner(hashMessage(authMessage(params.scope, params.request, auth.nonce, auth.expiry)), auth.signature);
  if (signer === undefined) return { ok: false, failure: "bad-signature", detail: "the signature cannot be recovered" };
  if (signer !== auth.address) return { ok: false, failure: "bad-signature", detail: `signed by ${signer}, not ${auth.address}` };
  if (params.seenNonce(auth.address, auth.nonce, auth.expiry)) return { ok: false, failure: "replayed", detail: "this nonce was used before" };
  return { ok: true, address: auth.address, expiry: auth.expiry, nonce: auth.nonce };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

