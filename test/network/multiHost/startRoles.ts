// Starts lilypad's roles on a testbed's hosts, each a `lilypad` process with its own home: the chain (`lilypad
// devnet chain` on the chain host's address), the solver, two resource providers, the mediator and, if asked, the
// on-chain job relay. The chain's network file goes to every other host as `network.json` in its home, with the
// mediator's address added and no solver URL: every role (and every command on those hosts) finds the solver in the
// service registry, where it registered the URL it advertises. In netns mode the servers listen on every interface
// of their host (`--host 0.0.0.0`) and advertise the host's address with `--public-url`.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { devAccount, devPrivateKey } from "../../../src/chain/devAccounts.ts";
import { networkSchema, type NetworkInfo } from "../../../src/core/network.ts";
import type { Host, HostProcess, Testbed } from "./testbed.ts";

export const MEDIATOR_ACCOUNT = 2;
export const RP1_ACCOUNT = 4;
export const RP2_ACCOUNT = 5;

export type RoleHost = "chain" | "solver" | "rp1" | "rp2" | "mediator" | "jc";

export interface MultiHostRoles {
  network: NetworkInfo;
  solverUrl: string;
  roles: Partial<Record<RoleHost | "relay", HostProcess>>;
}

/** `network.json` in a host's home: the chain's file with the mediator, and no solver. */
export function networkFileOf(host: Host): string {
  return join(host.home, "network.json");
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export async function startRoles(params: {
  bed: Testbed;
  hosts: Record<RoleHost, Host> & { relay?: Host };
  /** How long each role may take to start. */
  startMs: number;
  /** Extra flags for both providers (e.g. --slots). */
  providerFlags?: string[];
}): Promise<MultiHostRoles> {
  const { bed, hosts, startMs } = params;
  const roles: MultiHostRoles["roles"] = {};
  const chainPort = await bed.port(hosts.chain, 8545);
  const chainFile = join(hosts.chain.home, "networks", "devnet.json");
  roles.chain = bed.spawnLilypad(hosts.chain, "devnet chain", ["devnet", "chain", "--host", hosts.chain.ip, "--port", String(chainPort), "--network-file", chainFile, "--json"]);
  await roles.chain.waitFor(/chain ready at/, startMs);
  const network = networkSchema.parse(JSON.parse(await readFile(chainFile, "utf8")));
  assert.equal(network.rpcUrl, `http://${hosts.chain.ip}:${chainPort}`, "the network file names the chain at the chain host's address");
  assert.equal(network.solverUrl, undefined, "`devnet chain` names no solver");
  // What the operator hands every host: the chain's file, plus the mediator everyone trusts. No solver URL.
  const shared = `${JSON.stringify({ ...network, mediators: [devAccount(MEDIATOR_ACCOUNT).address] }, null, 2)}\n`;
  for (const host of Object.values(hosts)) if (host) await writeFile(networkFileOf(host), shared);

  const listen = (host: Host) => (bed.mode === "netns" ? "0.0.0.0" : host.ip);
  const solverPort = await bed.port(hosts.solver, 8546);
  const solverUrl = `http://${hosts.solver.ip}:${solverPort}`;
  roles.solver = bed.spawnLilypad(hosts.solver, "solver", [
    "solver", "--host", listen(hosts.solver), "--port", String(solverPort), "--public-url", solverUrl, "--network", networkFileOf(hosts.solver), "--log-level", "info",
  ]);
  await roles.solver.waitFor(new RegExp(`solver listening on ${escaped(solverUrl)}`), startMs);

  const serving = async (host: Host, preferred: number) => {
    const port = await bed.port(host, preferred);
    return ["--host", listen(host), "--port", String(port), "--public-url", `http://${host.ip}:${port}`];
  };
  const common = (host: Host) => ["--network", networkFileOf(host), "--log-level", "info"];
  roles.mediator = bed.spawnLilypad(hosts.mediator, "mediator", ["mediator", ...(await serving(hosts.mediator, 8551)), ...common(hosts.mediator)]);
  // Provider 1 acts as the dev chain's default provider account; provider 2 brings its own key.
  const providerFlags = params.providerFlags ?? ["--slots", "2"];
  roles.rp1 = bed.spawnLilypad(hosts.rp1, "resource-provider 1", ["resource-provider", ...providerFlags, ...(await serving(hosts.rp1, 8550)), ...common(hosts.rp1)]);
  roles.rp2 = bed.spawnLilypad(hosts.rp2, "resource-provider 2", [
    "resource-provider", ...providerFlags, "--private-key", devPrivateKey(RP2_ACCOUNT), ...(await serving(hosts.rp2, 8550)), ...common(hosts.rp2),
  ]);
  if (hosts.relay) {
    // Its metrics server's default port (8548 on loopback) may be taken on a shared machine.
    const metricsPort = await bed.port(hosts.relay, 8548);
    roles.relay = bed.spawnLilypad(hosts.relay, "jobcreator (relay)", ["jobcreator", "--metrics-port", String(metricsPort), ...common(hosts.relay)]);
  }
  const at = (host: Host) => `http://${escaped(host.ip)}:\\d+`;
  await Promise.all([
    roles.mediator.waitFor(new RegExp(`mediator ${devAccount(MEDIATOR_ACCOUNT).address} watching for challenges, serving results on ${at(hosts.mediator)}`), startMs),
    roles.rp1.waitFor(new RegExp(`resource provider ${devAccount(RP1_ACCOUNT).address} serving results on ${at(hosts.rp1)}`), startMs),
    roles.rp2.waitFor(new RegExp(`resource provider ${devAccount(RP2_ACCOUNT).address} serving results on ${at(hosts.rp2)}`), startMs),
    ...(roles.relay ? [roles.relay.waitFor(/relaying jobs requested from/, startMs)] : []),
  ]);
  return { network, solverUrl, roles };
}
