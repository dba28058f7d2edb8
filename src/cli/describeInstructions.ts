// How a job's instruction count is shown. Only wasm runs are metered (isExactlyMetered): the js engine (ocr,
// classify) runs V8, whose work nothing counts deterministically, so its modules are priced per run and report 0.
// Showing that 0 as "instructions 0" would claim a measurement; we say "not metered" instead, and JSON keeps the
// "0" (for scripts that read it as a number) beside `metered: false`.
import { isExactlyMetered, type ModuleEngine } from "../core/moduleManifest.ts";

export interface DescribeInstructionsParameters {
  instructions: bigint;
  engine: ModuleEngine;
}

/** For the summary: "1,234,567", or "not metered (js engine, priced per run)". */
export function instructionsText({ instructions, engine }: DescribeInstructionsParameters): string {
  return isExactlyMetered(engine) ? instructions.toLocaleString("en-US") : `not metered (${engine} engine, priced per run)`;
}

/** For progress lines: "1,234,567 instructions", or "not metered". */
export function instructionsPhrase({ instructions, engine }: DescribeInstructionsParameters): string {
  return isExactlyMetered(engine) ? `${instructions.toLocaleString("en-US")} instructions` : "not metered";
}

/** For --json: `instructions` as a decimal string as before, and whether it measured anything. */
export function instructionsJson({ instructions, engine }: DescribeInstructionsParameters): { instructions: string; metered: boolean } {
  return { instructions: instructions.toString(), metered: isExactlyMetered(engine) };
}
