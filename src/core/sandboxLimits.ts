// The ways the sandbox stops a job before it ends on its own, as one typed list. The codes cross roles: the
// provider writes one into a result record (`limit` file, exit code 137), the mediator and creators read it, and
// the sandbox's errors carry it. Each says whether every honest run of the same job stops there identically; only
// those stops may be posted as a result and judged (docs/security.md, "A job built to hit its own limits").
import { z } from "zod";
import { isExactlyMetered, type ModuleEngine } from "./moduleManifest.ts";

export const sandboxLimitCodeSchema = z.enum([
  "INSTRUCTION_BUDGET_EXCEEDED",
  "MEMORY_LIMIT_EXCEEDED",
  "OUTPUT_LIMIT_EXCEEDED",
  "TIMEOUT",
  "STACK_OVERFLOW",
  "HOST_OUT_OF_MEMORY",
  "SANDBOX_CRASHED",
]);
export type SandboxLimitCode = z.infer<typeof sandboxLimitCodeSchema>;

export interface SandboxLimit {
  /**
   * Whether a metered run reaches this stop as a pure function of (module, inputs, seed): then an honest re-run
   * stops at the same place with the same bytes, and the stop is a result.
   */
  reproducible: boolean;
  /** What enforces it, and so why it is (or is not) reproducible. */
  enforcedBy: string;
}

export const SANDBOX_LIMITS: Readonly<Record<SandboxLimitCode, SandboxLimit>> = {
  INSTRUCTION_BUDGET_EXCEEDED: {
    reproducible: true,
    enforcedBy: "the metering pass's counter, checked by code rewritten into the module (bulk memory costs by size)",
  },
  MEMORY_LIMIT_EXCEEDED: {
    reproducible: true,
    enforcedBy: "the maximum rewritten into the module's memory: memory.grow past it returns -1 inside the module",
  },
  OUTPUT_LIMIT_EXCEEDED: { reproducible: true, enforcedBy: "the deterministic WASI layer counting the bytes written" },
  TIMEOUT: { reproducible: false, enforcedBy: "the host's wall clock: how far a job gets depends on the machine and its load" },
  STACK_OVERFLOW: {
    reproducible: false,
    enforcedBy: "V8's native stack: frame sizes change when a function is tiered up, which happens on background threads",
  },
  HOST_OUT_OF_MEMORY: {
    reproducible: false,
    enforcedBy: "the host refusing memory the job's limit allows (instantiating, or a memory.grow under the cap)",
  },
  SANDBOX_CRASHED: { reproducible: false, enforcedBy: "nothing: the sandbox process died (a bug, or the host killed it)" },
};

/**
 * Whether a run of `engine` stopped at `code` is a result (posted as a limit record, and judged by comparing
 * re-runs). Only reproducible stops of an exactly metered engine are: the js engine's limits are host watchdogs
 * (isExactlyMetered). Anything else is a failed run: the provider posts nothing, and a mediator whose re-run stops
 * there does not rule on it.
 */
export function limitIsResult(code: SandboxLimitCode, engine: ModuleEngine): boolean {
  return SANDBOX_LIMITS[code].reproducible && isExactlyMetered(engine);
}

/** The exit code of a limit record: the job was stopped, as a shell reports a SIGKILL. */
export const LIMIT_EXIT_CODE = 137;
