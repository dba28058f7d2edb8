// Rewrites one function body so that it adds the instructions it executes to the metering counter.
//
// THE COUNTING RULE. Every instruction of the original body counts 1 each time it executes, whatever it is:
// `nop`, `block`, `loop`, `if`, `else`, `end` (the function's final `end` too), branches, calls, `unreachable`; an
// 0xfc- or 0xfd-prefixed instruction is one instruction. Structural instructions execute only when reached by
// falling through: a taken branch skips the `end` of the block it leaves (the branch itself counts); an `if` whose
// condition is false jumps past the `else` to the else-arm (or past the `end`, without one); a then-arm that
// falls into `else` counts the `else` and then skips the `end`; `catch`, `catch_all` and `delegate` behave like
// `else`. A call counts 1 in the caller, and the callee counts its own instructions. Instructions the pass
// injects never count. So a run that returns (or leaves through an import, like WASI's proc_exit) has counted
// exactly the original instructions it executed, and the count depends only on the module and its inputs.
//
// Traps: instructions are charged on entering their segment, a stretch control can only enter at the top
// (segmentFunctionBody.ts). A trap in a segment has already been charged for the rest of it, and for the segments
// folded into it (below): deterministic, but more than what executed.
//
// Folding: a segment ending in a `br_if` that leaves a block whose label carries no values is charged together
// with the segment after it (and so on down a chain of such `br_if`s), and the `br_if` becomes
// `if (counter -= rest; br label+1) end`, refunding on the taken edge what the fall-through would have run. A loop
// with several exit tests then pays one charge per iteration instead of one per test.
//
// The budget: after every charge, if `counter > budget`, the injected code sets the exhausted flag to 1 and
// executes `unreachable`. So a run that returns ends with counter <= budget; a run stopped for its budget traps
// with the flag set; and the module's own traps leave the flag at 0. Because a charge covers what is about to
// run, including folded segments an exit may skip, a run can be stopped when fewer than that many instructions
// of budget remain, even if it would have taken the exit and finished within budget.
import type { ByteWriter } from "./byteWriter.ts";
import { EMPTY_BLOCK_TYPE, Op } from "./opcodes.ts";
import { segmentFunctionBody } from "./segmentFunctionBody.ts";
import type { WasmReader } from "./wasmReader.ts";

/** Where the metering state lives, and the budget it enforces. */
export interface MeteringTarget {
  /** Index of the mutable i64 instruction counter global. */
  counterGlobal: number;
  /** Index of the mutable i32 exhausted flag global. */
  exhaustedGlobal: number;
  /** The budget, already encoded as an i64.const immediate (signed LEB128). */
  budgetImmediate: Uint8Array;
}

export interface MeterFunctionBodyParameters {
  /** A reader over exactly one function body (locals and code, without the size prefix). */
  body: WasmReader;
  /** Receives the rewritten body, without its size prefix. */
  out: ByteWriter;
  target: MeteringTarget;
}

export interface MeterFunctionBodyResult {
  /** Charges inserted. */
  charges: number;
  /** Original instructions in the body. */
  instructions: number;
}

/** Instructions charged on entering each segment (its own, plus the chain folded into it); reused. */
const charged: number[] = [];

export function meterFunctionBody(params: MeterFunctionBodyParameters): MeterFunctionBodyResult {
  const { body, out, target } = params;
  const bodyStart = body.pos;
  // The module's own globals are exactly those numbered below the counter, which is appended after them.
  const segments = segmentFunctionBody(body, target.counterGlobal);
  const { starts, counts, live, brIfAt, brIfLabel } = segments;
  const n = starts.length;

  // A segment whose br_if folds its successor is charged for the successor's charge too.
  charged.length = n;
  for (let i = n - 1; i >= 0; i--) {
    charged[i] = counts[i]! + (brIfAt[i]! >= 0 ? charged[i + 1]! : 0);
  }

  const bytes = body.bytes;
  out.bytes(bytes.subarray(bodyStart, segments.codeStart));
  let charges = 0;
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    const end = i + 1 < n ? starts[i + 1]! : body.end;
    const folded = i > 0 && brIfAt[i - 1]! >= 0;
    if (live[i] && !folded) {
      emitCharge(out, target, charged[i]!);
      charges++;
    }
    const brIf = brIfAt[i]!;
    if (brIf < 0) {
      out.bytes(bytes.subarray(start, end));
    } else {
      out.bytes(bytes.subarray(start, brIf));
      emitRefundingBrIf(out, target, brIfLabel[i]!, charged[i + 1]!);
    }
  }
  return { charges, instructions: segments.instructions };
}

/** counter += n; if (counter > budget) { exhausted = 1; unreachable } */
function emitCharge(out: ByteWriter, target: MeteringTarget, n: number): void {
  out.byte(Op.globalGet);
  out.u32(target.counterGlobal);
  out.byte(Op.i64Const);
  out.sNonNegative(n);
  out.byte(Op.i64Add);
  out.byte(Op.globalSet);
  out.u32(target.counterGlobal);
  out.byte(Op.globalGet);
  out.u32(target.counterGlobal);
  out.byte(Op.i64Const);
  out.bytes(target.budgetImmediate);
  out.byte(Op.i64GtU);
  out.byte(Op.if);
  out.byte(EMPTY_BLOCK_TYPE);
  out.byte(Op.i32Const);
  out.byte(1);
  out.byte(Op.globalSet);
  out.u32(target.exhaustedGlobal);
  out.byte(Op.unreachable);
  out.byte(Op.end);
}

/** `br_if label` as `if counter -= refund; br label+1 end` (the `if` adds one level of nesting). */
function emitRefundingBrIf(out: ByteWriter, target: MeteringTarget, label: number, refund: number): void {
  out.byte(Op.if);
  out.byte(EMPTY_BLOCK_TYPE);
  out.byte(Op.globalGet);
  out.u32(target.counterGlobal);
  out.byte(Op.i64Const);
  out.sNonNegative(refund);
  out.byte(Op.i64Sub);
  out.byte(Op.globalSet);
  out.u32(target.counterGlobal);
  out.byte(Op.br);
  out.u32(label + 1);
  out.byte(Op.end);
}
