// Rewrites one function body so that it adds the instructions it executes to the metering counter.
//
// THE COUNTING RULE. Every instruction of the original body counts 1 each time it executes, whatever it is:
// `nop`, `block`, `loop`, `if`, `else`, `end` (the function's final `end` too), branches, calls, `unreachable`; an
// 0xfc- or 0xfd-prefixed instruction is one instruction. Structural instructions execute only when reached by
// falling through: a taken branch skips the `end` of the block it leaves (the branch itself counts); an `if` whose
// condition is false jumps past the `else` to the else-arm (or past the `end`, without one); a then-arm that
// falls into `else` counts the `else` and then skips the `end`; `catch`, `catch_all` and `delegate` behave like
// `else`. A call counts 1 in the caller, and the callee counts its own instructions. A bulk memory or table
// instruction (memory.fill/copy/init, table.fill/copy/init/grow) counts 1 plus its size: one more per 8 bytes,
// or per table entry, of its length operand, charged just before it runs (copyInstructions.ts). Instructions the
// pass injects never count. So a run that returns (or leaves through an import, like WASI's proc_exit) has
// counted exactly the original instructions it executed and the sizes of its bulk instructions, and the count
// depends only on the module and its inputs.
//
// HOW. The body is cut into segments (segmentFunctionBody.ts): stretches control enters only at the top and
// leaves only at the bottom, barring traps and exceptions. Every path through the function must add exactly the
// lengths of the segments it runs; the pass places the additions so that few of them execute:
// - a segment is charged on entry, `counter += n`, for itself and for what is folded into it:
// - a `br_if` leaving a block whose label carries no values folds the segment after it (its fall-through), and
//   becomes `if (counter += adjustment; br label+1) end`, paying back on the taken edge what the fall-through
//   would have run. A loop with several exit tests pays one charge per iteration instead of one per test;
// - an `if` folds its then-arm, and the false edge pays it back: in the else-arm's own charge, or in an else-arm
//   the pass adds before the `end` of an `if` without one;
// - a join (what follows the `end` of a block or if/else) whose every incoming edge the pass controls (falling
//   into the `end` or `else`, a `br`, a folded `br_if`, the added else-arm) and that needs no budget check of its
//   own is charged on those edges instead of by itself: the segment ending in the `br` or `end` includes it, and
//   the `br_if` adjustments and the added else-arm add it.
// So a run that returns counts exactly. A trap has already been charged for the rest of the segment it happens
// in and for what was folded into it: deterministic, but more than what executed.
//
// WHERE THE COUNT LIVES. Charges add to an i64 local of the function (a register), loaded from the counter global
// on entry and after every call, and stored to the global before every instruction that takes control out of the
// frame: calls of every kind, returns, branches to the function's label, the final `end`, throws. So the host,
// and every callee, sees the exact count; a trap leaves the global short by what the frames on the stack counted
// since their last store, unless the module was instrumented `exactOnTrap`, which stores every charge at once (the
// sandbox runs a trapped job again that way: runWasmJob.ts). A body with a `try` or `try_table` keeps the count
// in the global alone: a caught exception arrives by an edge where no code can reload a local.
//
// THE BUDGET. A charge is followed by `if (counter > budget) { exhausted = 1; unreachable }` when its segment
// starts at the function entry or a loop header (so no loop or recursion escapes the check), or ends in an
// instruction that may hand control to the host: returning or branching out of the function, a tail call, a call
// to an import, or a call through a table or reference; and after every bulk instruction's size charge, before
// it runs, so a large one never runs past the budget. So the host never sees the counter above the budget: not
// in an import, not after a return; a run stopped for its budget traps with the flag set; the module's own traps
// leave the flag at 0. Between checks the counter may pass the budget by at most the loop-free code of one
// function. Because charges cover folded code that an exit may skip, a run may be stopped when its remaining
// budget is short of a charge even if it would have taken the exit and finished within budget.
import type { ByteWriter } from "./byteWriter.ts";
import { copyInstructions } from "./copyInstructions.ts";
import { emitAdd, emitCharge, emitCounterReload, emitCounterStore, type MeteringTarget } from "./emitMetering.ts";
import { readU32 } from "./leb128.ts";
import { EMPTY_BLOCK_TYPE, Op, ValType } from "./opcodes.ts";
import { segmentFunctionBody } from "./segmentFunctionBody.ts";
import type { WasmReader } from "./wasmReader.ts";

export type { MeteringTarget };

export interface MeterFunctionBodyParameters {
  /** A reader over exactly one function body (locals and code, without the size prefix). */
  body: WasmReader;
  /** Receives the rewritten body, without its size prefix. */
  out: ByteWriter;
  /** The module's metering state; its `counterLocal` is ignored (the body gets its own). */
  target: MeteringTarget;
  /** Parameters the function takes: its locals are numbered after them. */
  params: number;
}

export interface MeterFunctionBodyResult {
  /** Charges inserted. */
  charges: number;
  /** Original instructions in the body. */
  instructions: number;
}

/** The most locals (parameters included) a function may have in V8, and so in any module that runs here. */
const MAX_LOCALS = 50_000;

/** Instructions charged on entering each segment (its own, plus what is folded into it); reused. */
const charged: number[] = [];
/** Whether each segment's charge is followed by a budget check (its own need, or one in the chain); reused. */
const checked: boolean[] = [];
/** Whether each join is charged on its incoming edges instead of by itself; reused. */
const joinOnEdges: boolean[] = [];

export function meterFunctionBody(params: MeterFunctionBodyParameters): MeterFunctionBodyResult {
  const { body, out } = params;
  const bodyStart = body.pos;
  // The module's own globals are exactly those numbered below the counter, which is appended after them.
  const segments = segmentFunctionBody(body, { globalCount: params.target.counterGlobal, importedFunctions: params.target.importedFunctions });
  const { starts, counts, live, checks, brIfAt, brIfLabel, entersJoin, brIfJoin, isJoin, joinControlled, joinSegment } = segments;
  const { foldsThen, paysBackThen, addsElse, addsElseJoin, leavesAt } = segments;
  const n = starts.length;

  // Backwards, so that whatever a segment is charged for (the rest of its br_if chain, a join it enters) is known.
  // A join is charged on its edges when the pass controls them all and it needs no budget check of its own.
  charged.length = n;
  checked.length = n;
  joinOnEdges.length = joinControlled.length;
  joinOnEdges.fill(false);
  const joinCharge = (join: number): number => (join >= 0 && joinOnEdges[join] ? charged[joinSegment[join]!]! : 0);
  for (let i = n - 1; i >= 0; i--) {
    const folds = brIfAt[i]! >= 0 || foldsThen[i]!;
    charged[i] = counts[i]! + (folds ? charged[i + 1]! : joinCharge(entersJoin[i]!));
    checked[i] = checks[i]! || (folds && checked[i + 1]!);
    const join = isJoin[i]!;
    if (join >= 0) joinOnEdges[join] = joinControlled[join]! && !checked[i];
  }

  const bytes = body.bytes;
  // A caught exception enters its handler from a callee that counted since, on an edge where the pass can run no
  // code to reload a local: such bodies count in the global alone.
  const locals = params.params + segments.declaredLocals;
  const counterLocal = segments.catchesExceptions || locals >= MAX_LOCALS ? -1 : locals;
  const target: MeteringTarget = { ...params.target, counterLocal };
  if (counterLocal < 0) {
    out.bytes(bytes.subarray(bodyStart, segments.codeStart));
  } else {
    const cursor = { bytes, pos: bodyStart, end: segments.codeStart };
    out.u32(readU32(cursor) + 1);
    out.bytes(bytes.subarray(cursor.pos, segments.codeStart));
    out.u32(1);
    out.byte(ValType.i64);
    emitCounterReload(out, target);
  }
  let charges = 0;
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    const end = i + 1 < n ? starts[i + 1]! : body.end;
    const folded = i > 0 && (brIfAt[i - 1]! >= 0 || foldsThen[i - 1]!);
    const onEdges = isJoin[i]! >= 0 && joinOnEdges[isJoin[i]!]!;
    if (live[i] && !folded && !onEdges) {
      // An else-arm pays back the then-arm its `if` was charged for.
      const then = paysBackThen[i]!;
      const delta = then >= 0 ? charged[i]! - charged[then]! : charged[i]!;
      if (delta !== 0 || checked[i]!) {
        emitCharge(out, target, delta, checked[i]!);
        charges++;
      }
    }
    const then = addsElse[i]!;
    if (then >= 0) {
      // `end` is one byte and the last of this segment: insert `else counter += join - then` before it.
      const delta = joinCharge(addsElseJoin[i]!) - charged[then]!;
      copyInstructions(out, bytes, start, end - 1, target);
      if (delta !== 0) {
        out.byte(Op.else);
        emitAdd(out, target, delta);
      }
      out.byte(Op.end);
      continue;
    }
    const brIf = brIfAt[i]!;
    if (brIf < 0) {
      // A segment whose last instruction leaves the frame stores the count first (a folded br_if never does: it
      // targets a block inside the function).
      const leaves = leavesAt[i]!;
      if (leaves < 0) copyInstructions(out, bytes, start, end, target);
      else {
        copyInstructions(out, bytes, start, leaves, target);
        emitCounterStore(out, target);
        copyInstructions(out, bytes, leaves, end, target);
      }
      continue;
    }
    copyInstructions(out, bytes, start, brIf, target);
    // The taken edge skips the rest of the chain charged ahead, and enters the join if that is charged on edges.
    const adjustment = joinCharge(brIfJoin[i]!) - charged[i + 1]!;
    if (adjustment === 0) copyInstructions(out, bytes, brIf, end, target);
    else emitAdjustingBrIf(out, target, brIfLabel[i]!, adjustment);
  }
  return { charges, instructions: segments.instructions };
}

/** `br_if label` as `if counter += adjustment; br label+1 end` (the `if` adds one level of nesting). */
function emitAdjustingBrIf(out: ByteWriter, target: MeteringTarget, label: number, adjustment: number): void {
  out.byte(Op.if);
  out.byte(EMPTY_BLOCK_TYPE);
  emitAdd(out, target, adjustment);
  out.byte(Op.br);
  out.u32(label + 1);
  out.byte(Op.end);
}
