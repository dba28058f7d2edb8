// Configuration layering as a user meets it: defaults < config file < environment < flags, shown by --print-config.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));

describe("lilypad configuration", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-config-"));
  });
  after(() => rm(home, { recursive: true, force: true }));

  const printed = async (args: string[], env: Record<string, string> = {}) => {
    const { stdout } = await run(process.execPath, [join(repo, "bin", "lilypad.js"), ...args, "--print-config"], {
      env: { ...process.env, LILYPAD_HOME: home, LILYPAD_NETWORK: "", LILYPAD_PRIVATE_KEY: "", WEB3_PRIVATE_KEY: "", ...env },
    });
    const setting = (JSON.parse(stdout) as Record<string, { value: unknown; source: string }>)
    // Each setting as "value (source)", e.g. "from-env (environment (LILYPAD_NETWORK))".
    return Object.fromEntries(
      ["network", "privateKey", "logLevel", "rpcUrl"].map((key) => [key, setting[key]!.value === null ? undefined : `${String(setting[key]!.value)} (${setting[key]!.source})`]),
    ) as Record<string, string | undefined>;
  };

  it("layers the config file, then the environment, then flags, and never prints the key", async () => {
    await writeFile(join(home, "config.json"), JSON.stringify({ network: "from-file", logLevel: "warn" }));
    assert.deepEqual(await printed(["balance"]), { network: "from-file (config file)", logLevel: "warn (config file)", privateKey: undefined, rpcUrl: undefined });
    assert.equal((await printed(["balance"], { LILYPAD_NETWORK: "from-env" })).network, "from-env (environment (LILYPAD_NETWORK))");
    assert.equal((await printed(["balance", "--network", "from-flag"], { LILYPAD_NETWORK: "from-env" })).network, "from-flag (flag)");
    // After the command's own arguments too: `lilypad run cowsay:v1 --print-config` once printed {}.
    assert.equal((await printed(["run", "cowsay:v1", "--network", "from-flag"])).network, "from-flag (flag)");
    const withKey = await printed(["balance"], { LILYPAD_PRIVATE_KEY: `0x${"ab".repeat(32)}` });
    assert.equal(withKey.privateKey, "(set, not shown) (environment (LILYPAD_PRIVATE_KEY))");
  });

  it("takes the key from WEB3_PRIVATE_KEY too, as Lilypad's tools do, after LILYPAD_PRIVATE_KEY", async () => {
    await writeFile(join(home, "config.json"), "{}");
    assert.equal((await printed(["balance"], { WEB3_PRIVATE_KEY: `0x${"cd".repeat(32)}` })).privateKey, "(set, not shown) (environment (WEB3_PRIVATE_KEY))");
    assert.equal((await printed(["balance"], { WEB3_PRIVATE_KEY: "cd".repeat(32) })).privateKey, "(set, not shown) (environment (WEB3_PRIVATE_KEY))", "without its 0x, as Lilypad's tools take it");
    // Read: a bad one is refused, naming where keys come from.
    const bad = await printed(["balance"], { WEB3_PRIVATE_KEY: "0x1234" }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 2);
    assert.match((bad as { stderr: string }).stderr, /WEB3_PRIVATE_KEY/);
    // LILYPAD_PRIVATE_KEY comes first: the bad WEB3 one is then never looked at.
    assert.equal(
      (await printed(["balance"], { LILYPAD_PRIVATE_KEY: `0x${"ab".repeat(32)}`, WEB3_PRIVATE_KEY: "0x1234" })).privateKey,
      "(set, not shown) (environment (LILYPAD_PRIVATE_KEY))",
    );
  });

  it("runs Lilypad's own first module name, cowsay:v0.0.4, as the shipped cowsay", async () => {
    const { stdout } = await run(process.execPath, [join(repo, "bin", "lilypad.js"), "module", "run", "cowsay:v0.0.4", "-i", "Message=hi from lilypad"], {
      env: { ...process.env, LILYPAD_HOME: home },
      cwd: home,
    });
    assert.match(stdout, /< hi from lilypad >/);
  });

  it("refuses a bad config file or value with a usage error naming it", async () => {
    await writeFile(join(home, "config.json"), "{ not json");
    const bad = await printed(["balance"]).catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 2);
    assert.match((bad as { stderr: string }).stderr, /config\.json is not valid JSON/);
    await writeFile(join(home, "config.json"), JSON.stringify({ rpcUrl: "not a url" }));
    const invalid = await printed(["balance"]).catch((e: { code: number; stderr: string }) => e);
    assert.equal((invalid as { code: number }).code, 2);
    assert.match((invalid as { stderr: string }).stderr, /rpcUrl/);
  });
});
