import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invocationOf, loadManifest, moduleEntry, moduleWasm, runWasi } from "./runWasi.ts";

// Expected outputs are those of cowsay 3.03 (Debian 12, LANG=C.UTF-8) for the same message.
const cow = String.raw`        \   ^__^
         \  (oo)\_______
            (__)\       )\/\
                ||----w |
                ||     ||
`;

async function cowsay(...args: string[]) {
  const result = await runWasi({ wasm: await moduleWasm(moduleEntry("cowsay")), args: ["cowsay", ...args] });
  assert.equal(result.exitCode, 0);
  assert.equal(result.stderr, "");
  return result.stdout;
}

describe("cowsay module", () => {
  it("says hello", async () => {
    assert.equal(await cowsay("hello"), " _______\n< hello >\n -------\n" + cow);
  });

  it("wraps a long message at 40 columns and cuts a word longer than a line", async () => {
    const message =
      "Lilypad runs WebAssembly jobs: a verifiable compute network where pneumonoultramicroscopicsilicovolcanoconiosis is just another word";
    const expected = [
      " _________________________________________",
      "/ Lilypad runs WebAssembly jobs: a        \\",
      "| verifiable compute network where        |",
      "| pneumonoultramicroscopicsilicovolcanoco |",
      "\\ niosis is just another word             /",
      " -----------------------------------------",
      "",
    ].join("\n");
    assert.equal(await cowsay(message), expected + cow);
  });

  it("wraps at the last space that fits", async () => {
    const message = "The quick brown fox jumps over the lazy dog, then the dog wakes up and chases the fox across the whole field until sunset";
    const expected = [
      " _________________________________________",
      "/ The quick brown fox jumps over the lazy \\",
      "| dog, then the dog wakes up and chases   |",
      "| the fox across the whole field until    |",
      "\\ sunset                                  /",
      " -----------------------------------------",
      "",
    ].join("\n");
    assert.equal(await cowsay(message), expected + cow);
  });

  it("pads by terminal cells, so wide characters and emoji keep the bubble straight", async () => {
    const expected = " ________________________\n< こんにちは 🐮 says moo >\n ------------------------\n";
    assert.equal(await cowsay("こんにちは 🐮 says moo"), expected + cow);
  });

  it("keeps paragraphs (a newline followed by whitespace) apart with a blank line", async () => {
    const expected = " _________________\n/ first paragraph \\\n|                 |\n\\ second one      /\n -----------------\n";
    assert.equal(await cowsay("first paragraph\n  second one"), expected + cow);
  });

  it("joins several arguments with spaces, as cowsay does", async () => {
    assert.equal(await cowsay("hello", "there"), " _____________\n< hello there >\n -------------\n" + cow);
  });

  it("gets its message through the manifest's invocation, with the default when none is given", async () => {
    const manifest = loadManifest("cowsay");
    const wasm = await moduleWasm(moduleEntry("cowsay"));
    const withDefault = await runWasi({ wasm, ...invocationOf(manifest, {}) });
    assert.equal(withDefault.stdout, " _____________________\n< Hello from Lilypad! >\n ---------------------\n" + cow);
    const given = await runWasi({ wasm, ...invocationOf(manifest, { Message: "hello" }) });
    assert.equal(given.stdout, " _______\n< hello >\n -------\n" + cow);
  });
});
