// Drives the real `lilypad` binary as a child process: the dev chain over HTTP JSON-RPC, plus usage errors.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createPublicClient, http, parseEther } from "viem";
import { devAccount, DevAccountIndex } from "../../src/chain/devAccounts.ts";
import { lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
import { networkSchema } from "../../src/core/network.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(REPO, "bin", "lilypad.js");
const STARTUP_TIMEOUT_MS = 15_000;

const home = mkdtempSync(join(tmpdir(), "lilypad-cli-test-"));
const children = new Set<ChildProcess>();

function spawnLilypad(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, LILYPAD_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): { output: () => { stdout: string; stderr: string } } {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return { output: () => ({ stdout, stderr }) };
}

function exited(child: ChildProcess, output: () => { stdout: string; stderr: string }): Promise<Finished> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, ...output() });
    } else child.once("close", (code, signal) => resolve({ code, signal, ...output() }));
  });
}

async function runLilypad(args: string[]): Promise<Finished> {
  const child = spawnLilypad(args);
  const { output } = collect(child);
  return exited(child, output);
}

/** Resolves with the first complete line on the child's stdout. */
function firstStdoutLine(child: ChildProcess, output: () => { stdout: string; stderr: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no stdout line within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${output().stderr}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = () => {
      const { stdout } = output();
      const end = stdout.indexOf("\n");
      if (end >= 0) {
        cleanup();
        resolve(stdout.slice(0, end));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`lilypad exited (${code}) before printing; stderr:\n${output().stderr}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
    };
    // Registered after collect()'s listener, so output() already includes the chunk.
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

after(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

describe("lilypad devnet chain", () => {
  const networkFile = join(home, "networks-elsewhere", "devnet.json");
  let child: ChildProcess;
  let output: () => { stdout: string; stderr: string };
  let printed: Record<string, unknown>;

  before(async () => {
    child = spawnLilypad(["devnet", "chain", "--port", "0", "--json", "--network-file", networkFile]);
    ({ output } = collect(child));
    printed = JSON.parse(await firstStdoutLine(child, output)) as Record<string, unknown>;
  });

  it("prints the network as one JSON object and writes the same network file", () => {
    const network = networkSchema.parse(printed);
    assert.equal(network.chainId, 31337);
    assert.match(network.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(network.rpcUrl, "http://127.0.0.1:0", "port 0 is replaced by the real port");
    assert.equal(printed.networkFile, networkFile);
    assert.ok(existsSync(networkFile), "network file exists");
    const fromFile = networkSchema.parse(JSON.parse(readFileSync(networkFile, "utf8")));
    assert.deepEqual(fromFile, network);
    assert.ok(Array.isArray(printed.accounts));
  });

  it("keeps progress on stderr", () => {
    assert.match(output().stderr, /starting chain/);
    assert.match(output().stderr, /deploying contracts/);
    assert.equal(output().stdout.trim().split("\n").length, 1, "stdout holds only the JSON line");
  });

  it("serves JSON-RPC with the contracts deployed and dev accounts funded", async () => {
    const network = networkSchema.parse(printed);
    const response = await fetch(network.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { jsonrpc: "2.0", id: 1, result: "0x7a69" });

    const client = createPublicClient({ transport: http(network.rpcUrl, { retryCount: 0 }) });
    const balance = await client.readContract({
      address: network.contracts.token,
      abi: lilypadTokenAbi,
      functionName: "balanceOf",
      args: [devAccount(DevAccountIndex.solver).address],
    });
    assert.equal(balance, parseEther("1000000"));
  });

  it("closes cleanly and exits 0 on SIGTERM", async () => {
    const done = exited(child, output);
    child.kill("SIGTERM");
    const result = await done;
    assert.equal(result.signal, null, `stderr:\n${result.stderr}`);
    assert.equal(result.code, 0, `stderr:\n${result.stderr}`);
    assert.match(result.stderr, /chain stopped/);
  });
});

describe("lilypad usage", () => {
  it("--help lists the devnet command", async () => {
    const result = await runLilypad(["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\s+devnet\b/m);
  });

  it("rejects a non-numeric --port with an error naming the port", async () => {
    const result = await runLilypad(["devnet", "chain", "--port", "notaport"]);
    assert.notEqual(result.code, 0);
    assert.equal(result.code, 2, "invalid flag values are usage errors");
    assert.match(result.stderr, /^error: .*--port.*notaport/m);
    assert.equal(result.stdout, "");
  });

  it("exits 2 on an unknown command, with a one-line error and a hint", async () => {
    const result = await runLilypad(["nosuchcommand"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: unknown command 'nosuchcommand'$/m);
    assert.match(result.stderr, /lilypad --help/);
  });

  describe("with a port already taken", () => {
    let blocker: Server;
    let port: number;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const address = blocker.address();
      assert.ok(address && typeof address === "object");
      port = address.port;
    });
    after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it("fails with PORT_IN_USE and exits 1", async () => {
      const result = await runLilypad(["devnet", "chain", "--port", String(port), "--verbose"]);
      assert.equal(result.code, 1, `stderr:\n${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 is already in use$`, "m"));
      assert.match(result.stderr, /^code: PORT_IN_USE$/m);
      assert.match(result.stderr, /EADDRINUSE/);
    });
  });
});
