// Every command's help has examples and lists the global flags; every example is a command line the CLI accepts,
// and a few of them run here, as written.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Command } from "commander";
import { commandKey, HELP_EXAMPLES } from "../../src/cli/helpExamples.ts";
import { allCommands, buildProgram, main } from "../../src/cli/main.ts";
import { captureContext } from "./inProcessCli.ts";

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), "lilypad-help-"));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

const capture = () => captureContext({ cwd: home, env: { LILYPAD_HOME: home }, homedir: home });

/** Splits a command line as a shell would for these examples: words, and "double-quoted" words. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const commands = async (): Promise<Command[]> => allCommands(await buildProgram(capture().ctx));

describe("help examples", () => {
  it("every command has examples (add them to src/cli/helpExamples.ts)", async () => {
    const missing = (await commands())
      .map(commandKey)
      .filter((key) => !HELP_EXAMPLES[key]?.length);
    assert.deepEqual(missing, [], `commands without examples: ${missing.map((k) => `"lilypad ${k}"`.replace(" \"", "\"")).join(", ")}`);
  });

  it("every example is for a command that exists, and starts with its command line", async () => {
    const keys = new Set((await commands()).map(commandKey));
    for (const [key, examples] of Object.entries(HELP_EXAMPLES)) {
      assert.ok(keys.has(key), `examples for "${key}", which is no command`);
      for (const example of examples) {
        assert.ok(example.command.startsWith("lilypad "), example.command);
        if (key !== "") assert.ok(`${example.command} `.startsWith(`lilypad ${key} `) || (key === "devnet" && example.command.startsWith("lilypad devnet")), `${key}: ${example.command}`);
      }
    }
  });

  it("every example parses: its command, flags and arguments are ones the CLI takes", async () => {
    for (const [key, examples] of Object.entries(HELP_EXAMPLES)) {
      for (const example of examples) {
        // The real tree with every action replaced: commander checks the flags, their values' presence and the
        // arguments, and nothing runs.
        const program = await buildProgram(capture().ctx);
        let ran: string | undefined;
        for (const command of allCommands(program)) command.action(() => void (ran = commandKey(command)));
        program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
        await program.parseAsync(words(example.command).slice(1), { from: "user" }).catch((error: unknown) => {
          assert.fail(`${key}: ${example.command}: ${String(error)}`);
        });
        assert.ok(ran !== undefined, `${example.command} runs no command`);
      }
    }
  });

  it("every command's --help shows its examples and the global flags", async () => {
    for (const command of await commands()) {
      const { ctx, out } = capture();
      const path = commandKey(command).split(" ").filter(Boolean);
      assert.equal(await main([...path, "--help"], ctx), 0, path.join(" "));
      const help = out();
      assert.match(help, /\nExamples:\n  # .+\n  \$ lilypad/, `lilypad ${path.join(" ")} --help`);
      for (const flag of ["--network", "--private-key", "--rpc-url", "--solver-url", "--verbose"]) {
        assert.ok(help.includes(flag), `lilypad ${path.join(" ")} --help lists ${flag}`);
      }
    }
  });

  it("the examples that need no network and no files run as written", { timeout: 120_000 }, async () => {
    const runnable = [
      "lilypad module inspect cowsay:v1",
      "lilypad module inspect ocr:v1 --json",
      "lilypad module run cowsay:v1 -i Message=hello",
      "lilypad module run compute:v1 -i N=1000 --json",
    ];
    const all = Object.values(HELP_EXAMPLES).flat().map((e) => e.command);
    for (const line of runnable) {
      assert.ok(all.includes(line), `"${line}" is one of the examples`);
      const { ctx, out, err } = capture();
      assert.equal(await main(words(line).slice(1), ctx), 0, `${line}\n${err()}`);
      assert.ok(out().length > 0, line);
    }
    const { ctx, out } = capture();
    await main(words("lilypad module run compute:v1 -i N=1000 --json").slice(1), ctx);
    assert.match(JSON.parse(out()).stdout, /168/, "168 primes below 1000");
  });
});
