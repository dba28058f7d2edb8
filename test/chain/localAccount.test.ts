// localAccount against viem's privateKeyToAccount: the same address and byte-for-byte the same signatures for raw
// digests, messages, EIP-712 typed data and transactions, which recover to the account.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  getAddress,
  keccak256,
  parseEther,
  parseGwei,
  recoverMessageAddress,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  serializeTransaction,
  toHex,
  type Hex,
  type TransactionSerializable,
} from "viem";
import { createNonceManager, privateKeyToAccount } from "viem/accounts";
import { jsonRpc } from "viem/nonce";
import { localAccount } from "../../src/chain/localAccount.ts";

const HARDHAT_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const OTHER_KEY: Hex = "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const typedData = {
  domain: { name: "Ether Mail", version: "1", chainId: 1, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
  types: {
    Person: [
      { name: "name", type: "string" },
      { name: "wallet", type: "address" },
    ],
    Mail: [
      { name: "from", type: "Person" },
      { name: "to", type: "Person" },
      { name: "contents", type: "string" },
      { name: "amount", type: "uint256" },
    ],
  },
  primaryType: "Mail",
  message: {
    from: { name: "Cow", wallet: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" },
    to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
    contents: "Hello, Bob!",
    amount: 123456789012345678901234567890n,
  },
} as const;

const TO = getAddress("0x70997970c51812dc3a010c6e0c08a0c4b7f9c0d5");

const TRANSFER: TransactionSerializable = {
  type: "eip1559",
  chainId: 31337,
  nonce: 7,
  to: TO,
  value: parseEther("1.5"),
  gas: 21_000n,
  maxFeePerGas: parseGwei("30"),
  maxPriorityFeePerGas: parseGwei("1"),
};

const transactions: Array<[string, TransactionSerializable]> = [
  ["eip1559", TRANSFER],
  [
    "eip1559 contract call",
    {
      type: "eip1559",
      chainId: 8453,
      nonce: 0,
      to: TO,
      data: "0xa9059cbb000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb922660000000000000000000000000000000000000000000000000de0b6b3a7640000",
      gas: 80_000n,
      maxFeePerGas: parseGwei("0.1"),
      maxPriorityFeePerGas: 1n,
      accessList: [{ address: TO, storageKeys: [keccak256(toHex("slot"))] }],
    },
  ],
  ["legacy, EIP-155", { type: "legacy", chainId: 31337, nonce: 3, to: TO, value: 1n, gas: 21_000n, gasPrice: parseGwei("20") }],
  ["legacy, no chain id", { type: "legacy", nonce: 0, to: TO, value: 0n, gas: 50_000n, gasPrice: 1n, data: "0x1234" }],
  ["eip2930", { type: "eip2930", chainId: 1, nonce: 1, to: TO, gas: 30_000n, gasPrice: parseGwei("5"), accessList: [] }],
];

for (const key of [HARDHAT_KEY, OTHER_KEY]) {
  describe(`localAccount (${key.slice(0, 10)}...)`, () => {
    const ours = localAccount(key);
    const viems = privateKeyToAccount(key);

    it("has privateKeyToAccount's address, public key and type", () => {
      assert.equal(ours.address, viems.address);
      assert.equal(ours.publicKey, viems.publicKey);
      assert.equal(ours.type, "local");
      assert.equal(ours.source, "privateKey");
    });

    it("sign: the same signature for raw digests", async () => {
      for (let i = 0; i < 20; i++) {
        const hash = keccak256(toHex(`digest ${i}`));
        assert.equal(await ours.sign({ hash }), await viems.sign({ hash }));
      }
    });

    it("signMessage: the same signature for text and raw messages, recovering to the account", async () => {
      for (const message of ["hello", "", "x".repeat(1000), { raw: "0xdeadbeef" as Hex }, { raw: new Uint8Array([1, 2, 3]) }]) {
        const signature = await ours.signMessage({ message });
        assert.equal(signature, await viems.signMessage({ message }));
        assert.equal(await recoverMessageAddress({ message, signature }), ours.address);
      }
    });

    it("signTypedData: the same signature for an EIP-712 struct, recovering to the account", async () => {
      const signature = await ours.signTypedData(typedData);
      assert.equal(signature, await viems.signTypedData(typedData));
      assert.equal(await recoverTypedDataAddress({ ...typedData, signature }), ours.address);
    });

    for (const [name, transaction] of transactions) {
      it(`signTransaction (${name}): the same bytes, recovering to the account`, async () => {
        const signed = await ours.signTransaction(transaction);
        assert.equal(signed, await viems.signTransaction(transaction));
        assert.equal(await recoverTransactionAddress({ serializedTransaction: signed as never }), ours.address);
      });
    }

    it("signTransaction (eip4844 with sidecars): signs without the sidecars, as viem does", async () => {
      const blob = toHex(new Uint8Array(131_072).fill(1));
      const commitment = toHex(new Uint8Array(48).fill(2));
      const proof = toHex(new Uint8Array(48).fill(3));
      const transaction: TransactionSerializable = {
        type: "eip4844",
        chainId: 1,
        nonce: 2,
        to: TO,
        gas: 50_000n,
        maxFeePerGas: parseGwei("10"),
        maxPriorityFeePerGas: 1n,
        maxFeePerBlobGas: parseGwei("1"),
        blobVersionedHashes: [`0x01${"ab".repeat(31)}`],
        sidecars: [{ blob, commitment, proof }],
      };
      assert.equal(await ours.signTransaction(transaction), await viems.signTransaction(transaction));
    });

    it("signTransaction: uses a custom serializer as viem does", async () => {
      const calls: Array<boolean> = [];
      const serializer = (tx: TransactionSerializable, signature?: unknown) => {
        calls.push(signature !== undefined);
        return serializeTransaction(tx, signature as never);
      };
      assert.equal(await ours.signTransaction(TRANSFER, { serializer }), await viems.signTransaction(TRANSFER));
      assert.deepEqual(calls, [false, true], "serialized once to sign, once with the signature");
    });
  });
}

describe("localAccount options", () => {
  it("gives the Hardhat dev key its well-known address", () => {
    assert.equal(localAccount(HARDHAT_KEY).address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });

  it("passes the nonce manager through", () => {
    const nonceManager = createNonceManager({ source: jsonRpc() });
    assert.equal(localAccount(HARDHAT_KEY, { nonceManager }).nonceManager, nonceManager);
    assert.equal(localAccount(HARDHAT_KEY).nonceManager, undefined);
  });
});
