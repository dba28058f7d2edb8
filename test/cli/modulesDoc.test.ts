// docs/modules.md, run as written: the shell blocks of "Write a module" line by line (`npx lilypad` is the real
// CLI, main() in this process; any other line runs in sh), with `# prints: X` checked against the command's
// stdout; and the manifest example of "The manifest", built beside a copy of the shipped cowsay's sources and run.
// A change to the CLI that breaks the walkthrough, or to the walkthrough that the CLI does not do, fails here.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseSourceManifest } from "../../src/core/moduleId.ts";
import { runCliInProcess } from "./inProcessCli.ts";
import { C_TOOLCHAIN_MISSING } from "../toolchains.ts";

const sh = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));

/** The text of `## <title>` up to the next `## `. */
function section(doc: string, title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/modules.md has a "## ${title}" section`);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** The fenced blocks of one language in a section, in order. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

/** Splits a command line into words: spaces separate, single and double quotes group (enough for the docs). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

describe("docs/modules.md, run as written", { timeout: 10 * 60_000 }, () => {
  let doc: string;
  let home: string;
  let cwd: string;
  before(async () => {
    doc = await readFile(join(repo, "docs", "modules.md"), "utf8");
    home = await mkdtemp(join(tmpdir(), "lilypad-home-"));
    cwd = await mkdtemp(join(tmpdir(), "lilypad-docs-"));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });
  const env = () => ({ ...process.env, LILYPAD_HOME: home });

  it("Write a module: every line of its sh blocks works, and prints what the comments say", { skip: C_TOOLCHAIN_MISSING }, async () => {
    const shBlocks = blocks(section(doc, "Write a module"), "sh");
    assert.ok(shBlocks.length >= 2, "the walkthrough and the edit-and-run-again block");
    const lines = shBlocks.flatMap((b) => b.split("\n")).filter((l) => l.trim() && !l.trim().startsWith("#"));
    assert.ok(lines.some((l) => l.startsWith("npx lilypad module init ")), "the walkthrough starts from module init");
    for (const line of lines) {
      const [command, comment] = line.split(/\s+#\s*/, 2) as [string, string | undefined];
      let stdout: string;
      if (command.startsWith("npx lilypad ")) {
        const result = await runCliInProcess(words(command.slice("npx lilypad ".length)), { cwd, env: env() });
        assert.equal(result.code, 0, `\`${command}\` exited ${result.code}:\n${result.stderr}`);
        stdout = result.stdout;
      } else {
        stdout = (await sh("sh", ["-c", command], { cwd, env: env() })).stdout;
      }
      const printed = comment?.match(/^prints: (.*)$/)?.[1];
      if (printed !== undefined) assert.equal(stdout, `${printed}\n`, `\`${command}\` prints ${printed}`);
      if (command === "npx lilypad module list") assert.match(stdout, /^hello:v1 +bafkrei\S+ +wasm +built$/m);
    }
  });

  it("The manifest: the complete example has no artifact, and builds and runs with cowsay's sources", async () => {
    const [example] = blocks(section(doc, "The manifest"), "json");
    assert.ok(example, "the section shows a manifest");
    const manifest: unknown = JSON.parse(example);
    assert.equal(parseSourceManifest(manifest, "docs/modules.md").artifact, undefined, "an author need not write artifact");
    const dir = join(cwd, "doc-cow");
    await mkdir(dir);
    await cp(join(repo, "modules", "cowsay", "assembly"), join(dir, "assembly"), { recursive: true });
    await writeFile(join(dir, "manifest.json"), example);
    const built = await runCliInProcess(["module", "build", "./doc-cow", "--json"], { cwd, env: env() });
    assert.equal(built.code, 0, built.stderr);
    const run = await runCliInProcess(["module", "run", "./doc-cow", "-i", "Message=from the docs"], { cwd, env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /< from the docs >/);
  });
});
