// Cuts a function body into segments: maximal runs of instructions that control can only enter at the first one
// and that, barring a trap or exception, run to the last one, and records how control moves between them. The
// metering pass charges each segment's length once per execution, on entry or ahead of it on the edges leading
// there: see meterFunctionBody.ts for how, and for what that counts.
//
// A segment starts where control can arrive other than by falling through: the function entry, a loop header,
// the then- and else-arm of an `if`, a catch handler, and after the `end` of a block that a branch targets or of
// an `if` or `try`. It also starts after an instruction that may not fall through: a branch, call, return, throw
// or unreachable. Calls end a segment so that a callee's trap or exception (or WASI's proc_exit, which unwinds
// through the caller) is not charged for the caller's code after the call. Openers of blocks (`block`, `try`,
// `try_table`) do not end a segment: control enters a block only by falling through. Nor does the `end` of a loop
// or of a block no branch targets: control reaches what follows only by falling through.
import { EMPTY_BLOCK_TYPE, Op } from "./opcodes.ts";
import { readInstruction } from "./readInstruction.ts";
import { readU32 } from "./leb128.ts";
import { WasmReader } from "./wasmReader.ts";
import { skipBlockType, skipValType } from "./wasmTypes.ts";

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
   * True for segments after whose charge the budget must be checked: those that start at the function entry or a
   * loop header (so that no loop or recursion runs unchecked), and those whose last instruction may hand control
   * to the host (a return or branch out of the function, a tail call, a call to an import or through a table or
   * reference), so that the host never sees a count above the budget.
   */
  checks: boolean[];
  /**
   * Offset of the `br_if` ending the segment when the segment is to be charged together with the next one, -1
   * otherwise. That is when the `br_if` leaves a block whose label carries no values: a refund can then be put on
   * the taken edge, and it is the edge usually not taken (a loop's exit test). A `br_if` back to a loop header is
   * usually taken, so folding there would cost a refund on every iteration instead of saving a charge.
   */
  brIfAt: number[];
  /** The label of that `br_if`. */
  brIfLabel: number[];
  /**
   * Joins are the segments that start after the `end` of a block or an if/else, which several edges enter. When
   * the pass controls all of those edges (falling into the `end` or the `else`, `br`, and folded `br_if`), it can
   * charge the join on each edge instead of at the join. For each segment: the join its last instruction always
   * enters (a `br`, or the `end` or `else` it falls into), or -1.
   */
  entersJoin: number[];
  /** For each segment ending in a `br_if`: the join its taken edge enters, or -1. */
  brIfJoin: number[];
  /** For each segment: the join it is, or -1. */
  isJoin: number[];
  /** For each join: whether every edge into it is one the pass controls. */
  joinControlled: boolean[];
  /** For each join: its segment, or -1 if no segment starts there (a block no branch targets). */
  joinSegment: number[];
  /**
   * True for segments ending in an executable `if`: the then-arm (the next segment) is charged with them, and the
   * false edge pays it back, in the else-arm's charge or in an else-arm the pass adds (see `addsElse`).
   */
  foldsThen: boolean[];
  /** For a segment starting an else-arm of such an `if`: the then-arm segment whose charge it pays back; else -1. */
  paysBackThen: number[];
  /**
   * For a segment ending in the `end` of such an `if` without `else`: the then-arm segment; the pass inserts an
   * else-arm before that `end` to pay it back (and charge the join after the `end`, if charged on edges). Else -1.
   */
  addsElse: number[];
  /** For those segments: the join after the `if`. */
  addsElseJoin: number[];
  /** Original instructions in the body. */
  instructions: number;
  /**
   * For each segment: the offset of its last instruction when that may take control out of this function's
   * frame (a call of any kind, a return, a branch to the function's label, the final `end`, a throw), else -1.
   * A counter kept in a local must be in the global before such an instruction runs.
   */
  leavesAt: number[];
  /** Locals the body declares (parameters not included). */
  declaredLocals: number;
  /**
   * Whether the body has a `try` or `try_table`: an exception caught there arrives from a callee that has counted
   * since, by an edge on which the pass can run no code.
   */
  catchesExceptions: boolean;
}

/** What the segmenter needs to know about the module. */
export interface ModuleShape {
  /**
   * Globals the module itself has, imported and defined. An instruction naming a global at or past this is
   * refused: once the pass appends its own globals, that index would name the counter, and a module could reset
   * its own count.
   */
  globalCount: number;
  /** Imported functions: a call to one of these reaches the host. */
  importedFunctions: number;
}

const Frame = { function: 0, block: 1, loop: 2, if: 3, else: 4, try: 5, catch: 6 } as const;

const starts: number[] = [];
const counts: number[] = [];
const live: boolean[] = [];
const checks: boolean[] = [];
const brIfAt: number[] = [];
const brIfLabel: number[] = [];
const entersJoin: number[] = [];
const brIfJoin: number[] = [];
const isJoin: number[] = [];
const joinControlled: boolean[] = [];
const joinSegment: number[] = [];
const foldsThen: boolean[] = [];
const paysBackThen: number[] = [];
const addsElse: number[] = [];
const addsElseJoin: number[] = [];
const leavesAt: number[] = [];
/** The control stack, innermost last; index 0 is the function's own frame. */
const frameKinds: number[] = [];
/** Whether a `br_if` to the frame's label may fold its fall-through (see `brIfAt`). */
const frameFoldsBrIf: boolean[] = [];
/** Whether any branch so far targets the frame's label (so what follows its `end` is a join). */
const frameTargeted: boolean[] = [];
/** The join after the frame's `end`. */
const frameJoin: number[] = [];
/** For an `if` frame whose then-arm is folded: the then-arm segment; else -1. */
const frameThen: number[] = [];

/** Segments the body read by `body`, which must hold exactly one function body. */
export function segmentFunctionBody(body: WasmReader, shape: ModuleShape): BodySegments {
  const localGroups = body.u32();
  let declaredLocals = 0;
  for (let i = 0; i < localGroups; i++) {
    declaredLocals += body.u32();
    skipValType(body);
  }
  const codeStart = body.pos;
  const bytes = body.bytes;

  starts.length = 0;
  counts.length = 0;
  live.length = 0;
  checks.length = 0;
  brIfAt.length = 0;
  brIfLabel.length = 0;
  entersJoin.length = 0;
  brIfJoin.length = 0;
  isJoin.length = 0;
  joinControlled.length = 0;
  joinSegment.length = 0;
  foldsThen.length = 0;
  paysBackThen.length = 0;
  addsElse.length = 0;
  addsElseJoin.length = 0;
  leavesAt.length = 0;
  frameKinds.length = 0;
  frameFoldsBrIf.length = 0;
  frameTargeted.length = 0;
  frameJoin.length = 0;
  frameThen.length = 0;
  // The function's label carries its results, which this pass does not look up; branching to it returns.
  pushFrame(Frame.function, false, false);

  // 0 while the current code can execute; otherwise the frame depth at which it became unreachable.
  let deadAtDepth = 0;
  let segmentStart = codeStart;
  let segmentLive = true;
  let segmentStartsLoop = true; // the function entry is checked like a loop header
  let segmentIsJoin = -1;
  let segmentPaysBack = -1;
  let count = 0;
  let instructions = 0;
  let catchesExceptions = false;

  for (;;) {
    if (body.atEnd) throw body.invalid("function body ends without its final end");
    const at = body.pos;
    const op = readInstruction(body);
    count++;
    let endsSegment = true;
    let mayReachHost = false;
    let leaves = false;
    let foldableBrIf = false;
    let label = 0;
    let entered = -1;
    let brIfEnters = -1;
    let startsJoin = -1;
    let nextPaysBack = -1;
    let elseToAdd = -1;
    switch (op) {
      case Op.block:
        // A block's label carries its results: none for the empty block type.
        pushFrame(Frame.block, bytes[at + 1] === EMPTY_BLOCK_TYPE, true);
        endsSegment = false;
        break;
      case Op.tryTable:
        catchesExceptions = true;
        markTryTableTargets(body, at);
        pushFrame(Frame.block, bytes[at + 1] === EMPTY_BLOCK_TYPE, true);
        endsSegment = false;
        break;
      case Op.try:
        catchesExceptions = true;
        // Handlers fall into the end too, from wherever the exception came: not a controlled join.
        pushFrame(Frame.try, bytes[at + 1] === EMPTY_BLOCK_TYPE, false);
        endsSegment = false;
        break;
      case Op.loop:
        pushFrame(Frame.loop, false, false);
        break;
      case Op.if:
        pushFrame(Frame.if, bytes[at + 1] === EMPTY_BLOCK_TYPE, true);
        // The then-arm is the next segment. Its false edge is controlled: the else-arm, or one the pass adds.
        if (segmentLive) frameThen[frameThen.length - 1] = starts.length + 1;
        break;
      case Op.else:
        switchFrame(body, at, Frame.if, Frame.if, Frame.else, "else outside if");
        // The then-arm jumps from here to the join after the end.
        entered = frameJoin[frameJoin.length - 1]!;
        nextPaysBack = frameThen[frameThen.length - 1]!;
        if (deadAtDepth === frameKinds.length) deadAtDepth = 0;
        break;
      case Op.catch:
      case Op.catchAll:
        switchFrame(body, at, Frame.try, Frame.catch, Frame.catch, "catch outside try");
        if (deadAtDepth === frameKinds.length) deadAtDepth = 0;
        break;
      case Op.delegate:
        // Its label names a try whose handlers (segment starts already) receive the exception: not a branch.
        if (frameKinds[frameKinds.length - 1] !== Frame.try) throw body.invalid("delegate outside try", at);
        popFrame();
        if (deadAtDepth > frameKinds.length) deadAtDepth = 0;
        break;
      case Op.end: {
        const kind = frameKinds[frameKinds.length - 1];
        const joins = frameTargeted[frameTargeted.length - 1] === true;
        const join = frameJoin[frameJoin.length - 1]!;
        const then = frameThen[frameThen.length - 1]!;
        popFrame();
        if (frameKinds.length === 0) {
          mayReachHost = true;
        } else if (kind === Frame.loop || (kind === Frame.block && !joins)) {
          // Only the fall-through reaches what follows, so it continues this segment. If that fall-through is
          // dead, so is what follows, up to the enclosing frame's next arm or end: it stays in this (uncharged)
          // segment, and the dead region now belongs to the enclosing frame.
          endsSegment = false;
          if (deadAtDepth > frameKinds.length) deadAtDepth = frameKinds.length;
          break;
        } else {
          // An if without else reaches the join from its condition too: through the else-arm the pass adds when
          // it folds the then-arm, or, for an if that never executes, not at all.
          if (kind === Frame.if && then >= 0) {
            elseToAdd = then;
          }
          entered = join;
          startsJoin = join;
        }
        if (deadAtDepth > frameKinds.length) deadAtDepth = 0;
        break;
      }
      case Op.br: {
        const target = branchTarget(body, at, BranchKind.always);
        mayReachHost = target === 0;
        entered = frameJoin[target]!;
        if (deadAtDepth === 0) deadAtDepth = frameKinds.length;
        break;
      }
      case Op.brTable:
        mayReachHost = markBrTableTargets(body, at);
        if (deadAtDepth === 0) deadAtDepth = frameKinds.length;
        break;
      case Op.return:
      case Op.returnCall:
      case Op.returnCallIndirect:
      case Op.returnCallRef:
        mayReachHost = true;
        if (deadAtDepth === 0) deadAtDepth = frameKinds.length;
        break;
      case Op.throw:
      case Op.rethrow:
      case Op.throwRef:
        leaves = true;
        if (deadAtDepth === 0) deadAtDepth = frameKinds.length;
        break;
      case Op.unreachable:
        if (deadAtDepth === 0) deadAtDepth = frameKinds.length;
        break;
      case Op.brIf: {
        const target = branchTarget(body, at, BranchKind.conditional);
        label = frameKinds.length - 1 - target;
        mayReachHost = target === 0;
        foldableBrIf = segmentLive && frameFoldsBrIf[target] === true;
        // A taken br_if gets edge code only when folded; an executable one without it leaves the join uncontrolled.
        if (foldableBrIf) brIfEnters = frameJoin[target]!;
        else if (segmentLive) joinControlled[frameJoin[target]!] = false;
        break;
      }
      case Op.brOnNull:
      case Op.brOnNonNull:
        mayReachHost = branchTarget(body, at, BranchKind.uncontrolled) === 0;
        break;
      case Op.call:
        mayReachHost = readU32({ bytes, pos: at + 1, end: body.pos }) < shape.importedFunctions;
        leaves = true;
        break;
      case Op.callIndirect:
      case Op.callRef:
        mayReachHost = true;
        break;
      case Op.globalGet:
      case Op.globalSet: {
        const index = readU32({ bytes, pos: at + 1, end: body.pos });
        if (index >= shape.globalCount) throw body.invalid(`global index ${index} out of range`, at);
        endsSegment = false;
        break;
      }
      default:
        endsSegment = false;
    }
    if (!endsSegment) continue;

    starts.push(segmentStart);
    counts.push(count);
    live.push(segmentLive);
    checks.push(segmentStartsLoop || mayReachHost);
    // Every instruction that may reach the host leaves this frame too (a return or a branch to the function's
    // label, a call through a table or reference, a call to an import); so do calls of the module's own functions.
    leavesAt.push(mayReachHost || leaves ? at : -1);
    brIfAt.push(foldableBrIf ? at : -1);
    brIfLabel.push(label);
    entersJoin.push(entered);
    brIfJoin.push(brIfEnters);
    isJoin.push(segmentIsJoin);
    foldsThen.push(op === Op.if && segmentLive);
    paysBackThen.push(segmentPaysBack);
    addsElse.push(elseToAdd);
    addsElseJoin.push(elseToAdd >= 0 ? entered : -1);
    instructions += count;
    if (frameKinds.length === 0) break;
    count = 0;
    segmentStart = body.pos;
    segmentLive = deadAtDepth === 0;
    segmentStartsLoop = op === Op.loop;
    segmentIsJoin = startsJoin;
    segmentPaysBack = nextPaysBack;
    if (startsJoin >= 0) joinSegment[startsJoin] = starts.length;
  }
  body.expectEnd("function body");
  return {
    codeStart,
    starts,
    counts,
    live,
    checks,
    brIfAt,
    brIfLabel,
    entersJoin,
    brIfJoin,
    isJoin,
    joinControlled,
    joinSegment,
    foldsThen,
    paysBackThen,
    addsElse,
    addsElseJoin,
    leavesAt,
    instructions,
    declaredLocals,
    catchesExceptions,
  };
}

/** How a branch reaches its target, for deciding whether the target's join is controlled. */
const BranchKind = {
  /** `br`: its segment's charge can include the join. */
  always: 0,
  /** `br_if`: decided by the caller (controlled only when folded). */
  conditional: 1,
  /** `br_table`, `br_on_*`, try_table catch clauses: no code of the pass on that edge. */
  uncontrolled: 2,
} as const;

/** `controlledJoin`: whether the join after this frame's end may be charged on its incoming edges. */
function pushFrame(kind: number, foldsBrIf: boolean, controlledJoin: boolean): void {
  frameKinds.push(kind);
  frameFoldsBrIf.push(foldsBrIf);
  frameTargeted.push(false);
  frameJoin.push(joinControlled.length);
  frameThen.push(-1);
  joinControlled.push(controlledJoin);
  joinSegment.push(-1);
}

function popFrame(): void {
  frameKinds.pop();
  frameFoldsBrIf.pop();
  frameTargeted.pop();
  frameJoin.pop();
  frameThen.pop();
}

/** `else` and `catch` turn the innermost frame into its next arm; anywhere else they are malformed. */
function switchFrame(body: WasmReader, at: number, expectedA: number, expectedB: number, next: number, reason: string): void {
  const top = frameKinds.length - 1;
  if (top < 0 || (frameKinds[top] !== expectedA && frameKinds[top] !== expectedB)) throw body.invalid(reason, at);
  frameKinds[top] = next;
}

/** Marks and returns the frame (0 = the function's) that label `label` names from the current position. */
function markTarget(body: WasmReader, at: number, label: number, kind: number): number {
  const target = frameKinds.length - 1 - label;
  if (target < 0) throw body.invalid(`branch to label ${label} outside the function`, at);
  frameTargeted[target] = true;
  if (kind === BranchKind.uncontrolled) joinControlled[frameJoin[target]!] = false;
  return target;
}

/** The frame targeted by the branch at `at`, whose first immediate is its label. */
function branchTarget(body: WasmReader, at: number, kind: number): number {
  return markTarget(body, at, readU32({ bytes: body.bytes, pos: at + 1, end: body.pos }), kind);
}

/** Marks every label of the br_table at `at`; returns whether one of them leaves the function. */
function markBrTableTargets(body: WasmReader, at: number): boolean {
  const labels = { bytes: body.bytes, pos: at + 1, end: body.pos };
  const count = readU32(labels);
  let leaves = false;
  for (let i = 0; i <= count; i++) {
    if (markTarget(body, at, readU32(labels), BranchKind.uncontrolled) === 0) leaves = true;
  }
  return leaves;
}

/** A try_table's catch clauses branch to labels around it: mark them. */
function markTryTableTargets(body: WasmReader, at: number): void {
  const clauses = new WasmReader(body.bytes, at + 1, body.pos);
  skipBlockType(clauses);
  const count = clauses.u32();
  for (let i = 0; i < count; i++) {
    const kind = clauses.byte();
    if (kind < 2) clauses.u32(); // the tag of catch and catch_ref
    markTarget(body, at, clauses.u32(), BranchKind.uncontrolled);
  }
}
