// A small network of test hosts for running lilypad's roles as if on separate machines: one Linux network namespace
// per host, each with one veth link to a bridge in a "switch" namespace of its own (10.77.0.0/24), so the hosts
// reach each other only over that link and nothing is added to the root namespace (two runs never see each other's
// hosts). Where namespaces cannot be made (not root, no `ip`, a kernel or container that refuses), the hosts are
// distinct loopback addresses (127.0.0.11, .12, ...) of this machine instead, and `mode` says so.
//
// Every host has its own folder (its LILYPAD_HOME: keys' state, block store, work folder). Processes run in their
// own process group, so stopping one stops the sandbox children it started too.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const LILYPAD = join(REPO, "bin", "lilypad.js");
/** Names of namespaces this helper makes: `lpmh<pid>-<host>` (and `lpmh<pid>-sw`, the switch). */
const NAMESPACE_PREFIX = "lpmh";
const SUBNET = "10.77.0";

export interface Host {
  name: string;
  /** The address other hosts reach it at. */
  ip: string;
  /** Its network namespace (netns mode only). */
  namespace?: string;
  /** Its LILYPAD_HOME, and the working directory of what runs there. */
  home: string;
}

export interface HostProcess {
  name: string;
  host: Host;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  alive(): boolean;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
  /** Resolves with the match once `stream` matches; rejects with the process's output if it exits first or `ms` pass. */
  waitFor(pattern: RegExp, ms: number, stream?: "stdout" | "stderr"): Promise<RegExpExecArray>;
  /** SIGKILLs its process group and waits for it to exit. */
  kill(): Promise<void>;
}

export interface ExecResult {
  code: number | string;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Testbed {
  mode: "netns" | "loopback";
  /** Why the testbed fell back to loopback addresses, when it did. */
  fallbackReason?: string;
  hosts: Record<string, Host>;
  /** A port for a server on `host`: fixed in netns mode (each host has all its ports), a free one otherwise. */
  port(host: Host, preferred: number): Promise<number>;
  /** Starts `lilypad ...args` on `host`. */
  spawnLilypad(host: Host, name: string, args: string[]): HostProcess;
  /** Starts `node ...args` on `host` (a script of the test's own). */
  spawnNode(host: Host, name: string, args: string[]): HostProcess;
  /** Runs `lilypad ...args` on `host` to the end; rejects with its output when it takes longer than `ms`. */
  lilypad(host: Host, args: string[], ms: number): Promise<ExecResult>;
  /** Runs `node ...args` on `host` to the end, as `lilypad` does. */
  node(host: Host, args: string[], ms: number): Promise<ExecResult>;
  /** The last lines of every process started, for a failure message. */
  diagnostics(lines?: number): string;
  /** Kills every process started and removes the namespaces. */
  close(): Promise<void>;
}

export interface CreateTestbedParameters {
  /** The hosts, in order: the first is 10.77.0.1 (or 127.0.0.11). */
  names: string[];
  /** A folder for the hosts' homes. */
  root: string;
  /** Make loopback hosts even where namespaces would work. */
  forceLoopback?: boolean;
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

async function ip(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("ip", args, { timeout: 15_000 });
  return stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Deletes the namespaces (and kills what runs in them) of earlier runs whose process is gone. */
async function removeLeftovers(): Promise<void> {
  const listed = await ip(["netns", "list"]).catch(() => "");
  for (const line of listed.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const owner = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`).exec(name);
    if (!owner || pidAlive(Number(owner[1]))) continue;
    await deleteNamespace(name);
  }
}

async function deleteNamespace(name: string): Promise<void> {
  const pids = await ip(["netns", "pids", name]).catch(() => "");
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone
    }
  }
  // Its veth goes with it, and so does its peer on the switch.
  await ip(["netns", "del", name]).catch(() => undefined);
}

async function makeNamespaces(prefix: string, names: string[]): Promise<string[]> {
  const made: string[] = [];
  try {
    const sw = `${prefix}-sw`;
    await ip(["netns", "add", sw]);
    made.push(sw);
    await ip(["-n", sw, "link", "set", "lo", "up"]);
    await ip(["-n", sw, "link", "add", "br0", "type", "bridge"]);
    await ip(["-n", sw, "link", "set", "br0", "up"]);
    for (const [i, name] of names.entries()) {
      const ns = `${prefix}-${name}`;
      await ip(["netns", "add", ns]);
      made.push(ns);
      // Both ends are made where they live: nothing touches the root namespace.
      await ip(["link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", `p${i}`, "netns", sw]);
      await ip(["-n", sw, "link", "set", `p${i}`, "master", "br0"]);
      await ip(["-n", sw, "link", "set", `p${i}`, "up"]);
      await ip(["-n", ns, "addr", "add", `${SUBNET}.${i + 1}/24`, "dev", "eth0"]);
      await ip(["-n", ns, "link", "set", "eth0", "up"]);
      await ip(["-n", ns, "link", "set", "lo", "up"]);
    }
    return made;
  } catch (error) {
    for (const ns of made.reverse()) await deleteNamespace(ns);
    throw error;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The environment of a process on a host: this one's, without LILYPAD_* and the test runner's variables. */
function hostEnv(host: Host): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("LILYPAD_") && key !== "NODE_TEST_CONTEXT") env[key] = value;
  env.LILYPAD_HOME = host.home;
  return env;
}

export async function createTestbed(params: CreateTestbedParameters): Promise<Testbed> {
  const prefix = `${NAMESPACE_PREFIX}${process.pid}`;
  let mode: Testbed["mode"] = "loopback";
  let fallbackReason: string | undefined;
  let namespaces: string[] = [];
  if (params.forceLoopback) fallbackReason = "loopback hosts were asked for";
  else if (process.platform !== "linux") fallbackReason = `network namespaces are Linux only (this is ${process.platform})`;
  else if (process.getuid?.() !== 0) fallbackReason = "not root: cannot create network namespaces";
  else {
    try {
      await removeLeftovers();
      namespaces = await makeNamespaces(prefix, params.names);
      mode = "netns";
    } catch (error) {
      fallbackReason = `creating network namespaces failed: ${String((error as Error).message ?? error).split("\n")[0]}`;
    }
  }

  const hosts: Record<string, Host> = {};
  for (const [i, name] of params.names.entries()) {
    const home = join(params.root, name);
    mkdirSync(home, { recursive: true });
    hosts[name] = mode === "netns" ? { name, ip: `${SUBNET}.${i + 1}`, namespace: `${prefix}-${name}`, home } : { name, ip: `127.0.0.${11 + i}`, home };
  }

  const started = new Set<HostProcess>();

  const spawnOn = (host: Host, name: string, command: string[]): HostProcess => {
    // nsenter, not `ip netns exec`: that one also mounts the namespace's own /sys, which hides the cgroup file systems
    // a provider's podman needs (runc: "no cgroup mount found"). nsenter execs the command after entering the
    // network namespace: the child's pid (and process group) is the command's.
    const [file, ...args] = host.namespace ? ["nsenter", `--net=/run/netns/${host.namespace}`, "--", ...command] : command;
    const child = spawn(file!, args, { cwd: host.home, env: hostEnv(host), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    let exitedWith: number | string | undefined;
    const watchers = new Set<() => void>();
    const notify = () => {
      for (const watcher of [...watchers]) watcher();
    };
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      out += chunk;
      notify();
    });
    child.stderr?.on("data", (chunk: string) => {
      err += chunk;
      notify();
    });
    const exited = new Promise<number | string>((resolve) => {
      const gone = (how: number | string) => {
        if (exitedWith !== undefined) return;
        exitedWith = how;
        notify();
        resolve(how);
      };
      // "close": the process exited and its pipes are drained, so stdout() is complete.
      child.once("close", (code, signal) => gone(signal ?? code ?? "unknown"));
      child.once("error", (error) => {
        err += `spawn failed: ${error.message}\n`;
        gone(`spawn error: ${error.message}`);
      });
    });
    const proc: HostProcess = {
      name,
      host,
      child,
      stdout: () => out,
      stderr: () => err,
      alive: () => exitedWith === undefined,
      exited,
      waitFor: (pattern, ms, stream = "stderr") =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const describe = () => `--- ${name} on ${host.name} (${host.ip}) stderr:\n${tail(err)}\n--- stdout:\n${tail(out, 10)}`;
          const timer = setTimeout(() => settle(() => reject(new Error(`${name} did not print ${pattern} within ${ms} ms\n${describe()}`))), ms);
          const check = () => {
            const match = pattern.exec(stream === "stderr" ? err : out);
            if (match) settle(() => resolve(match));
            else if (exitedWith !== undefined) settle(() => reject(new Error(`${name} exited (${exitedWith}) before printing ${pattern}\n${describe()}`)));
          };
          const settle = (done: () => void) => {
            clearTimeout(timer);
            watchers.delete(check);
            done();
          };
          watchers.add(check);
          check();
        }),
      kill: async () => {
        if (exitedWith === undefined && child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            child.kill("SIGKILL");
          }
        }
        await exited;
      },
    };
    started.add(proc);
    return proc;
  };

  const runToEnd = async (proc: HostProcess, ms: number): Promise<ExecResult> => {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
    const code = await Promise.race([proc.exited, timedOut]);
    clearTimeout(timer);
    if (code === "timeout") {
      await proc.kill();
      throw new Error(`${proc.name} on ${proc.host.name} did not finish within ${ms} ms\n--- stderr:\n${tail(proc.stderr())}\n--- stdout:\n${tail(proc.stdout())}`);
    }
    return { code, stdout: proc.stdout(), stderr: proc.stderr(), ms: performance.now() - t0 };
  };

  let runs = 0;
  const testbed: Testbed = {
    mode,
    fallbackReason,
    hosts,
    port: (host, preferred) => (mode === "netns" ? Promise.resolve(preferred) : freePort(host.ip)),
    spawnLilypad: (host, name, args) => spawnOn(host, name, [process.execPath, LILYPAD, ...args]),
    spawnNode: (host, name, args) => spawnOn(host, name, [process.execPath, ...args]),
    lilypad: (host, args, ms) => runToEnd(spawnOn(host, `lilypad ${args[0] ?? ""} #${++runs}`, [process.execPath, LILYPAD, ...args]), ms),
    node: (host, args, ms) => runToEnd(spawnOn(host, `node #${++runs}`, [process.execPath, ...args]), ms),
    diagnostics: (lines = 25) =>
      [...started]
        .filter((p) => !p.name.startsWith("lilypad ") || p.alive() || p.stderr().includes("error"))
        .map((p) => `---- ${p.name} on ${p.host.name} (${p.host.ip}, ${p.alive() ? "running" : "exited"}) ----\n${tail(p.stderr(), lines)}\n${tail(p.stdout(), 5)}`)
        .join("\n"),
    close: async () => {
      await Promise.all([...started].map((p) => p.kill()));
      for (const ns of [...namespaces].reverse()) await deleteNamespace(ns);
      namespaces = [];
    },
  };
  // If the test process ends without closing the testbed, its process groups and namespaces go with it.
  process.once("exit", () => {
    for (const p of started) {
      if (!p.alive() || p.child.pid === undefined) continue;
      try {
        process.kill(-p.child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    for (const ns of [...namespaces].reverse()) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore", timeout: 5000 });
      } catch {
        // gone
      }
    }
  });
  return testbed;
}
