import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveDevnetChainConfig } from "../../src/cli/commands/resolveDevnetChainConfig.ts";
import { ErrorCode, InvalidArgumentError } from "../../src/core/errors.ts";
import { lilypadPaths } from "../../src/core/paths.ts";

const base = { env: {}, homedir: "/home/ada", cwd: "/work" };

describe("lilypadPaths", () => {
  it("defaults to ~/.lilypad", () => {
    assert.deepEqual(lilypadPaths({ env: {}, homedir: "/home/ada" }), {
      home: "/home/ada/.lilypad",
      networksDir: "/home/ada/.lilypad/networks",
      devnetNetworkFile: "/home/ada/.lilypad/networks/devnet.json",
      blocksDir: "/home/ada/.lilypad/blocks",
      catalogFile: "/home/ada/.lilypad/catalog.json",
      publishedFile: "/home/ada/.lilypad/published.json",
      workDir: "/home/ada/.lilypad/work",
    });
  });

  it("follows LILYPAD_HOME, ignoring an empty value", () => {
    assert.equal(lilypadPaths({ env: { LILYPAD_HOME: "/srv/lp" }, homedir: "/h" }).devnetNetworkFile, "/srv/lp/networks/devnet.json");
    assert.equal(lilypadPaths({ env: { LILYPAD_HOME: "" }, homedir: "/h" }).home, "/h/.lilypad");
  });
});

describe("resolveDevnetChainConfig", () => {
  it("uses defaults, then env, then flags", () => {
    assert.deepEqual(resolveDevnetChainConfig({ ...base, flags: {} }), {
      host: "127.0.0.1",
      port: 8545,
      networkFile: "/home/ada/.lilypad/networks/devnet.json",
      json: false,
    });
    assert.equal(
      resolveDevnetChainConfig({ ...base, env: { LILYPAD_HOME: "/srv/lp" }, flags: {} }).networkFile,
      "/srv/lp/networks/devnet.json",
    );
    assert.deepEqual(
      resolveDevnetChainConfig({
        ...base,
        env: { LILYPAD_HOME: "/srv/lp" },
        flags: { host: "0.0.0.0", port: "0", networkFile: "net.json", json: true },
      }),
      { host: "0.0.0.0", port: 0, networkFile: "/work/net.json", json: true },
    );
  });

  for (const port of ["notaport", "-1", "65536", "1.5", "", "0x10"]) {
    it(`rejects --port ${JSON.stringify(port)}`, () => {
      assert.throws(
        () => resolveDevnetChainConfig({ ...base, flags: { port } }),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          error.code === ErrorCode.invalidArgument &&
          error.argument === "--port" &&
          error.message.includes("--port"),
      );
    });
  }

  it("rejects an empty --host", () => {
    assert.throws(
      () => resolveDevnetChainConfig({ ...base, flags: { host: " " } }),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === "--host",
    );
  });
});
