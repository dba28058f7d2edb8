// The gateway's module field takes what the CLI takes, minus folders: bare NAME:VERSION, 0x<publisher>/NAME:VERSION
// (parsed by the CLI's own parser, core/moduleName.ts) and module CIDs. Pure: no network.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createJobBodySchema, describeGatewayZodError, gatewayModuleRefSchema } from "../../src/core/api/gatewayProtocol.ts";
import { readShippedCatalog } from "../../src/modules/moduleCatalog.ts";

const PUBLISHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

function refusal(module: string): string {
  const parsed = createJobBodySchema.safeParse({ module });
  assert.equal(parsed.success, false, `${module} was accepted`);
  return parsed.success ? "" : describeGatewayZodError(parsed.error);
}

describe("gatewayModuleRefSchema", () => {
  it("accepts bare names, published names (checksummed or lower case) and module CIDs", () => {
    const cid = readShippedCatalog()["cowsay:v1"]!;
    for (const module of [
      "cowsay:v1",
      "my-module.2_x:1.0.0-rc.1",
      `${PUBLISHER}/sheep:v1`,
      `${PUBLISHER.toLowerCase()}/sheep:v1`,
      `${PUBLISHER}/${"a".repeat(64)}:${"b".repeat(64)}`,
      cid,
      "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
    ]) {
      assert.equal(gatewayModuleRefSchema.parse(module), module);
    }
  });

  it("refuses folders, and malformed names with the parser's reason", () => {
    for (const folder of ["/", "./modules/cowsay", "../x", "modules", "/etc/passwd"]) assert.match(refusal(folder), /^module: /, folder);
    assert.match(refusal("cowsay"), /must be NAME:VERSION \(e\.g\. cowsay:v1\), 0x<publisher>\/NAME:VERSION or a module CID/);
    assert.match(refusal("0x1234/sheep:v1"), /"0x1234" is not a publisher address/);
    assert.match(refusal(`${PUBLISHER.replace("C51812", "c51812")}/sheep:v1`), /fails its checksum/);
    assert.match(refusal(`0x${"0".repeat(40)}/sheep:v1`), /the zero address publishes nothing.*sheep:v1/);
    assert.match(refusal(`${PUBLISHER}/sheep`), /it has no version/);
    assert.match(refusal("Sheep:V1"), /module names are lower case: sheep:v1/);
    assert.match(refusal(`${PUBLISHER}/${"a".repeat(65)}:v1`), /is not 1-64 characters/);
    assert.match(refusal(""), /^module: /);
  });
});
