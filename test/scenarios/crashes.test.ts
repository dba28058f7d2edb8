// Crashes and outages with the roles as real processes: the chain runs here (so the test can move its clock and
// cut it off), the solver, resource providers and mediator are `lilypad` children with their own LILYPAD_HOME,
// and the job creator is the SDK. Each scenario breaks one thing the way a machine or a network does (SIGKILL, a
// dead link) and checks that nothing submitted is lost and every role finds its way back.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseEther, type Address } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { ensureEscrow, escrowBalance } from "../../src/chain/market/escrow.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";
import { Outcome } from "../../src/core/dealTypes.ts";
import type { NetworkInfo } from "../../src/core/network.ts";
import { JobFailedError } from "../../src/job-creator/errors.ts";
import type { JobEvent } from "../../src/job-creator/jobEvents.ts";
import { LilypadClient, type JobHandle } from "../../src/job-creator/lilypadClient.ts";
import { createModuleResolver } from "../../src/modules/moduleResolver.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";
import { startChainProxy, type ChainProxy } from "../helpers/chainProxy.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const LILYPAD = join(repo, "bin", "lilypad.js");
const MEDIATOR = devAccount(2).address;
const RP_A = 4;
const RP_B = 5;
/** The CLI's default timeout collateral per job (`--timeout-collateral 1`). */
const TIMEOUT_COLLATERAL = parseEther("1");

// ---- children ----

interface Role {
  name: string;
  child: ChildProcess;
  /** Everything it wrote to stderr (JSON log lines and the CLI's own lines). */
  stderr(): string;
  /** Its JSON log lines, parsed. */
  logs(): { msg?: string; level?: number; [key: string]: unknown }[];
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
  alive(): boolean;
  /** Resolves when stderr matches; rejects if the process exits first or `ms` pass. */
  waitForStderr(pattern: RegExp, ms: number): Promise<void>;
  /** SIGKILLs the process and everything it started (its own process group). */
  kill(): Promise<void>;
}

const roles = new Set<Role>();

/** A `lilypad` child in its own process group (so its sandbox children go down with it), with a private home. */
function spawnRole(name: string, home: string, args: string[]): Role {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("LILYPAD_") && key !== "NODE_TEST_CONTEXT") env[key] = value;
  env.LILYPAD_HOME = home;
  mkdirSync(home, { recursive: true });
  const child = spawn(process.execPath, [LILYPAD, ...args], { cwd: home, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let err = "";
  let exitedWith: number | string | undefined;
  const watchers = new Set<() => void>();
  child.stdout?.resume();
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    err += chunk;
    for (const w of watchers) w();
  });
  const exited = new Promise<number | string>((resolve) => {
    const gone = (how: number | string) => {
      if (exitedWith !== undefined) return;
      exitedWith = how;
      for (const w of watchers) w();
      resolve(how);
    };
    child.once("exit", (code, signal) => gone(signal ?? code ?? "unknown"));
    child.once("error", (error) => {
      err += `spawn failed: ${error.message}\n`;
      gone(`spawn error ${error.message}`);
    });
  });
  const role: Role = {
    name,
    child,
    stderr: () => err,
    logs: () =>
      err
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    exited,
    alive: () => exitedWith === undefined,
    waitForStderr: (pattern, ms) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(err)) done(() => resolve());
          else if (exitedWith !== undefined) done(() => reject(new Error(`${name} exited (${exitedWith}) before printing ${pattern}:\n${tail(err)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name} did not print ${pattern} within ${ms} ms:\n${tail(err)}`))), ms);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
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
      roles.delete(role);
    },
  };
  roles.add(role);
  return role;
}

function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

// If the test process dies without running `after`, its children die with it.
process.once("exit", () => {
  for (const role of roles) {
    if (!role.alive() || role.child.pid === undefined) continue;
    try {
      process.kill(-role.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Resolves with the outcome of `promise`, or rejects after `ms` saying what was awaited. */
function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

describe("crashes and outages (roles as real processes)", () => {
  let dir: string;
  let dev: DevChain;
  let proxy: ChainProxy;
  let networkFile: string;
  let solverPort: number;
  let solverUrl: string;
  let jcConn: ChainConnection;
  let client: LilypadClient;
  let solver: Role | undefined;
  let mediator: Role | undefined;
  const providers = new Map<number, Role>();

  const startSolver = async (): Promise<Role> => {
    const role = spawnRole("solver", join(dir, "solver"), [
      "solver",
      "--port",
      String(solverPort),
      "--database",
      join(dir, "solver", "solver.db"),
      "--network",
      networkFile,
      "--private-key",
      devPrivateKey(1),
      "--log-level",
      "info",
    ]);
    await waitFor("the solver's health endpoint", 30_000, async () => {
      if (!role.alive()) throw new Error(`the solver exited (${await role.exited}):\n${tail(role.stderr())}`);
      const ok = await fetch(`${solverUrl}/api/v1/health`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.ok)
        .catch(() => false);
      return ok || undefined;
    });
    return role;
  };

  const startProvider = async (account: number): Promise<Role> => {
    const role = spawnRole(`resource-provider-${account}`, join(dir, `rp-${account}`), [
      "resource-provider",
      "--slots",
      "4",
      "--network",
      networkFile,
      "--private-key",
      devPrivateKey(account),
      "--log-level",
      "info",
    ]);
    providers.set(account, role);
    await role.waitForStderr(/serving results on/, 30_000);
    return role;
  };

  const ensureSolver = async () => {
    if (!solver?.alive()) solver = await startSolver();
    return solver;
  };
  const ensureProvider = async (account: number) => {
    const running = providers.get(account);
    return running?.alive() ? running : startProvider(account);
  };

  /** Runs a scenario; on failure prints every child's last log lines and kills what the scenario started. */
  const scenario = async (body: () => Promise<void>) => {
    const before = new Set(roles);
    try {
      await body();
    } catch (error) {
      for (const role of roles) console.error(`---- ${role.name} (${role.alive() ? "running" : "exited"}) ----\n${tail(role.stderr())}`);
      for (const role of [...roles]) if (!before.has(role)) await role.kill();
      throw error;
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilypad-crashes-"));
    dev = await startDevChain({ listen: { host: "127.0.0.1", port: 0 } });
    proxy = await startChainProxy(new URL(dev.network.rpcUrl));
    solverPort = await freePort();
    solverUrl = `http://127.0.0.1:${solverPort}`;
    // The children reach the chain only through the proxy; the test and the job creator talk to it directly.
    const forRoles: NetworkInfo = { ...dev.network, rpcUrl: proxy.url, solverUrl, mediators: [MEDIATOR] };
    networkFile = join(dir, "network.json");
    await writeFile(networkFile, `${JSON.stringify(forRoles, null, 2)}\n`);

    jcConn = connectChain({ network: { ...dev.network, solverUrl, mediators: [MEDIATOR] }, privateKey: devPrivateKey(3) });
    await ensureEscrow(jcConn, parseEther("100"));
    const blockstore = await createBlockstore({ path: join(dir, "jc", "blocks") });
    client = new LilypadClient({
      conn: jcConn,
      solverUrl,
      blockstore,
      resolveModule: createModuleResolver({ blockstore, workDir: join(dir, "jc", "work") }),
      mediators: [MEDIATOR],
      // Deposited above: escrow moves only with the deals, so scenario 2 can account for every token.
      keepInEscrow: 0n,
      terms: { matchTimeout: 60 },
    });

    solver = await startSolver();
    mediator = spawnRole("mediator", join(dir, "mediator"), ["mediator", "--network", networkFile, "--private-key", devPrivateKey(2), "--log-level", "info"]);
    await mediator.waitForStderr(/watching for challenges/, 30_000);
  });

  after(async () => {
    await client?.close();
    for (const role of [...roles]) await role.kill();
    await proxy?.close();
    await dev?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a solver SIGKILLed with jobs in flight restarts on its database and port: every job completes, the records survive", async () => {
    await scenario(async () => {
      await ensureSolver();
      assert.ok(!providers.get(RP_A)?.alive(), "no provider is up yet: the jobs wait in the queue");
      const messages = ["before", "the", "crash", "four"];
      const events = messages.map(() => [] as JobEvent[]);
      const handles: JobHandle[] = await within(
        "the jobs to be submitted",
        15_000,
        Promise.all(
          messages.map(async (Message, i) => {
            const handle = await client.submit("cowsay:v1", { Message });
            handle.events.on((e) => events[i]?.push(e));
            return handle;
          }),
        ),
      );
      const dealIds = handles.map((h) => h.dealId);
      for (const dealId of dealIds) assert.equal((await client.solver.getJob(dealId)).record.status, "queued");

      // The crash: no shutdown, no flush; whatever the solver held only in memory is gone.
      const crashed = solver;
      assert.ok(crashed);
      await crashed.kill();
      assert.equal(await crashed.exited, "SIGKILL");
      assert.equal(await fetch(`${solverUrl}/api/v1/health`).then(() => "up", () => "down"), "down");

      solver = await startSolver();
      // What was recorded before the crash is still there, by id and in the creator's list.
      const listed = await client.solver.listJobs(50);
      for (const dealId of dealIds) {
        assert.ok(listed.some((r) => r.dealId === dealId), `job ${dealId} is listed after the restart`);
        const { record } = await client.solver.getJob(dealId);
        assert.equal(record.status, "queued");
        assert.equal(record.creator, jcConn.address);
      }
      assert.match(solver.stderr(), /"jobs":4\b[^\n]*"solver started"|"msg":"solver started"[^\n]*"jobs":4\b/, "the solver reloaded the four jobs");

      await ensureProvider(RP_A);
      const results = await within("the jobs submitted before the crash", 45_000, Promise.all(handles.map((h) => h.result)));
      for (const [i, result] of results.entries()) {
        assert.match(text(result.stdout), new RegExp(`< ${messages[i]} >`));
        assert.equal(result.outcome, Outcome.Accepted);
        assert.equal(result.provider, devAccount(RP_A).address);
        // The deal opened after the restart, and the SDK heard it over its socket: it reconnected.
        assert.ok(events[i]?.some((e) => e.type === "deal-opened"), `job ${i} saw deal-opened: ${JSON.stringify(events[i]?.map((e) => e.type))}`);
      }
      // The solver follows the creator's accept from the chain (a poll behind it).
      for (const dealId of dealIds) {
        await waitFor(`job ${dealId} closed in the solver's record`, 5000, async () => (await client.solver.getJob(dealId)).record.status === "closed" || undefined);
      }
    });
  });

  it("a resource provider SIGKILLed once its deal opens: past the result deadline the creator is refunded and paid the timeout collateral", async () => {
    await scenario(async () => {
      await ensureSolver();
      const rp = await startProvider(RP_B);
      const rpAddress: Address = devAccount(RP_B).address;
      const jcBefore = await escrowBalance(jcConn);
      const rpBefore = await escrowBalance(jcConn, rpAddress);
      assert.equal(jcBefore.locked, 0n, "no deal of the creator's is open");

      // A sieve to 10^8 keeps the provider busy well past the moment the creator hears the deal is open.
      // (Submitting waits for the SDK's socket: after scenario 1 it must have reconnected to the restarted solver.)
      const handle = await within(
        "the job to be submitted",
        15_000,
        client.submit("compute:v1", { N: 100_000_000 }, { targetProvider: rpAddress, terms: { resultTimeout: 60 } }),
      );
      const types: string[] = [];
      let opened: (() => void) | undefined;
      const dealOpened = new Promise<void>((resolve) => (opened = resolve));
      handle.events.on((e) => {
        types.push(e.type);
        if (e.type === "deal-opened") {
          // The machine dies: no result, no goodbye.
          process.kill(-(rp.child.pid as number), "SIGKILL");
          opened?.();
        }
      });
      await within("the deal to open", 30_000, dealOpened);
      assert.equal(await within("the provider to die", 5000, rp.exited), "SIGKILL");
      const locked = await escrowBalance(jcConn);
      assert.ok(locked.locked > 0n, "the creator's payment is locked in the open deal");

      // Past the result deadline on the chain's clock.
      await dev.testClient.increaseTime({ seconds: 61 });
      await dev.testClient.mine({ blocks: 1 });
      await assert.rejects(within("the job to time out", 20_000, handle.result), (error: unknown) => {
        assert.ok(error instanceof JobFailedError, String(error));
        assert.equal(error.code, "RESULT_TIMEOUT");
        return true;
      });
      assert.ok(!types.includes("result-posted"), `the provider posted nothing: ${JSON.stringify(types)}`);
      assert.equal(types.at(-1), "closed");

      const jcAfter = await escrowBalance(jcConn);
      assert.equal(jcAfter.locked, 0n, "nothing stays locked");
      assert.equal(jcAfter.available, jcBefore.available + TIMEOUT_COLLATERAL, "the payment is refunded and the provider's timeout collateral paid to the creator");
      const rpAfter = await escrowBalance(jcConn, rpAddress);
      assert.equal(rpAfter.available + rpAfter.locked, rpBefore.available + rpBefore.locked - TIMEOUT_COLLATERAL, "the provider lost exactly its timeout collateral");
      assert.equal(rpAfter.locked, rpBefore.locked);
      await rp.kill();
      providers.delete(RP_B);
    });
  });

  it("the chain unreachable for 3 s while a job waits for a provider: every role backs off, reconnects, and the job completes", async () => {
    await scenario(async () => {
      const s = await ensureSolver();
      const rp = await ensureProvider(RP_A);
      const m = mediator?.alive() ? mediator : undefined;
      const provider = devAccount(RP_A).address;
      const rpPid = rp.child.pid as number;

      // Freeze the provider so the job cannot reach a deal before the link is cut: the solver proposes to it and
      // waits; once the chain is gone the provider thaws, signs, and the solver cannot open the deal.
      process.kill(rpPid, "SIGSTOP");
      let frozen = true;
      try {
        const handle = await within("the job to be submitted", 15_000, client.submit("cowsay:v1", { Message: "through the outage" }, { targetProvider: provider }));
        await waitFor("the solver to propose the job", 10_000, async () => (await client.solver.getJob(handle.dealId)).record.status === "matched" || undefined);
        const cutAt = Date.now();
        proxy.pause();
        await sleep(300);
        process.kill(rpPid, "SIGCONT");
        frozen = false;
        await s.waitForStderr(/cannot read the chain; retrying/, 5000);
        await sleep(Math.max(0, 3000 - (Date.now() - cutAt)));
        const during = (await client.solver.getJob(handle.dealId)).record;
        assert.ok(during.status === "queued" || during.status === "matched", `no deal while the chain is away (status ${during.status})`);
        assert.equal(during.deal, undefined);
        proxy.resume();

        // Well inside the provider's 30 s capacity refresh: the solver retries on its own, nothing else wakes it.
        const result = await within("the job after the outage", 12_000, handle.result);
        assert.match(text(result.stdout), /< through the outage >/);
        assert.equal(result.outcome, Outcome.Accepted);
        assert.equal(result.provider, provider);
        assert.ok(
          s.logs().some((l) => l.msg === "opening the deal failed; will retry" && l.dealId === handle.dealId),
          "the provider signed during the outage, the solver could not open the deal and put the job back",
        );
      } finally {
        if (frozen) process.kill(rpPid, "SIGCONT");
      }

      // Each role noticed, backed off, and said so when the chain came back.
      for (const role of [s, rp, ...(m ? [m] : [])]) {
        await role.waitForStderr(/chain reachable again/, 15_000);
        const msgs = role.logs().map((l) => l.msg);
        const lost = msgs.lastIndexOf("cannot read the chain; retrying");
        assert.ok(lost >= 0, `${role.name} noticed the outage`);
        assert.ok(msgs.lastIndexOf("chain reachable again") > lost, `${role.name} recovered after the last failure`);
        const retries = role.logs().filter((l) => l.msg === "cannot read the chain; retrying").map((l) => Number(l.retryInMs));
        // Back-off: each retry waits longer than the one before (doubling, with jitter of a quarter either way).
        assert.ok(retries.length >= 2 && retries.every((ms, i) => ms > 0 && (i === 0 || ms > (retries[i - 1] ?? 0))), `${role.name} backed off: ${retries.join(", ")} ms`);
        assert.ok(role.alive(), `${role.name} is still running`);
      }
    });
  });
});
