// The README's "Using it" block, line by line and exactly as written, from a plain shell in the checkout: the
// system's PATH (no node_modules/.bin, so `node` is the machine's, 20 here) and an npm cache that never saw this
// folder. `npx lilypad devnet` runs in the background on its default ports; every other line then goes through it.
import assert from "node:assert/strict";
import { exec, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execAsync = promisify(exec);
const repo = fileURLToPath(new URL("../../", import.meta.url));

async function readmeUsingLines(): Promise<string[]> {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Using it"));
  const block = /```sh\n([^`]+)```/.exec(section)?.[1];
  assert.ok(block, "the Using it section opens with a sh code block");
  // Joined continuation lines; comments dropped.
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

describe("the README's Using it block, from a plain shell", { timeout: 10 * 60_000 }, () => {
  let userHome: string;
  let env: NodeJS.ProcessEnv;
  let devnet: ReturnType<typeof spawn>;
  let devnetOutput = "";
  let lines: string[];

  before(async () => {
    lines = await readmeUsingLines();
    assert.equal(lines[0], "npx lilypad devnet");
    userHome = await mkdtemp(join(tmpdir(), "lilypad-user-"));
    env = { HOME: userHome, PATH: "/usr/local/bin:/usr/bin:/bin", LILYPAD_HOME: join(userHome, ".lilypad") };
    // Its own process group, so that "Ctrl-C" below reaches every process in it, as a terminal's does.
    devnet = spawn("sh", ["-c", `exec ${lines[0]}`], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    devnet.stdout!.on("data", (d: Buffer) => (devnetOutput += d.toString()));
    devnet.stderr!.on("data", (d: Buffer) => (devnetOutput += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`devnet not ready in 180 s:\n${devnetOutput}`)), 180_000);
      const check = () => {
        if (devnetOutput.includes("devnet ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      devnet.stderr!.on("data", check);
      devnet.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`devnet exited with ${code}:\n${devnetOutput}`));
      });
    });
  });

  after(async () => {
    if (devnet && devnet.exitCode === null && devnet.signalCode === null) {
      process.kill(-devnet.pid!, "SIGKILL");
      await new Promise((resolve) => devnet.once("exit", resolve));
    }
    await rm(userHome, { recursive: true, force: true });
  });

  it("every line works, and Ctrl-C stops the devnet cleanly", async () => {
    for (const line of lines.slice(1)) {
      const { stdout, stderr } = await execAsync(line, { cwd: repo, env, timeout: 120_000 }).catch((error: { stdout: string; stderr: string; code: number }) =>
        assert.fail(`\`${line}\` failed (exit ${error.code}):\n${error.stderr}${error.stdout}`),
      );
      if (line.includes("Message=hello")) assert.match(stdout, /< hello >/, stderr);
      // With a mediation chance the job may be re-run by the mediator, who finds for the honest provider.
      if (line.includes("--json")) assert.match((JSON.parse(stdout) as { outcome: string }).outcome, /^(accepted|mediator: provider right)$/);
      if (line.startsWith("npx lilypad jobs list")) assert.match(stdout, /^DEAL +MODULE +STATUS[^]*\n0x[0-9a-f]{64} +cowsay:v1 +closed/);
      // Every job above was judged: nothing of the user's is overdue.
      if (line.startsWith("npx lilypad jobs finalize")) assert.equal(stdout, "no overdue deals to finalize\n");
      if (line.startsWith("npx lilypad balance")) assert.match(stdout + stderr, /available/);
      if (line.startsWith("curl")) assert.match(stdout, /"(jobId|dealId|id)"/);
    }
    process.kill(-devnet.pid!, "SIGINT");
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => devnet.once("exit", (c, s) => resolve([c, s])));
    // npx, like a shell, ends by the signal it was sent; lilypad itself closed every role and said so.
    assert.ok(code === 0 || signal === "SIGINT", `exit ${code} ${signal}`);
    assert.match(devnetOutput, /devnet stopped/);
    const { stdout: left } = await execAsync("ps -eo args").catch(() => ({ stdout: "" }));
    assert.doesNotMatch(left, /anvil .*--port 8545/, "no chain node left behind");
  });
});
