// The mediator's judgement of one challenged deal: re-run the job and compare the result CID, the output hash and
// the instruction count with what the provider posted. Only a re-run that ended on its own, or at a limit every
// honest run reaches identically, may decide the ruling. A re-run stopped where another might not have been (the
// wall clock, the host's stack or memory, a crash: `failed` from runDealJob) says nothing about the provider, so
// it is tried once more with RETRY_WALL_CLOCK_FACTOR times the wall clock (a busy or slow mediator is the usual
// cause), and if that fails too the mediator abstains: no ruling, the deal closes at its mediation timeout and both
// sides get back exactly what they locked. Ruling against the provider there would let a creator pick inputs near
// a limit and have honest providers ruled wrong whenever the mediator was busier than they were.
import type { Result } from "../core/dealTypes.ts";
import type { DealJobFailed, RunDealJobResult } from "../modules/runDealJob.ts";

/** How much longer the second re-run may take than the module's own wall clock. */
export const RETRY_WALL_CLOCK_FACTOR = 4;

export type Verdict =
  | {
      kind: "ruling";
      providerRight: boolean;
      /** What differed, when the provider was wrong. */
      reason?: string;
    }
  | {
      kind: "abstain";
      /** Why no re-run could decide it. */
      reason: string;
    };

export interface JudgeRerunParameters {
  /** The result the provider posted on chain. */
  posted: Result;
  /** Re-runs the deal's job under `wallClockFactor` times the module's wall clock. */
  rerun: (options: { wallClockFactor: number }) => Promise<RunDealJobResult>;
  /** Told of a re-run that failed before the next is tried. */
  onFailedRun?: (failed: DealJobFailed, attempt: number) => void;
}

export async function judgeRerun(params: JudgeRerunParameters): Promise<Verdict> {
  let run = await params.rerun({ wallClockFactor: 1 });
  if (run.kind === "failed") {
    params.onFailedRun?.(run, 1);
    run = await params.rerun({ wallClockFactor: RETRY_WALL_CLOCK_FACTOR });
  }
  if (run.kind === "failed") {
    params.onFailedRun?.(run, 2);
    return {
      kind: "abstain",
      reason: `the re-run was stopped where another run might not have been (${run.reason}), twice: nothing to compare`,
    };
  }
  const { posted } = params;
  const differences = [
    run.result.cidDigest !== posted.cidDigest ? `result CID digest ${posted.cidDigest} (re-run: ${run.result.cidDigest})` : undefined,
    run.result.outputHash !== posted.outputHash ? "output hash" : undefined,
    run.result.instructions !== posted.instructions ? `instructions ${posted.instructions} (re-run: ${run.result.instructions})` : undefined,
  ].filter((d): d is string => d !== undefined);
  return differences.length === 0 ? { kind: "ruling", providerRight: true } : { kind: "ruling", providerRight: false, reason: differences.join("; ") };
}
