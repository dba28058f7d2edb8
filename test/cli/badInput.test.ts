// Every command given bad input: an unknown flag, a bad value, a missing argument, a malformed deal id, address or
// number. Each must exit 2 (usage) with one `error:` line and one `hint:` line, never "unexpected internal error"
// and never a stack trace; and a network that is down must give exit 4 and a sentence naming what did not answer.
// The commands are walked from the real tree (buildProgram): a command added without a case here fails the test.
// Commands that need a network get --network naming a network file whose chain and solver are closed ports: what
// they are given must be refused before anything is dialled.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CliContext } from "../../src/cli/context.ts";
import { commandKey } from "../../src/cli/helpExamples.ts";
import { allCommands, buildProgram, main } from "../../src/cli/main.ts";

/** One bad invocation: its arguments (DOWN stands for the down network's file), and what stderr must say. */
interface Case {
  argv: string[];
  says: RegExp;
}

const DOWN = "<down network file>";
const DEAL = `0x${"ab".repeat(32)}`;
const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const NET = ["--network", DOWN];

/** Bad usage, by command path; every command also gets an unknown flag, generated below. */
const USAGE: Record<string, Case[]> = {
  "": [
    { argv: ["nosuch"], says: /unknown command 'nosuch'/ },
    { argv: ["--network"], says: /option '--network <name\|file>' argument missing/ },
    { argv: ["balance", "--private-key", "0x12"], says: /privateKey: must be 0x followed by 64 hex digits/ },
    { argv: ["balance", "--rpc-url", "not a url"], says: /rpcUrl/ },
    { argv: ["balance", "--log-level", "loud"], says: /logLevel/ },
    { argv: ["balance", "--network", "nosuch"], says: /no network "nosuch"/ },
    { argv: ["balance", "--config", "./nosuch.json"], says: /no config file at/ },
  ],
  devnet: [{ argv: ["devnet", "--providers", "9"], says: /--providers|must be 1-4/ }],
  "devnet start": [
    { argv: ["devnet", "start", "--providers", "two"], says: /must be 1-4/ },
    { argv: ["devnet", "start", "--port", "70000"], says: /must be 0-65535/ },
    { argv: ["devnet", "start", "--solver-port", "x"], says: /must be 0-65535/ },
    { argv: ["devnet", "start", "--dashboard-port", "-5"], says: /must be 0-65535/ },
  ],
  "devnet chain": [
    { argv: ["devnet", "chain", "--port", "abc"], says: /port/ },
    { argv: ["devnet", "chain", "--port", "-1"], says: /port|unknown option/ },
  ],
  module: [{ argv: ["module", "nosuch"], says: /unknown command 'nosuch'/ }],
  "module init": [
    { argv: ["module", "init"], says: /missing required argument 'dir'/ },
    { argv: ["module", "init", "x", "--lang", "go"], says: /unknown language "go"/ },
    { argv: ["module", "init", "Bad Name"], says: /cannot be a module name/ },
  ],
  "module list": [{ argv: ["module", "list", "extra"], says: /too many arguments for 'list'/ }],
  "module build": [
    { argv: ["module", "build"], says: /missing required argument 'dir'/ },
    { argv: ["module", "build", "./no-such-folder"], says: /there is no such folder/ },
  ],
  "module run": [
    { argv: ["module", "run"], says: /missing required argument 'module'/ },
    { argv: ["module", "run", "cowsay:v1", "-i", "Message"], says: /input "Message" is not Key=Value/ },
    { argv: ["module", "run", "cowsay:v1", "-i", "Mesage=hi"], says: /input "Mesage": cowsay:v1 has no such input/ },
    { argv: ["module", "run", "cowsay:v1", "-i", `Message=${"x".repeat(1001)}`], says: /is 1001 characters long/ },
    { argv: ["module", "run", "compute:v1", "-i", "N=three"], says: /input "N": must be an integer, got "three"/ },
    { argv: ["module", "run", "compute:v1", "-i", "N=0"], says: /input "N": must be between 1 and/ },
    { argv: ["module", "run", "ocr:v1"], says: /input "Image": is required/ },
    { argv: ["module", "run", "ocr:v1", "-i", "Image=NO_SUCH_FILE"], says: /input "Image": no such file/ },
    { argv: ["module", "run", "ocr:v1", "-i", "Image=HUGE_FILE"], says: /input "Image": .*huge\.png is \d+ bytes/ },
    { argv: ["module", "run", "nosuch:v1"], says: /no module "nosuch:v1"/ },
    { argv: ["module", "run", "Cowsay:v1"], says: /not a module name/ },
    { argv: ["module", "run", "alice/cowsay:v1"], says: /"alice" is not a publisher address/ },
  ],
  "module inspect": [
    { argv: ["module", "inspect"], says: /missing required argument 'module'/ },
    { argv: ["module", "inspect", "nosuch:v1"], says: /no module "nosuch:v1"/ },
    { argv: ["module", "inspect", "0x1234/sheep:v1"], says: /"0x1234" is not a publisher address/ },
  ],
  "module publish": [
    { argv: ["module", "publish"], says: /missing required argument 'module'/ },
    { argv: ["module", "publish", "cowsay:v1", "--network-file", "./nosuch.json"], says: /no network file at/ },
    { argv: ["module", "publish", "cowsay:v1", ...NET, "--dev-account", "x"], says: /--dev-account must be an integer, got x/ },
  ],
  run: [
    { argv: ["run"], says: /missing required argument 'module'/ },
    { argv: ["run", "cowsay:v1", "-i", "Message"], says: /is not Key=Value/ },
    { argv: ["run", "cowsay:v1", "--mediation-chance", "2"], says: /must be a number from 0 to 1/ },
    { argv: ["run", "cowsay:v1", "--target", "0x12"], says: /must be a 0x-prefixed address/ },
    { argv: ["run", "cowsay:v1", "--result-timeout", "5"], says: /must be a whole number of seconds/ },
    { argv: ["run", "Cowsay:v1"], says: /not a module name/ },
    // Refused before the (down) network is needed: the inputs are checked against the manifest first.
    { argv: ["run", "cowsay:v1", ...NET, "-i", "Mesage=hi"], says: /input "Mesage": cowsay:v1 has no such input/ },
    { argv: ["run", "nosuch:v1", ...NET], says: /no module "nosuch:v1"/ },
    { argv: ["run", "ocr:v1", ...NET], says: /input "Image": is required/ },
    { argv: ["run", "ocr:v1", "-i", "Image=HUGE_FILE", ...NET], says: /input "Image": .*huge\.png is \d+ bytes/ },
    { argv: ["run", "compute:v1", "-i", "N=1.5", ...NET], says: /input "N": must be an integer, got "1.5"/ },
    { argv: ["run", "cowsay:v1", "one", "two", ...NET], says: /only one input may be given without a key/ },
    { argv: ["run", "cowsay:v1", "hi", "-i", "Message=hi", ...NET], says: /input "Message" is given twice/ },
  ],
  solver: [
    { argv: ["solver", ...NET, "--port", "99999"], says: /--port|must be 0-65535/ },
    { argv: ["solver", ...NET, "--public-url", "not a url"], says: /public-url|URL/i },
  ],
  "resource-provider": [
    { argv: ["resource-provider", "--gpu", "two"], says: /--gpu.*whole number|whole number/ },
    { argv: ["resource-provider", ...NET, "--slots", "0"], says: /must be a whole number >= 1/ },
    { argv: ["resource-provider", ...NET, "--collateral-multiple", "x"], says: /must be a whole number >= 1/ },
    { argv: ["resource-provider", ...NET, "--mediators", "0x12"], says: /"0x12" is not valid/ },
  ],
  mediator: [{ argv: ["mediator", ...NET, "--port", "x"], says: /must be 0-65535/ }],
  jobcreator: [
    { argv: ["jobcreator", ...NET, "--mediation-chance", "-1"], says: /must be a number from 0 to 1|unknown option/ },
    { argv: ["jobcreator", ...NET, "--metrics-port", "70000"], says: /--metrics-port|must be 0-65535/ },
  ],
  gateway: [{ argv: ["gateway", ...NET, "--port", "65536"], says: /must be 0-65535/ }],
  dashboard: [
    { argv: ["dashboard", ...NET, "--port", "http"], says: /must be 0-65535/ },
    { argv: ["indexer", ...NET, "--port", "1e9"], says: /must be 0-65535/ },
  ],
  balance: [{ argv: ["balance", "5"], says: /too many arguments/ }],
  deposit: [
    { argv: ["deposit"], says: /missing required argument 'amount'/ },
    { argv: ["deposit", "ten", ...NET], says: /"ten" is not an amount of tokens/ },
    { argv: ["deposit", "0", ...NET], says: /the amount must be positive/ },
  ],
  withdraw: [
    { argv: ["withdraw"], says: /missing required argument 'amount'/ },
    { argv: ["withdraw", "1e", ...NET], says: /is not an amount of tokens/ },
  ],
  jobs: [{ argv: ["jobs", "nosuch"], says: /unknown command 'nosuch'/ }],
  "jobs list": [
    { argv: ["jobs", "list", "--limit", "0"], says: /--limit must be a whole number from 1 to 1000/ },
    { argv: ["jobs", "list", "--limit", "many"], says: /--limit must be a whole number from 1 to 1000/ },
    { argv: ["jobs", "list", "--since", "yesterday-ish", ...NET], says: /--since/ },
    { argv: ["jobs", "list", "--status", "sleeping", ...NET], says: /--status/ },
  ],
  "jobs show": [
    { argv: ["jobs", "show"], says: /missing required argument 'deal-id'/ },
    { argv: ["jobs", "show", "0x12", ...NET], says: /a deal id is 0x followed by 64 hex digits/ },
  ],
  "jobs logs": [{ argv: ["jobs", "logs", "12", ...NET], says: /a deal id is 0x followed by 64 hex digits/ }],
  "jobs get": [
    { argv: ["jobs", "get"], says: /missing required argument 'deal-id'/ },
    { argv: ["jobs", "get", "0x12", ...NET], says: /a deal id is 0x followed by 64 hex digits/ },
  ],
  "jobs finalize": [{ argv: ["jobs", "finalize", `${DEAL}00`, ...NET], says: /a deal id is 0x followed by 64 hex digits/ }],
  "jobs revoke": [
    { argv: ["jobs", "revoke"], says: /name a job by its deal id, or a lane with --lane/ },
    { argv: ["jobs", "revoke", DEAL, "--lane", "1"], says: /name a job by its deal id, or a lane with --lane/ },
    { argv: ["jobs", "revoke", "--lane", "-1", ...NET], says: /must be a whole number from 0 to 4294967295|argument missing/ },
    { argv: ["jobs", "revoke", "--lane", "x", ...NET], says: /must be a whole number from 0 to 4294967295/ },
  ],
  deploy: [
    { argv: ["deploy"], says: /deploy needs the chain's JSON-RPC URL/ },
    { argv: ["deploy", "--rpc-url", "http://127.0.0.1:1"], says: /deploy needs the deployer's key/ },
    { argv: ["deploy", "--rpc-url", "http://127.0.0.1:1", "--private-key", `0x${"11".repeat(32)}`, "--confirmations", "x"], says: /--confirmations must be a whole number/ },
    { argv: ["deploy", "--rpc-url", "http://127.0.0.1:1", "--private-key", `0x${"11".repeat(32)}`, "--name", "bad name"], says: /is not a network name/ },
  ],
  faucet: [
    { argv: ["faucet", "0x12", ...NET], says: /"0x12" is not an address/ },
    { argv: ["faucet", ...NET, "--amount", "lots"], says: /--amount: "lots" is not an amount/ },
    { argv: ["faucet", ...NET, "--amount", "0", "--gas", "0"], says: /nothing to send/ },
  ],
};

/**
 * A network that is down: exit 4 (the arguments are right; the chain or solver did not answer) and a sentence naming
 * what did not answer, with what to do. A network with no contracts deployed is exit 1.
 */
const UNDEPLOYED: Case = { argv: ["module", "publish", "cowsay:v1", "--network", "arbitrum-sepolia", "--dev-account", "5"], says: /^error: network arbitrum-sepolia .* has no contracts deployed yet/m };
const DOWN_CASES: Case[] = [
  { argv: ["balance", ...NET], says: /^error: cannot reach the chain at http:\/\/127\.0\.0\.1:\d+ \(network .*down\.json\): .*ECONNREFUSED/m },
  { argv: ["jobs", "finalize", ...NET], says: /^error: cannot reach the chain at http:\/\/127\.0\.0\.1:\d+/m },
  { argv: ["jobs", "list", ...NET], says: /^error: cannot reach the solver at http:\/\/127\.0\.0\.1:\d+/m },
  { argv: ["jobs", "show", DEAL, ...NET], says: /^error: cannot reach the solver at/m },
  { argv: ["run", "cowsay:v1", "-i", "Message=hi", ...NET], says: /^error: cannot reach the chain at/m },
  { argv: ["faucet", ...NET], says: /^error: cannot reach the chain at/m },
  { argv: ["module", "publish", "cowsay:v1", "--network-file", DOWN, "--dev-account", "5"], says: /^error: cannot reach the chain at http:\/\/127\.0\.0\.1:\d+/m },
  { argv: ["deploy", "--rpc-url", "CLOSED", "--private-key", `0x${"11".repeat(32)}`], says: /^error: cannot reach the chain at http:\/\/127\.0\.0\.1:\d+/m },
];

let root: string;
let downFile: string;
let closedUrl: string;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "lilypad-badinput-"));
  await mkdir(join(root, "home"));
  closedUrl = `http://127.0.0.1:${await closedPort()}`;
  downFile = join(root, "down.json");
  await writeFile(
    downFile,
    JSON.stringify({
      name: "down",
      chainId: 31337,
      rpcUrl: closedUrl,
      solverUrl: `http://127.0.0.1:${await closedPort()}`,
      mediators: [ADDRESS],
      deployBlock: 0,
      contracts: { token: ADDRESS, market: ADDRESS, serviceRegistry: ADDRESS, jobCreator: ADDRESS },
    }),
  );
  // Over ocr's 16 MiB maxBytes, and sparse: nothing is written.
  await writeFile(join(root, "huge.png"), "");
  await truncate(join(root, "huge.png"), 17 << 20);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function lilypad(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const ctx: CliContext = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    // Nothing from the machine's environment: no key, no network, no LILYPAD_HOME but this one.
    env: { LILYPAD_HOME: join(root, "home") },
    homedir: root,
    cwd: root,
    waitForShutdown: () => new Promise(() => {}),
  };
  // Placeholders for what exists only once the test runs (file inputs are given as absolute paths: a file input's
  // path is resolved from the process's working directory, and this test runs in-process).
  const places: Record<string, string> = { [DOWN]: downFile, CLOSED: closedUrl, "Image=NO_SUCH_FILE": `Image=${join(root, "no-such.png")}`, "Image=HUGE_FILE": `Image=${join(root, "huge.png")}` };
  const args = argv.map((a) => places[a] ?? a);
  const code = await main(args, ctx);
  return { code, stdout, stderr };
}

/** One `error:` line, one `hint:` line, nothing internal. */
function assertOneClearError(stderr: string, what: string): void {
  const lines = stderr.split("\n");
  assert.equal(lines.filter((l) => l.startsWith("error: ")).length, 1, `${what}: one error line\n${stderr}`);
  assert.equal(lines.filter((l) => l.startsWith("hint: ")).length, 1, `${what}: one hint line\n${stderr}`);
  assert.doesNotMatch(stderr, /unexpected internal error/, what);
  assert.doesNotMatch(stderr, /^\s+at .+[(:]\d+/m, `${what}: no stack trace`);
  assert.doesNotMatch(stderr, /TypeError|ReferenceError|ZodError/, what);
}

const show = (argv: string[]) => `lilypad ${argv.join(" ")}`.slice(0, 160);

describe("every command, given bad input", { timeout: 5 * 60_000 }, () => {
  it("has cases here (add them for a new command)", async () => {
    const keys = allCommands(await buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, homedir: "/", cwd: "/", waitForShutdown: () => new Promise(() => {}) })).map(commandKey);
    const missing = keys.filter((k) => !USAGE[k]?.length);
    assert.deepEqual(missing, [], `commands without a bad-input case in test/cli/badInput.test.ts: ${missing.join(", ")}`);
    const stale = Object.keys(USAGE).filter((k) => !keys.includes(k));
    assert.deepEqual(stale, [], "cases for commands that no longer exist");
  });

  it("an unknown flag: exit 2, with the help hint", async () => {
    const keys = allCommands(await buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, homedir: "/", cwd: "/", waitForShutdown: () => new Promise(() => {}) })).map(commandKey);
    for (const key of keys) {
      const argv = [...key.split(" ").filter(Boolean), "--no-such-flag"];
      const { code, stderr } = await lilypad(argv);
      assert.equal(code, 2, `${show(argv)}\n${stderr}`);
      assert.match(stderr, /^error: unknown option '--no-such-flag'$/m, show(argv));
      assertOneClearError(stderr, show(argv));
    }
  });

  for (const [key, cases] of Object.entries(USAGE)) {
    it(`lilypad ${key}`.trimEnd() + ": exit 2, one error line naming the problem and a hint", async () => {
      for (const { argv, says } of cases) {
        const { code, stdout, stderr } = await lilypad(argv);
        assert.equal(code, 2, `${show(argv)}: exit ${code}\n${stderr}`);
        assert.match(stderr, says, show(argv));
        assertOneClearError(stderr, show(argv));
        assert.equal(stdout, "", `${show(argv)} prints nothing on stdout`);
      }
    });
  }

  it("a network that is down: exit 4, naming what did not answer, with a hint; one not deployed: exit 1", async () => {
    for (const [{ argv, says }, exit] of [...DOWN_CASES.map((c) => [c, 4] as const), [UNDEPLOYED, 1] as const]) {
      const { code, stderr } = await lilypad(argv);
      assert.equal(code, exit, `${show(argv)}: exit ${code}\n${stderr}`);
      assert.match(stderr, says, show(argv));
      assertOneClearError(stderr, show(argv));
    }
  });
});
