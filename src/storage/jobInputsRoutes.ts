import type { FastifyPluginAsync } from "fastify";
import type { Hex } from "viem";
import type { Blockstore } from "./createBlockstore.ts";
import { jobInputsBytesOf } from "./jobInputsBlock.ts";
import { readJobInputs } from "./readJobInputs.ts";

export interface JobInputsRoutesOptions {
  blockstore: Pick<Blockstore, "get" | "has">;
}

/** Where a deal's inputs are served: `${url}${JOB_INPUTS_PATH}/${inputsHash}`. */
export const JOB_INPUTS_PATH = "/inputs";

const paramsSchema = {
  type: "object",
  properties: { inputsHash: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } },
  required: ["inputsHash"],
} as const;

/**
 * `GET /inputs/:inputsHash`: the canonical JSON of a deal's inputs, by the keccak-256 its job offer committed to
 * (the deal's on-chain `inputsHash`), for whoever must re-run the deal. 404 when this store has none. Open, like
 * `/ipfs`: a hash names content, not people, and the client checks the bytes against the hash (fetchJobInputs).
 */
export const jobInputsRoutes: FastifyPluginAsync<JobInputsRoutesOptions> = async (app, { blockstore }) => {
  app.get<{ Params: { inputsHash: string } }>(`${JOB_INPUTS_PATH}/:inputsHash`, { schema: { params: paramsSchema } }, async (request, reply) => {
    const inputsHash = request.params.inputsHash.toLowerCase() as Hex;
    const inputs = await readJobInputs({ blockstore, inputsHash });
    if (inputs === undefined) return reply.code(404).send({ code: "CONTENT_NOT_FOUND", message: `no inputs ${inputsHash}` });
    return reply
      .header("content-type", "application/json")
      .header("cache-control", "public, max-age=29030400, immutable")
      .header("x-content-type-options", "nosniff")
      .send(Buffer.from(jobInputsBytesOf(inputs)));
  });
};
