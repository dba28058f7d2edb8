// `lilypad run --detach`: submits the job and returns as soon as the solver has accepted the signed offer, printing
// only the deal id (or, with --json, `{dealId, status, moduleCid, creator}`). Nothing follows the job from here:
// `lilypad jobs get <deal-id>` collects it later, and until then its provider finalizes the deal once the judging
// window passes (see jobsGet.ts for who judges a detached job).
import type { Address } from "viem";
import { InvalidArgumentError } from "../core/errors.ts";
import { moduleCidOfDigest } from "../core/moduleId.ts";
import type { NetworkInfo } from "../core/network.ts";
import type { InputValue } from "../core/moduleInputs.ts";
import type { LilypadClient, RunOptions } from "../job-creator/lilypadClient.ts";
import type { CliContext } from "./context.ts";

/** A detached job needs a network that outlives this process: an embedded one would stop with it. */
export function assertDetachable(detach: boolean | undefined, network: NetworkInfo | undefined): void {
  if (!detach || network) return;
  throw new InvalidArgumentError({
    argument: "--detach",
    message: "--detach needs a running network: an embedded one would stop when this command ends, and the job with it",
    hint: "start one with `lilypad devnet` in another terminal, or name one with --network",
  });
}

export interface SubmitDetachedParameters {
  ctx: CliContext;
  client: LilypadClient;
  module: string;
  inputs: Record<string, InputValue>;
  options: RunOptions;
  json: boolean;
}

/** Submits the job and prints its deal id; resolves once the solver has accepted it. */
export async function submitDetached({ ctx, client, module, inputs, options, json }: SubmitDetachedParameters): Promise<void> {
  const handle = await client.submit(module, inputs, options);
  // Nothing follows the job in this process: closing the client ends the handle's wait, which is expected.
  handle.result.catch(() => {});
  if (!json) {
    ctx.stdout(`${handle.dealId}\n`);
    ctx.stderr(`submitted; follow it with \`lilypad jobs logs ${handle.dealId} -f\`, collect it with \`lilypad jobs get ${handle.dealId}\`\n`);
    return;
  }
  const { record } = await client.solver.getJob(handle.dealId);
  const creator: Address = record.creator;
  ctx.stdout(`${JSON.stringify({ dealId: handle.dealId, status: record.status, moduleCid: moduleCidOfDigest(record.moduleId), creator })}\n`);
}
