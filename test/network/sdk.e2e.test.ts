// The SDK through its public entries (src/index.ts is "lilypad", src/devnet/index.ts is "lilypad/devnet"), on a
// running network. test/package/pack.test.ts imports them from the installed package.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/index.ts";
import { createLilypadClient, JobFailedError, Outcome, type JobEvent } from "../../src/index.ts";
import { devPrivateKey } from "../../src/chain/devAccounts.ts";
import { parseEther } from "viem";

describe("the SDK from 'lilypad'", () => {
  let net: EmbeddedNetwork;
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-sdk-"));
    net = await startNetwork({ home: join(home, "network"), chainListen: { host: "127.0.0.1", port: 0 } });
  });
  after(async () => {
    await net.close();
    await rm(home, { recursive: true, force: true });
  });

  it("runs a job and streams its events; a bad input is a typed error", async () => {
    const client = await createLilypadClient({ network: net.network, privateKey: devPrivateKey(14), home: join(home, "jc"), keepInEscrow: parseEther("50") });
    try {
      const handle = await client.submit("cowsay:v1", { Message: "from the SDK" });
      const seen: JobEvent["type"][] = [];
      const collected = (async () => {
        for await (const event of handle.events) seen.push(event.type);
      })();
      const result = await handle.result;
      await collected;
      assert.equal(result.outcome, Outcome.Accepted);
      assert.match(new TextDecoder().decode(result.stdout), /< from the SDK >/);
      assert.equal(seen.at(-1), "closed");
      assert.ok(seen.includes("deal-opened") && seen.includes("result-posted") && seen.includes("accepted"));
      await assert.rejects(client.run("cowsay:v1", { Message: 42 }), /input "Message"/);
      assert.equal(new JobFailedError({ dealId: result.dealId, code: "X", reason: "y" }).code, "X");
    } finally {
      await client.close();
    }
  });
});
