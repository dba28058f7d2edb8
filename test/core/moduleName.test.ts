// Module names say whose module they are: bare names are the network's own, `0x<publisher>/NAME:VERSION` a
// publisher's. The parser takes what a user types, and refuses every malformed name with what is wrong.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import { formatModuleName, InvalidModuleNameError, parseModuleName } from "../../src/core/moduleName.ts";

const publisher = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");

/** Asserts that parsing `ref` throws INVALID_MODULE_NAME, and returns the message and hint. */
function refused(ref: string): string {
  try {
    parseModuleName(ref);
  } catch (error) {
    assert.ok(error instanceof InvalidModuleNameError, `${ref}: ${String(error)}`);
    assert.equal(error.code, "INVALID_MODULE_NAME");
    assert.ok(error.message.startsWith(`"${ref}" is not a module name: `), error.message);
    return `${error.message} | ${error.hint ?? ""}`;
  }
  assert.fail(`${ref} was taken as a module name`);
}

describe("parseModuleName", () => {
  it("a bare name has no publisher", () => {
    assert.deepEqual(parseModuleName("cowsay:v1"), { publisher: undefined, name: "cowsay", version: "v1" });
    assert.deepEqual(parseModuleName("lib.wasm_tools-2:1.0.0-rc_1"), { publisher: undefined, name: "lib.wasm_tools-2", version: "1.0.0-rc_1" });
    assert.deepEqual(parseModuleName(`${"z".repeat(64)}:${"0".repeat(64)}`)?.name, "z".repeat(64));
  });

  it("a namespaced name carries its publisher, checksummed, whether typed in lower case or EIP-55", () => {
    for (const typed of [publisher.toLowerCase(), publisher]) {
      assert.deepEqual(parseModuleName(`${typed}/sheep:v1`), { publisher, name: "sheep", version: "v1" });
    }
    assert.equal(formatModuleName({ publisher, name: "sheep", version: "v1" }), `${publisher}/sheep:v1`);
    assert.equal(formatModuleName({ name: "cowsay", version: "v1" }), "cowsay:v1");
  });

  it("what is not meant as a name (no ':' and no '/') is left to the caller: a CID, a word", () => {
    assert.equal(parseModuleName("bafkreietj7qfexzmoub4lrjgo7cq2drmi5gh2zo7bneefz3p274yqld5dy"), undefined);
    assert.equal(parseModuleName("cowsay"), undefined);
  });

  it("a publisher must be an address: no handles, which anyone could claim first", () => {
    assert.match(refused("alice/cowsay:v1"), /"alice" is not a publisher address \| .*0x<40 hex digits>\/NAME:VERSION.*no handles/);
    assert.match(refused("lilypad/cowsay:v1"), /not a publisher address/);
    assert.match(refused("0x1234/cowsay:v1"), /"0x1234" is not a publisher address/);
    assert.match(refused(`${publisher}0/cowsay:v1`), /is not a publisher address/);
    assert.match(refused("0x/cowsay:v1"), /"0x" is not a publisher address/);
  });

  it("a mistyped address fails its checksum instead of naming somebody else", () => {
    // Flip the case of one letter of a checksummed address.
    const at = [...publisher].findIndex((c, i) => i > 1 && /[a-fA-F]/.test(c));
    const c = publisher[at]!;
    const typo = publisher.slice(0, at) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + publisher.slice(at + 1);
    assert.match(refused(`${typo}/sheep:v1`), /fails its checksum/);
  });

  it("the zero address publishes nothing: governance's names are written bare", () => {
    assert.match(refused("0x0000000000000000000000000000000000000000/cowsay:v1"), /the zero address publishes nothing \| .*written bare: cowsay:v1/);
  });

  it("a name needs a version, and both are lower-case a-z 0-9 . _ - of 1-64 characters", () => {
    assert.match(refused(`${publisher}/sheep`), /it has no version \| add one, e\.g\. .*sheep:v1/);
    assert.match(refused("cowsay:"), /its version "" is not/);
    assert.match(refused(":v1"), /its name "" is not/);
    assert.match(refused("Cowsay:V1"), /its name "Cowsay" .* module names are lower case: cowsay:v1/);
    assert.match(refused(`${publisher}/Sheep:v1`), new RegExp(`lower case: ${publisher}/sheep:v1`));
    assert.match(refused(`${"a".repeat(65)}:v1`), /its name "a{65}" is not 1-64 characters/);
    assert.match(refused("cow say:v1"), /its name "cow say"/);
    assert.match(refused(".hidden:v1"), /its name ".hidden"/);
    assert.match(refused("cowsay:v1:v2"), /its version "v1:v2"/);
    assert.match(refused(`${publisher}/${publisher}/sheep:v1`), /its name "0x/);
  });

  it("a path that is no folder gets the folder hint", () => {
    assert.match(refused("modules/cowsay"), /for a folder, write \.\/modules\/cowsay/);
  });
});
