// The indexer's public API as a fastify plugin: read-only routes over the index, each with its query or params
// checked by the schema in src/core/api/indexerApi.ts, and the live stream.
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { Hex } from "viem";
import {
  INDEXER_API_PREFIX,
  INDEXER_LIVE_PATH,
  leaderboardQuerySchema,
  listDealsQuerySchema,
} from "../core/api/indexerApi.ts";
import { resultCidOfDigest } from "../core/resultCid.ts";
import { IndexerError, IndexerErrorCode } from "./indexerErrors.ts";
import type { IndexerQueries } from "./indexerQueries.ts";
import type { LiveUpdates } from "./liveUpdates.ts";
import type { ResultFileStore } from "./resultFiles.ts";

export interface IndexerRoutesOptions {
  queries: IndexerQueries;
  live: LiveUpdates;
  files: ResultFileStore;
  /** Where a deal's result may be fetched from, best first. */
  resultSources: (dealId: Hex) => string[];
}

const dealParams = z.object({ dealId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a deal id is 0x and 64 hex digits") });
const providerParams = z.object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address is 0x and 40 hex digits") });

export const indexerRoutes: FastifyPluginAsync<IndexerRoutesOptions> = async (app, { queries, live, files, resultSources }) => {
  const p = INDEXER_API_PREFIX;
  app.get(`${p}/stats`, async () => queries.stats());

  app.get(`${p}/deals`, async (request) => queries.listDeals(listDealsQuerySchema.parse(request.query)));

  app.get(`${p}/deals/:dealId`, async (request) => {
    const { dealId } = dealParams.parse(request.params);
    const deal = queries.deal(dealId as Hex);
    if (!deal) throw new IndexerError(IndexerErrorCode.dealNotFound, `no deal ${dealId} on this network (yet)`);
    return deal;
  });

  const resultOf = (dealId: string) => {
    const row = queries.dealRow(dealId as Hex);
    if (!row) throw new IndexerError(IndexerErrorCode.dealNotFound, `no deal ${dealId} on this network (yet)`);
    if (row.cid_digest === null) throw new IndexerError(IndexerErrorCode.resultNotPosted, `deal ${dealId} has no result on chain`);
    return { cid: resultCidOfDigest(row.cid_digest), sources: resultSources(row.deal_id) };
  };

  app.get(`${p}/deals/:dealId/files`, async (request) => {
    const { dealId } = dealParams.parse(request.params);
    const { cid, sources } = resultOf(dealId);
    return files.list(cid, sources);
  });

  app.get<{ Params: { dealId: string; "*": string } }>(`${p}/deals/:dealId/files/*`, async (request, reply) => {
    const { dealId } = dealParams.parse(request.params);
    const { cid, sources } = resultOf(dealId);
    const file = await files.read(cid, request.params["*"], sources);
    // A result is someone else's bytes: never let the browser guess a type, and never run anything it contains.
    return reply
      .header("content-type", file.contentType)
      .header("x-content-type-options", "nosniff")
      .header("content-security-policy", "default-src 'none'; sandbox")
      .header("cache-control", "public, max-age=31536000, immutable")
      .send(Buffer.from(file.bytes));
  });

  app.get(`${p}/providers`, async () => ({ providers: queries.providers() }));

  app.get(`${p}/providers/:address`, async (request) => {
    const { address } = providerParams.parse(request.params);
    const provider = queries.provider(address as Hex);
    if (!provider) throw new IndexerError(IndexerErrorCode.providerNotFound, `no provider ${address} has dealt or registered on this network`);
    return provider;
  });

  app.get(`${p}/leaderboard`, async (request) => {
    const { period, limit } = leaderboardQuerySchema.parse(request.query);
    return queries.leaderboard(period, limit);
  });

  app.get(`${p}/modules`, async () => ({ modules: queries.modules() }));

  app.get(INDEXER_LIVE_PATH, async (request, reply) => {
    reply.hijack();
    if (!live.attach(reply.raw)) {
      const error = new IndexerError(IndexerErrorCode.tooManyViewers, "too many live viewers; try again in a few seconds");
      reply.raw.writeHead(error.status, { "content-type": "application/json", "retry-after": "10" });
      reply.raw.end(JSON.stringify({ code: error.code, message: error.message }));
    }
  });
};
