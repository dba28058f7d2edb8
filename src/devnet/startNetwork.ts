// A whole network on this machine: the dev chain with the contracts deployed, a solver, resource providers, a
// mediator (and, for `lilypad devnet`, the on-chain job relay and the gateway), each on 127.0.0.1, each a real
// server talking to the others over HTTP and WebSocket and settling on the chain. `lilypad run` starts one
// in-process when no devnet is running; `lilypad devnet` starts one and keeps it up.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseEther, type Address, type Hex } from "viem";
import { connectChain, type ChainConnection } from "../chain/chainConnection.ts";
import { withTransactionObserver } from "../chain/observeTransactions.ts";
import { devAccount, DevAccountIndex, devPrivateKey } from "../chain/devAccounts.ts";
import { moduleRegistryOf } from "../chain/moduleRegistry.ts";
import { registerService, ServiceRole } from "../chain/serviceRegistry.ts";
import { startDevChain, type DevChain, type DevChainProgress } from "./startDevChain.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import type { NetworkInfo } from "../core/network.ts";
import { startGateway } from "../job-creator/gateway.ts";
import { LilypadClient } from "../job-creator/lilypadClient.ts";
import { OnChainJobRelay } from "../job-creator/onChainRelay.ts";
import { Mediator } from "../mediator/mediator.ts";
import { createRoleMetrics } from "../metrics/roleMetrics.ts";
import { startMetricsServer } from "../metrics/startMetricsServer.ts";
import { createModuleResolver } from "../modules/moduleResolver.ts";
import { ResourceProvider, type ProviderFaults, type ProviderPricing } from "../resource-provider/resourceProvider.ts";
import { SandboxPool } from "../sandbox/sandboxPool.ts";
import { startSolver, type RunningSolver } from "../solver/solverServer.ts";
import { startIndexer, type RunningIndexer } from "../indexer/startIndexer.ts";
import { createBlockstore, type Blockstore } from "../storage/createBlockstore.ts";
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export const DEFAULT_PROVIDER_PRICING: ProviderPricing = {
  basePrice: parseEther("0.01"),
  pricePerMInstr: parseEther("0.001"),
  timeoutCollateral: parseEther("1"),
  collateralMultiple: 2,
};

export interface ProviderSpec {
  /** Dev account index (default: 4, 5, ... in order). */
  account?: number;
  pricing?: Partial<ProviderPricing>;
  slots?: number;
  faults?: ProviderFaults;
  modules?: Hex[] | "any";
  /** The most the provider locks in one deal (ResourceProviderParameters.maxStake). */
  maxStake?: bigint;
}

export interface StartNetworkParameters {
  /** Where role state lives: the solver's database, block stores, sandbox work folders. */
  home: string;
  /** Where the dev chain (anvil) serves JSON-RPC (default: 127.0.0.1 and a free port). */
  chainListen?: { host?: string; port?: number };
  /** Seconds between the dev chain's blocks while no transaction comes (default DEV_BLOCK_TIME; 0: none). */
  blockTime?: number;
  /** False: transactions wait for the next block, as on a public chain (see startDevChain). */
  instantMining?: boolean;
  solverPort?: number;
  providers?: ProviderSpec[];
  /** Write the network description (with the solver URL and mediator) here. */
  networkFile?: string;
  log?: Logger;
  onProgress?: (progress: DevChainProgress | { step: "roles"; message: string }) => void;
  /** Sandbox children per role (default 1). */
  sandboxSize?: number;
  /** One block store for every role (the embedded network shares the user's, so local module folders run). */
  blockstore?: Blockstore;
  /** How often providers look for deals to finalize (ms). */
  finalizeEveryMs?: number;
  /**
   * Also run the on-chain job relay (`lilypad jobcreator`), as dev account 8, with its metrics served on 127.0.0.1
   * (a free port unless `metricsPort` says which).
   */
  relay?: boolean | { metricsPort?: number };
  /** Also run the HTTP gateway for keyless apps on this port, paying from dev account 10. */
  gateway?: { port: number; host?: string; apiKey?: string };
  /** Also run the indexer (its public API, and the dashboard when built) on this port (0: any free one). */
  indexer?: { port?: number; host?: string };
}

export interface EmbeddedNetwork {
  network: NetworkInfo;
  dev: DevChain;
  solver: RunningSolver;
  providers: ResourceProvider[];
  mediator: Mediator;
  mediatorAddress: Address;
  /** The gateway's URL, when one was started. */
  gatewayUrl?: string;
  /** The on-chain job relay, when one was started. */
  relay?: OnChainJobRelay;
  /** Where the relay serves its metrics (it has no other HTTP server), when one was started. */
  relayMetricsUrl?: string;
  /** The indexer, when one was started. */
  indexer?: RunningIndexer;
  /** A chain connection for any dev account, over the same transport as the roles. */
  connect(index: number): ChainConnection;
  close(): Promise<void>;
}

export async function startNetwork(given: StartNetworkParameters): Promise<EmbeddedNetwork> {
  // Absolute from here on: the sandbox (bubblewrap) binds work folders by path, and a relative one such as the
  // README's "./lilypad-devnet" cannot be bound from inside it.
  const params = { ...given, home: resolve(given.home) };
  const log = params.log ?? createLogger({ role: "devnet", level: "silent" });
  const dev = await startDevChain({ listen: params.chainListen, blockTime: params.blockTime, instantMining: params.instantMining, onProgress: params.onProgress });
  const closers: (() => Promise<void>)[] = [() => dev.close()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    params.onProgress?.({ step: "roles", message: "starting solver, resource providers and mediator" });
    // The roles here share the dev chain's transport (no retries); other processes use its JSON-RPC URL.
    const connect = (index: number) => connectChain({ network: dev.network, privateKey: devPrivateKey(index), transport: dev.transport });
    const mediatorAddress = devAccount(DevAccountIndex.mediator).address;
    const solverConn = connect(DevAccountIndex.solver);
    const solver = await startSolver({
      conn: solverConn,
      databasePath: join(params.home, "solver", "solver.db"),
      log: log.child({ role: "solver" }),
      port: params.solverPort ?? 0,
    });
    closers.push(() => solver.close());
    // A mediator finds the solver of a deal it did not see matched (the sender of the deal's opening transaction) here.
    await registerService(withTransactionObserver(solverConn, solver.metrics.transaction), { role: ServiceRole.Solver, url: solver.url });
    const network: NetworkInfo = { ...dev.network, solverUrl: solver.url, mediators: [mediatorAddress] };

    const sandboxes: SandboxPool[] = [];
    const roleStorage = async (name: string) => {
      const workRoot = join(params.home, name, "work");
      await mkdir(workRoot, { recursive: true });
      const pool = new SandboxPool({ workRoot, size: params.sandboxSize ?? 1 });
      sandboxes.push(pool);
      const blockstore = params.blockstore ?? (await createBlockstore({ path: join(params.home, name, "blocks") }));
      return { workRoot, pool, blockstore };
    };
    closers.push(async () => {
      for (const pool of sandboxes) await pool.close();
    });

    const mediator = new Mediator({ conn: connect(DevAccountIndex.mediator), solverUrl: solver.url, log: log.child({ role: "mediator" }), ...(await roleStorage("mediator")) });
    await mediator.start();
    closers.push(() => mediator.stop());

    const specs = params.providers ?? [{}];
    const providers: ResourceProvider[] = [];
    for (const [i, spec] of specs.entries()) {
      const index = spec.account ?? DevAccountIndex.firstResourceProvider + i;
      const rp = new ResourceProvider({
        conn: connect(index),
        solverUrl: solver.url,
        log: log.child({ role: "resource-provider" }),
        ...(await roleStorage(`provider-${index}`)),
        pricing: { ...DEFAULT_PROVIDER_PRICING, ...spec.pricing },
        mediators: [mediatorAddress],
        slots: spec.slots ?? 4,
        resources: { cpu: 4, ramMiB: 4096, gpu: 0, diskMiB: 10_240 },
        modules: spec.modules ?? "any",
        faults: spec.faults,
        maxStake: spec.maxStake,
        finalizeEveryMs: params.finalizeEveryMs,
      });
      await rp.start();
      providers.push(rp);
      closers.push(() => rp.stop());
    }
    let relay: OnChainJobRelay | undefined;
    let relayMetricsUrl: string | undefined;
    if (params.relay) {
      relay = new OnChainJobRelay({
        conn: connect(DevAccountIndex.jobRelay),
        solverUrl: solver.url,
        log: log.child({ role: "jobcreator" }),
        blockstore: params.blockstore ?? (await createBlockstore({ path: join(params.home, "relay", "blocks") })),
        workDir: join(params.home, "relay", "work"),
      });
      await relay.start();
      const started = relay;
      closers.push(() => started.stop());
      const metricsServer = await startMetricsServer({ metrics: relay.metrics, port: (params.relay === true ? undefined : params.relay.metricsPort) ?? 0 });
      relayMetricsUrl = metricsServer.url;
      closers.push(() => metricsServer.close());
    }
    let gatewayUrl: string | undefined;
    if (params.gateway) {
      const blockstore = params.blockstore ?? (await createBlockstore({ path: join(params.home, "gateway", "blocks") }));
      // The gateway's transactions are its client's, sent through this connection.
      const gatewayMetrics = createRoleMetrics({ role: "gateway" });
      const gatewayConn = withTransactionObserver(connect(DevAccountIndex.gateway), gatewayMetrics.transaction);
      const client = new LilypadClient({
        conn: gatewayConn,
        solverUrl: solver.url,
        blockstore,
        resolveModule: createModuleResolver({ blockstore, workDir: join(params.home, "gateway", "work"), registry: moduleRegistryOf(gatewayConn) }),
        mediators: [mediatorAddress],
        keepInEscrow: parseEther("1000"),
      });
      const gateway = await startGateway({ client, blockstore, log: log.child({ role: "gateway" }), metrics: gatewayMetrics, ...params.gateway });
      gatewayUrl = gateway.url;
      closers.push(async () => {
        await gateway.close();
        await client.close();
      });
    }
    let indexer: RunningIndexer | undefined;
    if (params.indexer) {
      indexer = await startIndexer({
        network,
        transport: dev.transport,
        databasePath: join(params.home, "indexer", "index.db"),
        blockstore: join(params.home, "indexer", "blocks"),
        log: log.child({ role: "indexer" }),
        ...params.indexer,
      });
      const running = indexer;
      closers.push(() => running.close());
    }
    if (params.networkFile) {
      await mkdir(dirname(params.networkFile), { recursive: true });
      await writeFile(params.networkFile, `${JSON.stringify(network, null, 2)}\n`);
    }
    return { network, dev, solver, providers, mediator, mediatorAddress, gatewayUrl, relay, relayMetricsUrl, indexer, connect, close };
  } catch (error) {
    await close();
    throw error;
  }
}
