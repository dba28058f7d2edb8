// The one place where a chain or solver that does not answer becomes a sentence a user can act on. Commands reach
// the chain through viem (whose transport must keep throwing viem's own HttpRequestError, so that viem's retry rules
// hold) and the solver through SolverClient; any of them can meet a node that is down. Rather than wrap every call,
// main() passes whatever a command threw through here before reporting it.
import { BaseError, HttpRequestError, TimeoutError } from "viem";
import { RpcUnreachableError } from "../chain/chainErrors.ts";
import { LilypadError } from "../core/errors.ts";
import { SolverRequestError } from "../net/solverClient.ts";

export interface ExplainConnectionFailureParameters {
  error: unknown;
  /** The --network the command was given (or LILYPAD_NETWORK), when one was. */
  network: string | undefined;
}

/** The devnet's own ports: a local chain or solver there that does not answer is a devnet that is not running. */
const DEVNET_PORTS = new Set(["8545", "8546", "8547"]);

/**
 * `error` as a LilypadError saying which chain or solver did not answer (and on which network) with a hint to fix it,
 * if it is such a failure; otherwise `error` itself.
 */
export function explainConnectionFailure({ error, network }: ExplainConnectionFailureParameters): unknown {
  if (error instanceof BaseError) {
    const http = error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError);
    // A status means the node answered (with an error page): that is not "cannot reach".
    if (http instanceof HttpRequestError && http.status === undefined) {
      return new RpcUnreachableError({ url: http.url, network, reason: reasonOf(http.url, http.details), hint: hintFor(http.url, network, "--rpc-url", "rpcUrl"), cause: error });
    }
    if (http instanceof TimeoutError) {
      const url = /url: (\S+)/i.exec(http.metaMessages?.join("\n") ?? "")?.[1] ?? "its RPC URL";
      return new RpcUnreachableError({ url, network, reason: "it did not answer in time", hint: hintFor(url, network, "--rpc-url", "rpcUrl"), cause: error });
    }
    return error;
  }
  if (error instanceof SolverRequestError && error.code === "SOLVER_UNREACHABLE" && error.hint === undefined) {
    const url = /https?:\/\/\S+/.exec(error.message)?.[0];
    return new LilypadError({
      code: error.code,
      message: `${error.message}${network ? ` (network ${network})` : ""}`,
      hint: hintFor(url, network, "--solver-url", "solverUrl"),
      cause: error,
    });
  }
  return error;
}

function reasonOf(url: string, details: string | undefined): string {
  if (!details) return "no answer";
  // Our transport prefixes the origin, which the message already names.
  const origin = URL.canParse(url) ? new URL(url).origin : url;
  return details.startsWith(`${origin}: `) ? details.slice(origin.length + 2) : details;
}

function hintFor(url: string | undefined, network: string | undefined, flag: string, field: string): string {
  const local = url !== undefined && URL.canParse(url) && ["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname) && DEVNET_PORTS.has(new URL(url).port);
  if (network === "devnet" || (network === undefined && local)) return `start it with \`lilypad devnet\`, or point ${flag} at a running node`;
  return `check ${flag} (or the network file's ${field}) and that it is up`;
}
