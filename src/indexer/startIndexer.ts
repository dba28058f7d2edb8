// The indexer role: follows the market's and the service registry's events into SQLite and serves them as a
// read-only public API (and the dashboard, when built). It holds no key and sends no transaction: anyone can run
// one, and anyone can recompute what it shows from the chain.
import { createPublicClient, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import Fastify, { type FastifyError } from "fastify";
import { z } from "zod";
import { chainOf } from "../chain/chainConnection.ts";
import { jsonRpcHttpTransport } from "../chain/jsonRpcHttpTransport.ts";
import { logChainOutages, watchBlocks, type BlockWatcher } from "../chain/market/watchMarketEvents.ts";
import { ServiceRole } from "../chain/serviceRegistry.ts";
import { ListenError, PortInUseError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { NetworkInfo } from "../core/network.ts";
import { refusesPrivateAddresses } from "../net/privateAddresses.ts";
import { createBlockstore, type Blockstore } from "../storage/createBlockstore.ts";
import { readShippedCatalog } from "../modules/moduleCatalog.ts";
import { INDEXER_API_PREFIX, type LiveUpdate } from "../core/api/indexerApi.ts";
import { IndexerError, IndexerErrorCode } from "./indexerErrors.ts";
import { IndexerQueries } from "./indexerQueries.ts";
import { indexerRoutes } from "./indexerRoutes.ts";
import { IndexerStore } from "./indexerStore.ts";
import { LiveUpdates, MAX_LIVE_DEALS } from "./liveUpdates.ts";
import { ModuleNames } from "./moduleNames.ts";
import { readChainRange } from "./readChainRange.ts";
import { ResultFileStore } from "./resultFiles.ts";
import { SolverOffers, type SolverSource } from "./solverOffers.ts";
import { metricsRoutes } from "../metrics/metricsRoutes.ts";
import { serveDashboard } from "../dashboard/serveDashboard.ts";
import { createRoleMetrics, type RoleMetrics } from "../metrics/roleMetrics.ts";

export interface StartIndexerParameters {
  network: NetworkInfo;
  /** SQLite file of the index (it survives restarts: indexing resumes where it stopped). */
  databasePath: string;
  /** Where verified result blocks are kept for previews (a folder), or a block store to share. */
  blockstore: Blockstore | string;
  log: Logger;
  host?: string;
  port?: number;
  /** Defaults to HTTP on the network's rpcUrl; the embedded network passes its dev chain's transport. */
  transport?: Transport;
  /** The solver whose standing offers say which providers are online (default: the network's, else the newest registered). */
  solverUrl?: string;
  /** Module names shipped with lilypad ("name:version" -> CID; default: modules/catalog.json). */
  catalog?: Readonly<Record<string, string>>;
  /** Fetch results from loopback and private addresses even off a devnet. */
  allowPrivateAddresses?: boolean;
  /** Serve the web dashboard beside the API (default true; it says how to build it when it was not built). */
  dashboard?: boolean;
  /** Where its figures go, served at /metrics (default: a registry of its own). */
  metrics?: RoleMetrics;
  pollMs?: number;
}

export interface RunningIndexer {
  url: string;
  /** The next block the indexer will read. */
  readonly cursor: bigint;
  /** Reads up to the chain's head as it is now (resolves when indexed). */
  poll(): Promise<void>;
  close(): Promise<void>;
}

export async function startIndexer(params: StartIndexerParameters): Promise<RunningIndexer> {
  const { network, log } = params;
  const publicClient = createPublicClient({
    chain: chainOf(network),
    transport: params.transport ?? jsonRpcHttpTransport(network.rpcUrl),
    cacheTime: 0,
  }) as PublicClient<Transport, Chain>;
  const chain = { network, publicClient };
  const store = new IndexerStore(params.databasePath);
  store.bindNetwork(network.chainId, network.contracts.market);
  const names = new ModuleNames(store.db, params.catalog ?? readShippedCatalog());
  const refusePrivateAddresses = refusesPrivateAddresses({ chainId: network.chainId, allowPrivateAddresses: params.allowPrivateAddresses });
  // The operator's solver URL is trusted; one learned from the registry was chosen by whoever registered it.
  const configuredSolver = params.solverUrl ?? network.solverUrl;
  const solver = (): SolverSource | undefined => {
    if (configuredSolver !== undefined) return { url: configuredSolver, refusePrivateAddresses: false };
    const registered = queries.serviceUrls(ServiceRole.Solver)[0]?.url;
    return registered === undefined ? undefined : { url: registered, refusePrivateAddresses };
  };
  const offers: SolverOffers = new SolverOffers({ solver, log });
  const queries: IndexerQueries = new IndexerQueries({ store, names, chainId: network.chainId, offers: () => offers.current });
  const blockstore = typeof params.blockstore === "string" ? await createBlockstore({ path: params.blockstore }) : params.blockstore;
  const files = new ResultFileStore({ blockstore, refusePrivateAddresses });
  const live = new LiveUpdates({
    build: (changed): LiveUpdate => ({ stats: queries.stats(), deals: queries.dealsById(changed as Hex[], MAX_LIVE_DEALS) }),
  });
  // The provider serves its results; the mediator keeps those it re-ran.
  const resultSources = (dealId: Hex): string[] => {
    const row = queries.dealRow(dealId);
    if (!row) return [];
    const urls = [queries.providerUrl(row.provider), ...queries.serviceUrls(ServiceRole.Mediator).filter((s) => s.address === row.mediator).map((s) => s.url)];
    return [...new Set(urls.filter((u): u is string => u !== null))];
  };

  const metrics = params.metrics ?? createRoleMetrics({ role: "indexer" });
  // The indexer's jobs are the network's deals, by phase, as indexed.
  metrics.jobsInState(() => queries.dealsByPhase());

  const app = Fastify({ loggerInstance: log.child({ component: "http" }), bodyLimit: 1 << 16 });
  app.setErrorHandler((error: FastifyError | IndexerError | z.ZodError, request, reply) => {
    const answer = (status: number, code: string, message: string) => {
      metrics.error(code);
      return reply.status(status).send({ code, message });
    };
    if (error instanceof IndexerError) return answer(error.status, error.code, error.message);
    if (error instanceof z.ZodError) {
      const issue = error.issues[0];
      return answer(400, IndexerErrorCode.invalidQuery, issue ? `${issue.path.join(".") || "query"}: ${issue.message}` : "invalid query");
    }
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return answer(status, (error as FastifyError).code ?? IndexerErrorCode.invalidQuery, error.message);
    request.log.error({ err: error }, "request failed");
    return answer(500, IndexerErrorCode.internal, "the indexer failed to answer this request");
  });
  app.addHook("onSend", async (request, reply) => {
    // The API is public and read-only: any page may read it.
    if (request.url.startsWith(INDEXER_API_PREFIX)) reply.header("access-control-allow-origin", "*");
  });
  await app.register(indexerRoutes, { queries, live, files, resultSources });
  await app.register(metricsRoutes, { metrics });
  if (params.dashboard ?? true) await app.register(serveDashboard);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: IndexerErrorCode.notFound, message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );

  const watcher: BlockWatcher = watchBlocks(chain, {
    fromBlock: store.cursor,
    pollMs: params.pollMs,
    onProgress: metrics.chainProgress,
    read: async (range) => {
      const read = await readChainRange(chain, range);
      const applied = store.apply(read);
      for (const event of read.events) if ("dealId" in event) metrics.job(event.kind);
      if (applied.changedDeals.length > 0) live.changed(applied.changedDeals);
    },
    ...logChainOutages(log),
  });
  offers.start();

  const host = params.host ?? "127.0.0.1";
  const port = params.port ?? 0;
  let url: string;
  try {
    url = await app.listen({ host, port });
  } catch (error) {
    await watcher.stop();
    offers.stop();
    live.close();
    await app.close().catch(() => {});
    store.close();
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE") throw new PortInUseError({ host, port, cause: error });
    throw new ListenError({ host, port, reason: error instanceof Error ? error.message : String(error), cause: error });
  }
  log.info({ url, fromBlock: String(watcher.cursor) }, "indexer listening");
  return {
    url,
    get cursor() {
      return watcher.cursor;
    },
    poll: () => watcher.poll(),
    async close() {
      await watcher.stop();
      offers.stop();
      live.close();
      await app.close();
      store.close();
    },
  };
}
