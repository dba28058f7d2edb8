import { Readable } from "node:stream";
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { UnixFSEntry } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import { LilypadError } from "../core/errors.ts";
import type { Blockstore } from "./createBlockstore.ts";
import { ContentNotFoundError, InvalidCidError, NotAFileError, UnsupportedEntryError } from "./errors.ts";
import { CAR_CONTENT_TYPE, exportCar } from "./exportCar.ts";
import { verifyingReader } from "./readBlock.ts";
import { exportEntry, isPlainFile, isSafeName } from "./unixfsEntries.ts";

export interface CarRoutesOptions {
  blockstore: Blockstore;
}

interface CidParams {
  cid: string;
  "*"?: string;
}

interface CarQuery {
  format?: "car";
}

const paramsSchema = {
  type: "object",
  properties: { cid: { type: "string", minLength: 1, maxLength: 256 }, "*": { type: "string" } },
  required: ["cid"],
} as const;

const querySchema = {
  type: "object",
  properties: { format: { type: "string", enum: ["car"] } },
} as const;

const errorSchema = {
  type: "object",
  properties: { code: { type: "string" }, message: { type: "string" } },
  required: ["code", "message"],
} as const;

// Content is addressed by hash, so a response for a CID never changes.
const IMMUTABLE = "public, max-age=29030400, immutable";

/**
 * The storage role's read-only HTTP surface, a subset of the IPFS trustless gateway:
 *
 * - `GET /ipfs/:cid?format=car` (or `Accept: application/vnd.ipld.car`): the DAG under cid as a CAR v1, every block
 *   once, parents first. Clients must verify it (fetchCar does); the server checks each block too as it reads it.
 * - `GET /ipfs/:cid/<path>`: one file inside a stored directory, as application/octet-stream (never a type a browser
 *   would render: results are untrusted). `GET /ipfs/:cid` alone serves cid if it is a file.
 *
 * 400 for a malformed CID, path or format; 404 for a CID the store lacks or a path not in it. A CID is served only
 * if its whole DAG is stored (the blockstore invariant, see createBlockstore.ts).
 *
 * Not wrapped in fastify-plugin on purpose: its error handler stays inside this plugin.
 */
export const carRoutes: FastifyPluginAsync<CarRoutesOptions> = async (app, options) => {
  const { blockstore } = options;
  const reader = verifyingReader(blockstore);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof InvalidCidError || error instanceof NotAFileError || error instanceof UnsupportedEntryError) {
      return reply.code(400).send({ code: error.code, message: error.message });
    }
    if (error instanceof ContentNotFoundError) {
      return reply.code(404).send({ code: error.code, message: error.message });
    }
    if (error.validation !== undefined) {
      return reply.code(400).send({ code: "INVALID_REQUEST", message: error.message });
    }
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ code: error.code ?? "BAD_REQUEST", message: error.message });
    }
    // Anything else is ours (a corrupt block, a disk error): log it whole, tell the client little.
    request.log.error({ err: error }, "storage request failed");
    const code = error instanceof LilypadError ? error.code : "INTERNAL";
    return reply.code(500).send({ code, message: "internal error" });
  });

  const routeOptions = {
    schema: { params: paramsSchema, querystring: querySchema, response: { 400: errorSchema, 404: errorSchema } },
  };

  const handler = async (
    request: FastifyRequest<{ Params: CidParams; Querystring: CarQuery }>,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    const root = parseCid(request.params.cid);
    const segments = parsePath(request.params["*"] ?? "");
    if (segments === undefined) {
      return reply.code(400).send({ code: "INVALID_PATH", message: "path segments may not be empty, '.' or '..'" });
    }
    const accept = request.headers.accept ?? "";
    const wantsCar = request.query.format === "car" || accept.includes("application/vnd.ipld.car");

    if (wantsCar && segments.length > 0) {
      // The trustless gateway's CAR for a path also carries the blocks along the path; we do not, so we say so
      // rather than answer with a CAR whose root is not the CID asked for.
      return reply.code(400).send({
        code: "CAR_PATH_UNSUPPORTED",
        message: "format=car is served for a bare CID only: resolve the path, then ask for its CID",
      });
    }
    if (!(await blockstore.has(root))) throw new ContentNotFoundError({ path: root.toString() });

    // fastify answers HEAD with the GET handler and drains (reads to the end) a stream body, which would walk the
    // whole DAG; an empty stream instead keeps the headers (content-length included) and costs nothing.
    const head = request.method === "HEAD";
    if (wantsCar) {
      reply
        .header("content-type", CAR_CONTENT_TYPE)
        .header("cache-control", IMMUTABLE)
        .header("etag", `"${root}.car"`)
        .header("x-content-type-options", "nosniff");
      return reply.send(Readable.from(head ? [] : exportCar({ blockstore, root })));
    }

    const entry = await resolvePath(root, segments);
    const dagPath = [root.toString(), ...segments].join("/");
    if (!isPlainFile(entry)) throw new NotAFileError({ path: dagPath });
    reply
      .header("content-type", "application/octet-stream")
      .header("content-length", entry.size.toString())
      .header("cache-control", IMMUTABLE)
      .header("etag", `"${dagPath}"`)
      .header("x-content-type-options", "nosniff");
    return reply.send(Readable.from(head ? [] : entry.content()));
  };

  app.get<{ Params: CidParams; Querystring: CarQuery }>("/ipfs/:cid", routeOptions, handler);
  app.get<{ Params: CidParams; Querystring: CarQuery }>("/ipfs/:cid/*", routeOptions, handler);

  /** Walks names from root, one directory at a time, matching each name exactly. */
  async function resolvePath(root: CID, segments: string[]): Promise<UnixFSEntry> {
    let entry = await exportEntry(root, root.toString(), reader, undefined);
    let dagPath = root.toString();
    for (const segment of segments) {
      if (entry.type !== "directory") throw new ContentNotFoundError({ path: `${dagPath}/${segment}` });
      let next: CID | undefined;
      for await (const child of entry.entries()) {
        if (child.name === segment) {
          next = child.cid;
          break;
        }
      }
      dagPath = `${dagPath}/${segment}`;
      if (next === undefined) throw new ContentNotFoundError({ path: dagPath });
      entry = await exportEntry(next, dagPath, reader, undefined);
    }
    return entry;
  }
};

function parseCid(value: string): CID {
  try {
    return CID.parse(value);
  } catch (error) {
    throw new InvalidCidError({ value, cause: error });
  }
}

/**
 * "a/b.txt" to ["a", "b.txt"]; a trailing "/" is allowed. Empty, "." and ".." segments give undefined: names are
 * matched exactly, so they could never escape anything, but a client that sends them has a bug worth a 400.
 */
function parsePath(path: string): string[] | undefined {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  if (trimmed === "") return [];
  const segments = trimmed.split("/");
  return segments.every(isSafeName) ? segments : undefined;
}
