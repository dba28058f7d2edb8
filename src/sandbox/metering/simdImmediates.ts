// Immediate layouts of the fixed-width SIMD opcodes (prefix 0xfd). Every SIMD instruction is decoded, so modules
// built with -msimd128 are metered like any other. Relaxed SIMD (0xfd 0x100 and up) is refused: its results may
// differ between machines, which a network that re-runs jobs to check them cannot accept.
import type { WasmReader } from "./wasmReader.ts";
import { skipMemarg } from "./wasmTypes.ts";

const Layout = {
  /** Not an opcode. */
  unassigned: 0,
  none: 1,
  memarg: 2,
  /** v128.const and i8x16.shuffle: 16 immediate bytes. */
  bytes16: 3,
  /** extract_lane / replace_lane: one lane index byte. */
  lane: 4,
  /** load/store lane: memarg, then a lane index byte. */
  memargLane: 5,
} as const;

const layouts = new Uint8Array(0x100).fill(Layout.none);
const setRange = (from: number, to: number, layout: number): void => {
  layouts.fill(layout, from, to + 1);
};
setRange(0x00, 0x0b, Layout.memarg); // v128.load ... v128.store
setRange(0x0c, 0x0d, Layout.bytes16); // v128.const, i8x16.shuffle
setRange(0x15, 0x22, Layout.lane); // extract_lane / replace_lane
setRange(0x54, 0x5b, Layout.memargLane); // v128.load8_lane ... v128.store64_lane
setRange(0x5c, 0x5d, Layout.memarg); // v128.load32_zero, v128.load64_zero
// Holes in the opcode space (opcodes that were removed before SIMD was standardised).
for (const hole of [0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee]) {
  layouts[hole] = Layout.unassigned;
}

/** First relaxed SIMD opcode. */
const RELAXED_SIMD_START = 0x100;
const RELAXED_SIMD_END = 0x113;

/** Skips the immediates of SIMD opcode `sub`, which started at `at`. */
export function skipSimdImmediates(reader: WasmReader, sub: number, at: number): void {
  if (sub >= RELAXED_SIMD_START && sub <= RELAXED_SIMD_END) {
    throw reader.unsupported(`relaxed SIMD opcode 0xfd 0x${sub.toString(16)} (results differ between machines)`, at);
  }
  const layout = sub < layouts.length ? layouts[sub]! : Layout.unassigned;
  switch (layout) {
    case Layout.none:
      return;
    case Layout.memarg:
      skipMemarg(reader);
      return;
    case Layout.bytes16:
      reader.skip(16);
      return;
    case Layout.lane:
      reader.byte();
      return;
    case Layout.memargLane:
      skipMemarg(reader);
      reader.byte();
      return;
    default:
      throw reader.unsupported(`unknown SIMD opcode 0xfd 0x${sub.toString(16)}`, at);
  }
}
