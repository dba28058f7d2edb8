// The README's SDK snippet, byte for byte, as a user's app.mjs: against a devnet whose network file is under
// LILYPAD_HOME (not ~/.lilypad), with no key in the environment, and it must exit by itself once done. Only the
// package name is mapped, by a resolve hook, to this checkout's sources ("lilypad" is not installed here).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startNetwork, type EmbeddedNetwork } from "../../src/devnet/startNetwork.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** The js block of the README that uses createLilypadClient. */
async function readmeSdkSnippet(): Promise<string> {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const snippet = blocks.find((b) => b.includes("createLilypadClient("));
  assert.ok(snippet, "the README has a js block using createLilypadClient");
  return snippet;
}

describe("the README's SDK snippet, exactly as written", { timeout: 5 * 60_000 }, () => {
  let dir: string;
  let lilypadHome: string;
  let net: EmbeddedNetwork;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilypad-readme-sdk-"));
    lilypadHome = join(dir, "lilypad-home");
    // What `lilypad devnet` leaves for the snippet's first half: a running network and its file in $LILYPAD_HOME.
    net = await startNetwork({ home: join(dir, "devnet"), networkFile: join(lilypadHome, "networks", "devnet.json") });
  });
  after(async () => {
    await net?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs both halves and exits by itself", async () => {
    const app = join(dir, "app", "app.mjs");
    await mkdir(join(dir, "app"));
    await writeFile(app, await readmeSdkSnippet());
    const hooks = join(dir, "hooks.mjs");
    const targets = { lilypad: pathToFileURL(join(repo, "src", "index.ts")).href, "lilypad/devnet": pathToFileURL(join(repo, "src", "devnet", "index.ts")).href };
    await writeFile(
      hooks,
      `const targets = ${JSON.stringify(targets)};\nexport async function resolve(specifier, context, next) {\n  return next(targets[specifier] ?? specifier, context);\n}\n`,
    );
    const register = join(dir, "register.mjs");
    await writeFile(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);

    // No key in the environment: the snippet's own fallback (a dev account) is what runs.
    const { LILYPAD_PRIVATE_KEY: _key, WEB3_PRIVATE_KEY: _web3, LILYPAD_NETWORK: _network, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", pathToFileURL(register).href, app], {
      cwd: join(dir, "app"),
      env: { ...env, LILYPAD_HOME: lilypadHome, HOME: join(dir, "no-such-home") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Exiting by itself is the point: a client or network left open keeps the process alive, and this times out.
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`app.mjs did not exit within 180 s:\n${stdout}\n${stderr}`));
      }, 180_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /< hi >/, "the first half ran on the devnet found through LILYPAD_HOME");
    assert.match(stdout, /^accepted$/m);
    const cids = stdout.match(/bafy\w+/g) ?? [];
    assert.ok(cids.length >= 2, `a result CID from each half:\n${stdout}`);
  });
});
