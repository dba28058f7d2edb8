import type { IncomingMessage } from "node:http";
import type { Hex } from "viem";
import { LilypadError } from "../core/errors.ts";
import type { ResolvedInputs } from "../core/moduleInputs.ts";
import { httpRequest } from "../net/httpRequest.ts";
import { decodeJobInputs, MAX_JOB_INPUTS_BYTES } from "./jobInputsBlock.ts";
import { JOB_INPUTS_PATH } from "./jobInputsRoutes.ts";

/** A silent server has failed the request after this long. */
const IDLE_TIMEOUT_MS = 30_000;

/** A server did not answer a request for a deal's inputs with 200 and a body. */
export class JobInputsFetchError extends LilypadError {
  readonly url: string;
  readonly status: number | undefined;

  constructor(params: { url: string; status?: number; reason: string; cause?: unknown }) {
    super({ code: "JOB_INPUTS_FETCH_FAILED", message: `cannot fetch ${params.url}: ${params.reason}`, cause: params.cause });
    this.name = "JobInputsFetchError";
    this.url = params.url;
    this.status = params.status;
  }
}

export interface FetchJobInputsParameters {
  /** The server's base URL (a resource provider's, a mediator's, any store that serves jobInputsRoutes). */
  url: string;
  /** The deal's on-chain inputsHash. */
  inputsHash: Hex;
  signal?: AbortSignal;
  /** Refuse loopback, private and link-local addresses (PrivateAddressError): for a URL another party chose, off a devnet. */
  refusePrivateAddresses?: boolean;
}

/**
 * Downloads a deal's inputs and checks them against its on-chain `inputsHash` (decodeJobInputs): the server is not
 * trusted, only the hash is. Throws JobInputsFetchError (unreachable, not 200) or JobInputsMismatchError.
 */
export async function fetchJobInputs({ url: base, inputsHash, signal, refusePrivateAddresses }: FetchJobInputsParameters): Promise<ResolvedInputs> {
  const url = `${base.replace(/\/+$/, "")}${JOB_INPUTS_PATH}/${inputsHash}`;
  let response: IncomingMessage;
  try {
    response = await httpRequest(url, { headers: { accept: "application/json" }, signal, idleTimeoutMs: IDLE_TIMEOUT_MS, refusePrivateAddresses });
  } catch (error) {
    throw new JobInputsFetchError({ url, reason: (error as Error).message, cause: error });
  }
  const status = response.statusCode ?? 0;
  if (status !== 200) {
    response.resume();
    throw new JobInputsFetchError({ url, status, reason: `HTTP ${status}` });
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      length += chunk.length;
      chunks.push(chunk);
      // One byte over is enough for decodeJobInputs to refuse it.
      if (length > MAX_JOB_INPUTS_BYTES) {
        response.destroy();
        break;
      }
    }
  } catch (error) {
    throw new JobInputsFetchError({ url, reason: `download failed: ${(error as Error).message}`, cause: error });
  }
  return decodeJobInputs(Buffer.concat(chunks), inputsHash);
}
