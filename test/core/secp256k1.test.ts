// The WebAssembly secp256k1 signer and recoverer against viem's own curve: the same signatures byte for byte, the
// right signer recovered from either signature form, and "nobody" (never a throw) for tampered or malformed input.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { keccak256, recoverAddress, serializeSignature, toHex, type Hex, type Signature } from "viem";
import { privateKeyToAddress, sign } from "viem/accounts";
import { recoverDigestSigner, signDigest } from "../../src/core/secp256k1.ts";

const KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const SIGNER = privateKeyToAddress(KEY);
const DIGEST = keccak256(toHex("a digest"));

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => toHex(b));
/** A valid private key: 32 bytes in [1, n). */
const privateKey = hex(32).filter((k) => BigInt(k) > 0n && BigInt(k) < 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n);

/** Flips one bit of the byte at `index` of a hex string's bytes. */
function flipByte(value: Hex, index: number): Hex {
  const bytes = Buffer.from(value.slice(2), "hex");
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return toHex(bytes);
}

describe("signDigest", () => {
  it("gives exactly viem's signature, for many keys and digests", async () => {
    await fc.assert(
      fc.asyncProperty(privateKey, hex(32), async (key, digest) => {
        const ours = signDigest(key, digest);
        const viems = await sign({ hash: digest, privateKey: key });
        assert.deepEqual(ours, viems);
        assert.equal(serializeSignature(ours), await sign({ hash: digest, privateKey: key, to: "hex" }));
      }),
      { numRuns: 200 },
    );
  });

  it("gives viem's signature for edge digests (zero, all ones, the Hardhat key's own bytes)", async () => {
    for (const digest of [`0x${"00".repeat(32)}`, `0x${"ff".repeat(32)}`, KEY] as Hex[]) {
      assert.equal(serializeSignature(signDigest(KEY, digest)), await sign({ hash: digest, privateKey: KEY, to: "hex" }));
    }
  });

  it("is deterministic (RFC 6979), low-s, and yParity matches v", () => {
    const a = signDigest(KEY, DIGEST);
    assert.deepEqual(signDigest(KEY, DIGEST), a);
    assert.ok(BigInt(a.s) <= 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n, "low s");
    assert.equal(a.v, BigInt(27 + (a.yParity ?? -1)));
    assert.equal(a.r.length, 66);
    assert.equal(a.s.length, 66);
  });
});

describe("recoverDigestSigner", () => {
  it("recovers the checksummed signer from the hex and the object form, for many digests", () => {
    fc.assert(
      fc.property(privateKey, hex(32), (key, digest) => {
        const signer = privateKeyToAddress(key);
        const signature = signDigest(key, digest);
        assert.equal(recoverDigestSigner(digest, signature), signer);
        assert.equal(recoverDigestSigner(digest, serializeSignature(signature)), signer);
      }),
      { numRuns: 100 },
    );
  });

  it("accepts viem's signatures, and objects carrying only v or only yParity", async () => {
    const signature = await sign({ hash: DIGEST, privateKey: KEY });
    assert.equal(recoverDigestSigner(DIGEST, signature), SIGNER);
    const { r, s, v, yParity } = signature;
    assert.equal(recoverDigestSigner(DIGEST, { r, s, v } as Signature), SIGNER);
    assert.equal(recoverDigestSigner(DIGEST, { r, s, yParity } as Signature), SIGNER);
    assert.equal(recoverDigestSigner(DIGEST, await sign({ hash: DIGEST, privateKey: KEY, to: "hex" })), SIGNER);
    // The last byte of the hex form may be yParity itself (0 or 1) rather than v (27 or 28).
    assert.equal(recoverDigestSigner(DIGEST, `${r}${s.slice(2)}0${yParity}` as Hex), SIGNER);
  });

  it("agrees with viem's recoverAddress, also on the high-s twin of a signature", async () => {
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    await fc.assert(
      fc.asyncProperty(privateKey, hex(32), async (key, digest) => {
        const signature = signDigest(key, digest);
        const twin = { r: signature.r, s: toHex(n - BigInt(signature.s), { size: 32 }), yParity: 1 - (signature.yParity ?? 0) };
        for (const sig of [signature, twin]) assert.equal(recoverDigestSigner(digest, sig), await recoverAddress({ hash: digest, signature: sig }));
      }),
      { numRuns: 50 },
    );
  });

  it("a flipped byte of s, or a flipped yParity, does not recover the signer", () => {
    const signature = signDigest(KEY, DIGEST);
    for (const index of [0, 15, 31]) {
      const tampered = { ...signature, s: flipByte(signature.s, index) };
      assert.notEqual(recoverDigestSigner(DIGEST, tampered), SIGNER, `s byte ${index}`);
      assert.notEqual(recoverDigestSigner(DIGEST, serializeSignature(tampered)), SIGNER, `s byte ${index}, hex`);
    }
    const parity = signature.yParity === 0 ? 1 : 0;
    const flipped = { r: signature.r, s: signature.s, yParity: parity, v: BigInt(27 + parity) };
    assert.notEqual(recoverDigestSigner(DIGEST, flipped), SIGNER);
    assert.notEqual(recoverDigestSigner(DIGEST, serializeSignature(flipped)), SIGNER);
    // A different digest signed by nobody in particular.
    assert.notEqual(recoverDigestSigner(keccak256(DIGEST), signature), SIGNER);
  });

  it("returns undefined, without throwing, for malformed signatures and digests", () => {
    const signature = signDigest(KEY, DIGEST);
    const cases: Array<[string, Hex, Hex | Signature]> = [
      ["short hex", DIGEST, "0x1234"],
      ["empty hex", DIGEST, "0x"],
      ["all-zero 65 bytes", DIGEST, `0x${"00".repeat(65)}`],
      ["all-zero r and s", DIGEST, { r: `0x${"00".repeat(32)}`, s: `0x${"00".repeat(32)}`, yParity: 0 }],
      ["yParity 5", DIGEST, { r: signature.r, s: signature.s, yParity: 5 }],
      ["v 30", DIGEST, { r: signature.r, s: signature.s, v: 30n } as Signature],
      ["s >= n", DIGEST, { r: signature.r, s: `0x${"ff".repeat(32)}`, yParity: 0 }],
      ["r too long", DIGEST, { r: `0x${"11".repeat(33)}`, s: signature.s, yParity: 0 }],
      ["not hex", DIGEST, "0xnothex" as Hex],
      ["short digest", "0x1234", signature],
    ];
    for (const [name, digest, sig] of cases) {
      assert.doesNotThrow(() => recoverDigestSigner(digest, sig), name);
      assert.equal(recoverDigestSigner(digest, sig), undefined, name);
    }
  });
});
