// createLilypadClient without a key or a network says which option or variable is missing, in one sentence, before
// anything is dialled; with neither given, it finds them where the CLI does (LILYPAD_HOME, LILYPAD_NETWORK).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Hex } from "viem";
import { devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import { createLilypadClient } from "../../src/index.ts";

describe("createLilypadClient", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-sdk-"));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const refused = (pattern: RegExp, argument: string) => (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.equal(error.argument, argument);
    assert.match(error.message, pattern);
    return true;
  };

  it("no key anywhere: names the option and both variables, not a TypeError from viem", async () => {
    await assert.rejects(createLilypadClient({ env: { LILYPAD_HOME: home } }), refused(/no private key: neither the privateKey option nor LILYPAD_PRIVATE_KEY or WEB3_PRIVATE_KEY is set/, "privateKey"));
    // `privateKey: process.env.UNSET` is the same as leaving it out.
    await assert.rejects(createLilypadClient({ env: { LILYPAD_HOME: home }, privateKey: undefined }), refused(/no private key/, "privateKey"));
  });

  it("a malformed key is named by where it came from", async () => {
    await assert.rejects(createLilypadClient({ env: { LILYPAD_HOME: home }, privateKey: "0x1234" as Hex }), refused(/^privateKey is not a private key/, "privateKey"));
    await assert.rejects(createLilypadClient({ env: { LILYPAD_HOME: home, LILYPAD_PRIVATE_KEY: "nope" } }), refused(/^LILYPAD_PRIVATE_KEY is not a private key/, "privateKey"));
    await assert.rejects(createLilypadClient({ env: { LILYPAD_HOME: home, WEB3_PRIVATE_KEY: "00".repeat(32) } }), refused(/WEB3_PRIVATE_KEY is not a valid secp256k1 key/, "privateKey"));
  });

  it("no network given: the devnet's file under LILYPAD_HOME, or LILYPAD_NETWORK, as the CLI finds them", async () => {
    const env = { LILYPAD_HOME: home, LILYPAD_PRIVATE_KEY: devPrivateKey(14) };
    await assert.rejects(createLilypadClient({ env }), refused(new RegExp(`no devnet network file at ${join(home, "networks", "devnet.json")}`), "network"));
    await assert.rejects(createLilypadClient({ env: { ...env, LILYPAD_NETWORK: "nosuch" } }), refused(/no network "nosuch"/, "--network"));
    // A shipped network that is not deployed yet is refused with what to do.
    await assert.rejects(createLilypadClient({ env: { ...env, LILYPAD_NETWORK: "arbitrum-sepolia" } }), /has no contracts deployed yet/);
    // A named network in LILYPAD_HOME is read from there (its chain need not answer to build the client).
    await mkdir(join(home, "networks"), { recursive: true });
    const address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    await writeFile(
      join(home, "networks", "mine.json"),
      JSON.stringify({
        name: "mine",
        chainId: 31337,
        rpcUrl: "http://127.0.0.1:1",
        solverUrl: "http://127.0.0.1:2",
        mediators: [address],
        deployBlock: 0,
        contracts: { token: address, market: address, serviceRegistry: address, jobCreator: address },
      }),
    );
    const client = await createLilypadClient({ env: { ...env, LILYPAD_NETWORK: "mine" } });
    try {
      assert.equal(client.address, devAccount(14).address, "acting as LILYPAD_PRIVATE_KEY's account");
    } finally {
      await client.close();
    }
  });
});
