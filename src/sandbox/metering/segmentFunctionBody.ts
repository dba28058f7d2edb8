// Cuts a function body into segments: maximal runs of instructions that control can only enter at the first one
// and that, barring a trap or exception, run to the last one. The metering pass charges each segment's length
// once, on entry. See meterFunctionBody.ts for how the segments are charged and what that counts.
//
// A segment starts where control can arrive other than by falling through (function entry, loop header, then-
// and else-arm, catch handler, after an `end`) or after an instruction that may not fall through (a branch,
// call, return, throw or unreachable). A `block`, `try` or `try_table` opener does not end a segment: control
// enters it only by falling through, so it belongs with what precedes it. Calls end a segment so that a callee's
// trap or exception is not charged for the caller's code after the call.
import { EMPTY_BLOCK_TYPE, Op } from "./opcodes.ts";
import { readInstruction } from "./readInstruction.ts";
import type { WasmReader } from "./wasmReader.ts";
import { skipValType } from "./wasmTypes.ts";
import { readU32 } from "./leb128.ts";

/**
 * The segments of one body, as parallel arrays indexed by segment. The arrays are reused by the next call, so
 * read them before segmenting another body.
 */
export interface BodySegments {
  /** Offset where the instructions start (after the locals). */
  codeStart: number;
  /** Offset of each segment's first instruction; a segment ends where the next starts (the last, at the body end). */
  starts: number[];
  /** Original instructions in each segment. */
  counts: number[];
  /** False for segments that cannot execute (after an unconditional branch, up to the enclosing `end`, `else`, `catch`). */
  live: boolean[];
  /**
   * Offset of the `br_if` ending the segment when the segment is to be charged together with the next one, -1
   * otherwise. That is when the `br_if` leaves a block whose label carries no values: a refund can then be put on
   * the taken edge, and it is the edge usually not taken (a loop's exit test). A `br_if` back to a loop header is
   * usually taken, so folding there would cost a refund on every iteration instead of saving a charge.
   */
  brIfAt: number[];
  /** The label of that `br_if`. */
  brIfLabel: number[];
  /** Original instructions in the body. */
  instructions: number;
}

const Frame = { function: 0, block: 1, loop: 2, if: 3, else: 4, try: 5, catch: 6 } as const;

const starts: number[] = [];
const counts: number[] = [];
const live: boolean[] = [];
const brIfAt: number[] = [];
const brIfLabel: number[] = [];
const frameKinds: number[] = [];
/** Whether a `br_if` to the frame's label may fold its fall-through (see `brIfAt`). */
const frameFoldsBrIf: boolean[] = [];

/**
 * Segments the body read by `body`. `globalCount` is the number of globals the module itself has (imported and
 * defined): an instruction naming a global at or past it is refused, because after the pass appends its own
 * globals that index would name the counter, and a module could reset its own count.
 */
export function segmentFunctionBody(body: WasmReader, globalCount: number): BodySegments {
  const localGroups = body.u32();
  for (let i = 0; i < localGroups; i++) {
    body.u32();
    skipValType(body);
  }
  const codeStart = body.pos;
  const bytes = body.bytes;

  starts.length = 0;
  counts.length = 0;
  live.length = 0;
  brIfAt.length = 0;
  brIfLabel.length = 0;
  frameKinds.length = 0;
  frameFoldsBrIf.length = 0;
  // The function's label carries its results, which this pass does not look up.
  frameKinds.push(Frame.function);
  frameFoldsBrIf.push(false);

  // 0 while the current code can execute; otherwise the frame depth at which it became unreachable.
  let deadAtDepth = 0;
  let segmentStart = codeStart;
  let segmentLive = true;
  let count = 0;
  let instructions = 0;

  for (;;) {
    if (body.atEnd) throw body.invalid("function body ends without its final end");
    const at = body.pos;
    const op = readInstruction(body);
    count++;
    let endsSegment = true;
    let foldableBrIf = false;
    let label = 0;
    switch (op) {
      case Op.block:
      case Op.tryTable:
      case Op.try:
        // A block's label carries its results: none for the empty block type.
        frameKinds.push(op === Op.try ? Frame.try : Frame.block);
        frameFoldsBrIf.push(bytes[at + 1] === EMPTY_BLOCK_TYPE);
        endsSegment = false;
        break;
      case Op.loop:
        frameKinds.push(Frame.loop);
        frameFoldsBrIf.push(false);
        break;
      case Op.if:
        frameKinds.push(Frame.if);
        frameFoldsBrIf.push(bytes[at + 1] === EMPTY_BLOCK_TYPE);
        break;
      case Op.else:
        switchFrame(body, at, Frame.if, Frame.if, Frame.else, "else outside if");
        if (deadAtDepth === frameKinds.length) deadAtDepth = 0;
        break;
      case Op.catch:
      case Op.catchAll:
        switchFrame(body, at, Frame.try, Frame.catch, Frame.catch, "catch outside try");
        if (deadAtDepth === frameKinds.length) deadAtDepth = 0;
        break;
      case Op.delegate:
        if (frameKinds[frameKinds.length - 1] !== Frame.try) throw body.invalid("delegate outside try", at);
        popFrame();
        if (deadAtDepth > frameKinds.length) deadAtDepth = 0;
        break;
      case Op.end:
        popFrame();
        if (deadAtDepth > frameKinds.length) deadAtDepth = 0;
        break;
      case Op.br:
      case Op.brTable:
      case Op.return:
      case Op.unreachable:
      case Op.throw:
      case Op.rethrow:
      case Op.throwRef:
      case Op.returnCall:
      case Op.returnCallIndirect:
      case Op.returnCallRef:
        if (deadAtDepth === 0) deadAtDepth = frameKinds.length;
        break;
      case Op.brIf: {
        label = readU32({ bytes, pos: at + 1, end: body.pos });
        const target = frameKinds.length - 1 - label;
        if (target < 0) throw body.invalid(`br_if to label ${label} outside the function`, at);
        foldableBrIf = segmentLive && frameFoldsBrIf[target] === true;
        break;
      }
      case Op.globalGet:
      case Op.globalSet: {
        const index = readU32({ bytes, pos: at + 1, end: body.pos });
        if (index >= globalCount) throw body.invalid(`global index ${index} out of range`, at);
        endsSegment = false;
        break;
      }
      case Op.brOnNull:
      case Op.brOnNonNull:
      case Op.call:
      case Op.callIndirect:
      case Op.callRef:
        break;
      default:
        endsSegment = false;
    }
    if (!endsSegment) continue;

    starts.push(segmentStart);
    counts.push(count);
    live.push(segmentLive);
    brIfAt.push(foldableBrIf ? at : -1);
    brIfLabel.push(label);
    instructions += count;
    if (frameKinds.length === 0) break;
    count = 0;
    segmentStart = body.pos;
    segmentLive = deadAtDepth === 0;
  }
  body.expectEnd("function body");
  return { codeStart, starts, counts, live, brIfAt, brIfLabel, instructions };
}

function popFrame(): void {
  frameKinds.pop();
  frameFoldsBrIf.pop();
}

/** `else` and `catch` turn the innermost frame into its next arm; anywhere else they are malformed. */
function switchFrame(body: WasmReader, at: number, expectedA: number, expectedB: number, next: number, reason: string): void {
  const top = frameKinds.length - 1;
  if (top < 0 || (frameKinds[top] !== expectedA && frameKinds[top] !== expectedB)) throw body.invalid(reason, at);
  frameKinds[top] = next;
}
