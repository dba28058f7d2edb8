// Writing a module, as a new author does it: `module init` for each language, `module build`, `module run`, an
// edit and a run again, `module list`; and what they see when something is wrong. The real CLI (main() in this
// process, jobs in the sandbox's child processes), a private LILYPAD_HOME, the real compilers (C: Debian's clang + wasi-libc; Rust: the first rustc on PATH that has
// the WASI standard library, here Debian's with the older target name wasm32-wasi).
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runCliInProcess, type CliRun } from "./inProcessCli.ts";
import { C_TOOLCHAIN_MISSING, RUST_TOOLCHAIN_MISSING } from "../toolchains.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const PLACEHOLDER = "bafkreiplaceholderplaceholderplaceholderplaceholderplaceholde";

type Failed = CliRun;

describe("module authoring: init, build, run, list", { timeout: 10 * 60_000 }, () => {
  let home: string;
  let cwd: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    cwd = await mkdtemp(join(tmpdir(), "lilypad-author-"));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  /** `lilypad <args>`, which must succeed. */
  const lilypad = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => {
    const result = await runCliInProcess(args, { cwd, env: { ...process.env, LILYPAD_HOME: home, ...env } });
    assert.equal(result.code, 0, `lilypad ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
    return result;
  };
  /** `lilypad <args>`, which must fail. */
  const fails = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Failed> => {
    const result = await runCliInProcess(args, { cwd, env: { ...process.env, LILYPAD_HOME: home, ...env } });
    assert.notEqual(result.code, 0, `lilypad ${args.join(" ")} succeeded`);
    return result;
  };
  /** The failure ends with one `error:` line and one `hint:` line: no stack trace, no diagnostics dump. */
  const assertOneLineError = (failed: Failed, error: RegExp, hint: RegExp) => {
    const lines = failed.stderr.trimEnd().split("\n");
    const at = lines.findIndex((l) => l.startsWith("error: "));
    assert.ok(at >= 0, failed.stderr);
    assert.deepEqual(lines.slice(at).length, 2, failed.stderr);
    assert.match(lines[at]!, error);
    assert.match(lines[at + 1]!, hint);
  };

  for (const [lang, source] of [
    ["assemblyscript", "assembly/index.ts"],
    ["c", "src/main.c"],
    ["rust", "src/main.rs"],
  ] as const) {
    const skip = lang === "c" ? C_TOOLCHAIN_MISSING : lang === "rust" ? RUST_TOOLCHAIN_MISSING : undefined;
    it(`${lang}: init, build and run as written; an edited source is rebuilt on the next run`, { skip }, async () => {
      const dir = `hello-${lang}`;
      const init = await lilypad(["module", "init", dir, "--lang", lang]);
      assert.match(init.stdout, new RegExp(`created \\./${dir}: module ${dir}:v1 in ${lang}`));
      assert.match(init.stdout, new RegExp(`lilypad module run \\./${dir} -i Name=Lilypad`));
      const manifest = JSON.parse(await readFile(join(cwd, dir, "manifest.json"), "utf8")) as Record<string, unknown>;
      assert.equal(manifest.name, dir);
      assert.equal(manifest.artifact, undefined, "the template leaves the artifact to the build");
      assert.match(await readFile(join(cwd, dir, "README.md"), "utf8"), new RegExp(`lilypad module build \\./${dir}`));

      const built = JSON.parse((await lilypad(["module", "build", `./${dir}`, "--json"])).stdout) as { module: string; artifact: string; manifest: string };
      assert.equal(built.module, `${dir}:v1`);
      const packaged = JSON.parse(await readFile(built.manifest, "utf8")) as { artifact: { cid: string } };
      assert.equal(packaged.artifact.cid, built.artifact, "the build filled in the artifact's CID");
      assert.match(built.artifact, /^bafkrei/);

      const first = await lilypad(["module", "run", `./${dir}`, "-i", "Name=Lilypad"]);
      assert.equal(first.stdout, "Hello, Lilypad!\n");
      assert.doesNotMatch(first.stderr, /rebuilding/, "a current build is not rebuilt");
      assert.equal((await lilypad(["module", "run", `${dir}:v1`, "-i", "Name=catalog"])).stdout, "Hello, catalog!\n");

      const file = join(cwd, dir, source);
      await writeFile(file, (await readFile(file, "utf8")).replace("Hello, ", "Goodbye, "));
      const edited = await lilypad(["module", "run", `./${dir}`, "-i", "Name=Lilypad"]);
      assert.match(edited.stderr, new RegExp(`rebuilding \\./${dir} \\(its sources changed since the last build\\)…`));
      assert.equal(edited.stdout, "Goodbye, Lilypad!\n", "the run used the new sources");
      const again = await lilypad(["module", "run", `./${dir}`, "-i", "Name=again"]);
      assert.doesNotMatch(again.stderr, /rebuilding/);
      assert.equal(again.stdout, "Goodbye, again!\n");
    });
  }

  it("a folder never built is built by its first run", { skip: C_TOOLCHAIN_MISSING }, async () => {
    await lilypad(["module", "init", "fresh", "--lang", "c"]);
    const { stdout, stderr } = await lilypad(["module", "run", "./fresh", "-i", "Name=first"]);
    assert.match(stderr, /rebuilding \.\/fresh \(it was never built\)…/);
    assert.equal(stdout, "Hello, first!\n");
  });

  it("a manifest without artifact, with the docs' bafkrei... or with the shipped placeholder builds to the same module", { skip: C_TOOLCHAIN_MISSING }, async () => {
    await lilypad(["module", "init", "art", "--lang", "c"]);
    const manifestFile = join(cwd, "art", "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as Record<string, unknown>;
    const cids: string[] = [];
    for (const artifact of [undefined, { cid: "bafkrei..." }, { cid: PLACEHOLDER }, {}]) {
      await writeFile(manifestFile, JSON.stringify(artifact === undefined ? manifest : { ...manifest, artifact }));
      cids.push((JSON.parse((await lilypad(["module", "build", "./art", "--json"])).stdout) as { cid: string }).cid);
    }
    assert.equal(new Set(cids).size, 1, `one module whatever the source said of its artifact: ${cids.join(", ")}`);
    assert.equal((await lilypad(["module", "run", "./art", "-i", "Name=art"])).stdout, "Hello, art!\n");
    // A js module still names its entry: the one part of artifact the build cannot guess.
    await writeFile(manifestFile, JSON.stringify({ ...manifest, engine: "js", pricing: "per-run" }));
    const js = await fails(["module", "build", "./art"]);
    assert.match(js.stderr, /^error: invalid module manifest .*artifact\.entry: js modules name their entry file/m);
  });

  it("module list shows shipped and built modules, as text and as JSON", { skip: C_TOOLCHAIN_MISSING }, async () => {
    await lilypad(["module", "init", "listed", "--lang", "c", "--name", "listed-one"]);
    const built = JSON.parse((await lilypad(["module", "build", "./listed", "--json"])).stdout) as { cid: string };
    const text = (await lilypad(["module", "list"])).stdout;
    assert.match(text, /^MODULE +CID +ENGINE +SOURCE$/m);
    assert.match(text, /^cowsay:v1 +bafkrei\S+ +wasm +shipped$/m);
    assert.match(text, /^ocr:v1 +bafkrei\S+ +js +shipped$/m);
    assert.match(text, new RegExp(`^listed-one:v1 +${built.cid} +wasm +built$`, "m"));
    const listed = JSON.parse((await lilypad(["module", "list", "--json"])).stdout) as { module: string; cid: string; engine: string; source: string }[];
    const catalog = JSON.parse(await readFile(join(repo, "modules", "catalog.json"), "utf8")) as Record<string, string>;
    for (const [module, cid] of Object.entries(catalog)) assert.ok(listed.some((m) => m.module === module && m.cid === cid && m.source === "shipped"), module);
    assert.deepEqual(
      listed.find((m) => m.module === "listed-one:v1"),
      { module: "listed-one:v1", cid: built.cid, source: "built", engine: "wasm", description: "Greets someone: prints a line on stdout." },
    );
  });

  it("module list shows what was published from this machine under its full name", { skip: C_TOOLCHAIN_MISSING }, async () => {
    const other = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    try {
      const cid = (JSON.parse((await lilypad(["module", "build", "./listed", "--json"])).stdout) as { cid: string }).cid;
      const name = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8/listed-one:v1";
      const tx = `0x${"ab".repeat(32)}`;
      await writeFile(join(other, "published.json"), JSON.stringify([{ name, cid, chainId: 31337, market: `0x${"12".repeat(20)}`, tx }]));
      const listed = JSON.parse((await lilypad(["module", "list", "--json"], { LILYPAD_HOME: other })).stdout) as { module: string; source: string; engine?: string; chainId?: number }[];
      const published = listed.find((m) => m.source === "published");
      assert.equal(published?.module, name);
      assert.equal(published?.chainId, 31337);
      assert.equal(published?.engine, undefined, "its manifest is not in that store");
      const text = await lilypad(["module", "list"], { LILYPAD_HOME: other });
      assert.match(text.stdout, new RegExp(`^${name.replace("/", "\\/")} +${cid} +\\? +published \\(chain 31337\\)$`, "m"));
      assert.match(text.stderr, /note: \? means the module's manifest is not in the local store/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("every module command's help ends with examples of it", async () => {
    for (const command of ["init", "build", "run", "inspect", "publish", "list"]) {
      const { stdout } = await lilypad(["module", command, "--help"]);
      assert.match(stdout, new RegExp(`\nExamples:\n[\\s\\S]*\n  \\$ lilypad module ${command} `), `module ${command} --help`);
    }
  });

  it("bad usage of module init exits 2 with one error line and a hint", async () => {
    const lang = await fails(["module", "init", "x", "--lang", "go"]);
    assert.equal(lang.code, 2);
    assertOneLineError(lang, /^error: unknown language "go"$/, /^hint: --lang takes one of assemblyscript, c, rust$/);

    await mkdir(join(cwd, "taken"));
    await writeFile(join(cwd, "taken", "notes.txt"), "mine\n");
    const taken = await fails(["module", "init", "taken", "--lang", "c"]);
    assert.equal(taken.code, 2);
    assertOneLineError(taken, /^error: \.\/taken already exists and is not empty$/, /^hint: choose a new folder/);
    assert.equal(await readFile(join(cwd, "taken", "notes.txt"), "utf8"), "mine\n", "nothing was touched");

    const name = await fails(["module", "init", "Bad Name"]);
    assert.equal(name.code, 2);
    assertOneLineError(name, /^error: "bad name" cannot be a module name/, /^hint: name the module with --name/);
    // An empty folder is fine.
    await mkdir(join(cwd, "empty"));
    await lilypad(["module", "init", "empty", "--lang", "rust"]);
  });

  it("a missing toolchain is named in one line, with how to install it", async () => {
    const empty = await mkdtemp(join(tmpdir(), "lilypad-nopath-"));
    try {
      await lilypad(["module", "init", "needs-c", "--lang", "c"]);
      const c = await fails(["module", "build", "./needs-c"], { PATH: empty });
      assert.equal(c.code, 1);
      assertOneLineError(c, /^error: cannot build .*needs-c: src\/main\.c needs clang, which is not on PATH$/, /^hint: install clang with WASI support: on Debian\/Ubuntu `sudo apt-get install clang lld wasi-libc/);

      await lilypad(["module", "init", "needs-rust", "--lang", "rust"]);
      const rust = await fails(["module", "run", "./needs-rust"], { PATH: empty });
      assertOneLineError(rust, /^error: cannot build .*needs-rust: src\/main\.rs needs rustc, which is not on PATH$/, /^hint: install Rust's WASI target: `rustup target add wasm32-wasip1`/);

      // A rustc without the WASI standard library (rustup's, before `rustup target add`) is named as such.
      const fake = join(empty, "rustc");
      await writeFile(fake, `#!/bin/sh\ncase "$2" in target-list) echo wasm32-wasip1;; sysroot) echo ${empty};; esac\n`);
      chmodSync(fake, 0o755);
      const noStd = await fails(["module", "build", "./needs-rust"], { PATH: empty });
      assertOneLineError(noStd, new RegExp(`no rustc on PATH has the standard library for wasm32-wasip1 or wasm32-wasi \\(tried ${fake}\\)$`), /^hint: install Rust's WASI target/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("rust: a rustc that knows the target as wasm32-wasip1 is given that name", { skip: RUST_TOOLCHAIN_MISSING }, async () => {
    // A stand-in for a current rustc: it lists wasm32-wasip1 and has its standard library, logs its arguments and
    // compiles with the machine's rustc under the older name (same target: WASI preview 1).
    const bin = await mkdtemp(join(tmpdir(), "lilypad-rustc-"));
    try {
      await mkdir(join(bin, "sysroot", "lib", "rustlib", "wasm32-wasip1", "lib"), { recursive: true });
      const log = join(bin, "args.log");
      const real = "/usr/bin/rustc";
      const script = [
        "#!/bin/sh",
        `if [ "$1" = --print ] && [ "$2" = target-list ]; then echo wasm32-wasip1; exit 0; fi`,
        `if [ "$1" = --print ] && [ "$2" = sysroot ]; then echo ${join(bin, "sysroot")}; exit 0; fi`,
        `echo "$@" >> ${log}`,
        `args=""; for a in "$@"; do [ "$a" = wasm32-wasip1 ] && a=wasm32-wasi; args="$args '$a'"; done`,
        `eval exec ${real} $args`,
      ].join("\n");
      await writeFile(join(bin, "rustc"), `${script}\n`);
      chmodSync(join(bin, "rustc"), 0o755);
      await lilypad(["module", "init", "wasip1", "--lang", "rust"]);
      assert.equal((await lilypad(["module", "run", "./wasip1", "-i", "Name=p1"], { PATH: `${bin}:${process.env.PATH}` })).stdout, "Hello, p1!\n");
      assert.match(await readFile(log, "utf8"), /--target wasm32-wasip1 /);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});
