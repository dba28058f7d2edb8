// Runs Foundry's anvil as a child process serving JSON-RPC over HTTP on host:port, and stops it again: on close(),
// and with the parent however it ends.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { DevChainError, ListenError, PortInUseError } from "../core/errors.ts";
import { httpRequest, readBody } from "../net/httpRequest.ts";
import { resolveAnvilBinary } from "./resolveAnvilBinary.ts";

export interface SpawnAnvilParameters {
  /** Interface to serve JSON-RPC on; a name is resolved to its address, as anvil takes only IP addresses. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** anvil's chain options (chain id, accounts, hardfork...); host, port and --quiet are added here. */
  args: readonly string[];
  /** Give up when anvil does not answer JSON-RPC within this long (default 30 s). */
  startupTimeoutMs?: number;
}

export interface RunningAnvil {
  /** The JSON-RPC URL, with the real port, e.g. http://127.0.0.1:41234. */
  url: string;
  pid: number | undefined;
  /** Stops anvil (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
  close(): Promise<void>;
}

const STDERR_KEPT = 4096;
const POLL_MS = 10;
const KILL_AFTER_MS = 5_000;
/**
 * Runs "$@" (anvil and its arguments) and exits with its status; stops it with SIGTERM once stdin reaches its end.
 * Background jobs of a non-interactive shell read /dev/null, hence the copy of stdin on fd 3.
 */
const GUARD_SCRIPT = `exec 3<&0
"$@" &
chain=$!
{ while read -r _ <&3; do :; done; kill $chain 2>/dev/null; } &
watcher=$!
wait $chain
status=$?
kill $watcher 2>/dev/null
exit $status`;
/** A free port (port 0) can be taken by another process between the check and anvil's bind: try again. */
const FREE_PORT_ATTEMPTS = 3;

/** anvil's own words for a taken port, as a marker between launch() and spawnAnvil(). */
class AddressTakenError extends Error {}

/**
 * Starts anvil and resolves once it answers JSON-RPC. Binds host:port first, as a check that turns a taken port
 * or a bad address into PortInUseError or ListenError before anything is spawned; anvil exiting early is
 * reported with its stderr (DevChainError). anvil runs with --quiet: it would otherwise print a line per call.
 */
export async function spawnAnvil(params: SpawnAnvilParameters): Promise<RunningAnvil> {
  const binary = resolveAnvilBinary();
  for (let attempt = 1; ; attempt++) {
    const bound = await reserve(params.host, params.port);
    try {
      return await launch(binary, bound, params);
    } catch (error) {
      if (!(error instanceof AddressTakenError)) throw error;
      if (params.port !== 0) throw new PortInUseError({ host: params.host, port: params.port, cause: new Error(error.message) });
      if (attempt >= FREE_PORT_ATTEMPTS) throw new DevChainError({ reason: error.message });
    }
  }
}

/** Binds host:port briefly and releases it; resolves with the address and port anvil should use. */
async function reserve(host: string, port: number): Promise<{ address: string; port: number }> {
  return await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new PortInUseError({ host, port, cause: error }));
      else if (error.code === "EACCES") reject(new ListenError({ host, port, reason: "permission denied", cause: error }));
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") {
        reject(new ListenError({ host, port, reason: "no such local address", cause: error }));
      } else reject(new ListenError({ host, port, reason: error.code ?? error.message, cause: error }));
    });
    probe.listen({ host, port, exclusive: true }, () => {
      const { address, port: bound } = probe.address() as AddressInfo;
      probe.close(() => resolve({ address, port: bound }));
    });
  });
}

async function launch(binary: string, bound: { address: string; port: number }, params: SpawnAnvilParameters): Promise<RunningAnvil> {
  // LILYPAD_ANVIL_STEPS=1 records opcode steps for debug_traceTransaction (bench/profileGas.ts needs them).
  const steps = process.env.LILYPAD_ANVIL_STEPS ? ["--steps-tracing"] : [];
  const args = [...params.args, "--host", bound.address, "--port", String(bound.port), "--quiet", ...steps];
  // anvil runs in a process group of its own, so that a terminal's Ctrl-C reaches only this process, which stops
  // its roles while the chain still answers and then closes the chain. A small shell stands between: it stops anvil
  // when its stdin (a pipe from this process) closes, which happens however this process ends, even by SIGKILL.
  const child = spawn("/bin/sh", ["-c", GUARD_SCRIPT, "anvil-guard", binary, ...args], {
    stdio: ["pipe", "ignore", "pipe"],
    detached: true,
    windowsHide: true,
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (error) => {
      spawnError = error;
      resolve();
    });
    child.once("exit", () => resolve());
  });
  // On a normal exit, the group goes at once rather than when the shell notices its stdin close.
  const killOnExit = () => {
    killGroup(child, "SIGKILL");
  };
  process.on("exit", killOnExit);
  const close = async () => {
    process.off("exit", killOnExit);
    await stop(child, exited);
  };

  const host = bound.address.includes(":") ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}`;
  const timeoutMs = params.startupTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError || isDone(child)) {
      await close();
      throw exitError(params, bound, child, stderr, spawnError);
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      await close();
      throw new DevChainError({ reason: `no JSON-RPC answer on ${url} within ${timeoutMs} ms` });
    }
    await Promise.race([sleep(POLL_MS), exited]);
  }
  return { url, pid: child.pid, close };
}

function isDone(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || isDone(child)) return;
  child.stdin?.end();
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), KILL_AFTER_MS);
  await exited;
  clearTimeout(timer);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || isDone(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Whether anvil answers a JSON-RPC call at `url` yet. */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const reply = JSON.parse(await readBody(response, 4096)) as { result?: unknown };
    return response.statusCode === 200 && typeof reply.result === "string";
  } catch {
    return false;
  }
}

/** Why anvil stopped before it answered, from its stderr (e.g. "Error: Address already in use (os error 98)"). */
function exitError(params: SpawnAnvilParameters, bound: { address: string; port: number }, child: ChildProcess, stderr: string, spawnError?: Error): Error {
  if (spawnError) return new DevChainError({ reason: spawnError.message, cause: spawnError });
  const said = stderr.trim();
  const cause = new Error(said || `anvil exited with ${child.exitCode ?? child.signalCode}`);
  if (/address already in use/i.test(said)) return new AddressTakenError(said);
  if (/cannot assign requested address/i.test(said)) return new ListenError({ host: params.host, port: params.port, reason: "no such local address", cause });
  if (/permission denied/i.test(said)) return new ListenError({ host: params.host, port: params.port, reason: "permission denied", cause });
  const lines = said.split("\n").map((line) => line.trim()).filter(Boolean);
  const line = lines.find((l) => /^error\b/i.test(l)) ?? lines.at(-1);
  return new DevChainError({
    reason: line ?? `anvil exited with ${child.exitCode === null ? `signal ${child.signalCode}` : `code ${child.exitCode}`} on ${bound.address}:${bound.port}`,
    cause,
  });
}
