// deploy/lilypad-provider.service and docs/provider-guide.md name only flags the CLI accepts: each is read back from
// `lilypad --help` and `lilypad <command> --help`, as a user would.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { CliContext } from "../../src/cli/context.ts";
import { main } from "../../src/cli/main.ts";
import { parseResourceFlags } from "../../src/cli/resourceFlags.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const UNIT = readFileSync(join(REPO, "deploy", "lilypad-provider.service"), "utf8");
const GUIDE = readFileSync(join(REPO, "docs", "provider-guide.md"), "utf8");


/** What `lilypad <args> --help` prints. */
async function helpOf(args: readonly string[]): Promise<string> {
  let out = "";
  const ctx: CliContext = {
    stdout: (t) => (out += t),
    stderr: (t) => (out += t),
    env: {},
    homedir: "/nonexistent",
    cwd: REPO,
    waitForShutdown: () => new Promise(() => {}),
  };
  assert.equal(await main([...args, "--help"], ctx), 0, `lilypad ${args.join(" ")} --help`);
  return out;
}

/** The long flags a help text lists in its Options section. */
export function flagsInHelp(help: string): Set<string> {
  const options = help.slice(help.indexOf("Options:"));
  return new Set([...options.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1] ?? ""));
}

/** A unit's ExecStart, continuation lines joined: the words after the binary. */
export function execStartOf(unit: string): string[] {
  const joined = unit.replace(/\\\n\s*/g, " ");
  const line = /^ExecStart=(.*)$/m.exec(joined)?.[1];
  assert.ok(line, "the unit has an ExecStart");
  return line.trim().split(/\s+/);
}

/** The flags of `words` that `accepted` does not hold. */
export function unknownFlags(words: readonly string[], accepted: ReadonlySet<string>): string[] {
  return words.filter((w) => w.startsWith("--")).map((w) => w.split("=")[0] ?? w).filter((flag) => !accepted.has(flag));
}

/** `lilypad ...` commands in the guide's sh blocks, continuation lines joined, as [subcommand words, rest]. */
function guideCommands(markdown: string): string[][] {
  const commands: string[][] = [];
  for (const [, block = ""] of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of block.replace(/\\\n\s*/g, " ").split("\n")) {
      const at = line.search(/(^|[\s;'(])lilypad\s/);
      if (at < 0) continue;
      const words = line.slice(line.indexOf("lilypad", at)).replace(/['")].*$/, "").trim().split(/\s+/);
      commands.push(words.slice(1));
    }
  }
  return commands;
}

describe("the provider's systemd unit and guide", () => {
  let globalFlags: Set<string>;
  const commandFlags = new Map<string, Set<string>>();
  const acceptedBy = async (subcommand: string): Promise<Set<string>> => {
    let flags = commandFlags.get(subcommand);
    if (!flags) {
      flags = new Set([...globalFlags, ...flagsInHelp(await helpOf(subcommand ? [subcommand] : []))]);
      commandFlags.set(subcommand, flags);
    }
    return flags;
  };

  before(async () => {
    globalFlags = flagsInHelp(await helpOf([]));
    assert.ok(globalFlags.has("--network") && globalFlags.has("--private-key"), "global flags read from lilypad --help");
  });

  it("reads resource-provider's flags from its --help, the resource flags among them", async () => {
    const flags = await acceptedBy("resource-provider");
    for (const flag of ["--host", "--port", "--slots", "--cpu", "--ram", "--gpu", "--disk"]) assert.ok(flags.has(flag), flag);
  });

  it("the unit runs lilypad resource-provider with flags it accepts, and values they accept", async () => {
    const [binary, subcommand, ...rest] = execStartOf(UNIT);
    assert.equal(binary, "/usr/local/bin/lilypad");
    assert.equal(subcommand, "resource-provider");
    assert.deepEqual(unknownFlags(rest, await acceptedBy("resource-provider")), []);
    const valueOf = (flag: string) => {
      const i = rest.indexOf(flag);
      return i < 0 ? undefined : rest[i + 1];
    };
    parseResourceFlags({ cpu: valueOf("--cpu"), ram: valueOf("--ram"), gpu: valueOf("--gpu"), disk: valueOf("--disk") });
    assert.ok(!rest.includes("--private-key"), "the key comes from the environment file, not the command line");
  });

  it("the unit is complete: sections, its user, the key file, a home, restarts", () => {
    for (const section of ["[Unit]", "[Service]", "[Install]"]) assert.ok(UNIT.includes(`\n${section}\n`), section);
    assert.match(UNIT, /^User=lilypad$/m);
    assert.match(UNIT, /^EnvironmentFile=\/etc\/lilypad\/provider\.env$/m);
    assert.match(UNIT, /^Environment=LILYPAD_HOME=\/var\/lib\/lilypad$/m);
    assert.match(UNIT, /^Restart=on-failure$/m);
    assert.match(UNIT, /^WantedBy=multi-user\.target$/m);
    assert.doesNotMatch(UNIT, /^RestrictNamespaces=/m, "bubblewrap needs user namespaces");
  });

  it("every lilypad command in the guide uses flags its command accepts", async () => {
    const commands = guideCommands(GUIDE);
    assert.ok(commands.some(([sub]) => sub === "resource-provider"), "the guide runs resource-provider");
    for (const [subcommand = "", ...rest] of commands) {
      const known = subcommand.startsWith("-") ? "" : subcommand;
      const unknown = unknownFlags(subcommand.startsWith("-") ? [subcommand, ...rest] : rest, await acceptedBy(known));
      assert.deepEqual(unknown, [], `lilypad ${subcommand} ${rest.join(" ")}`);
    }
  });

  it("the checker catches a flag the CLI does not accept", async () => {
    const bogus = UNIT.replace("--slots 2", "--slots 2 --bogus-flag 1");
    assert.deepEqual(unknownFlags(execStartOf(bogus).slice(2), await acceptedBy("resource-provider")), ["--bogus-flag"]);
    assert.deepEqual(unknownFlags(["--slots", "2"], await acceptedBy("mediator")), ["--slots"]);
  });
});
