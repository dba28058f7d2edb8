// Opcode bytes the metering pass needs by name: the ones that shape control flow, the prefixes, and the ones it
// emits itself.
export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  try: 0x06,
  catch: 0x07,
  throw: 0x08,
  rethrow: 0x09,
  throwRef: 0x0a,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  returnCall: 0x12,
  returnCallIndirect: 0x13,
  callRef: 0x14,
  returnCallRef: 0x15,
  delegate: 0x18,
  catchAll: 0x19,
  selectTyped: 0x1c,
  tryTable: 0x1f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Eq: 0x46,
  i64GtU: 0x56,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64ShrU: 0x88,
  i64ExtendI32U: 0xad,
  refNull: 0xd0,
  brOnNull: 0xd5,
  brOnNonNull: 0xd6,
  prefixGc: 0xfb,
  prefixMisc: 0xfc,
  prefixSimd: 0xfd,
  prefixThreads: 0xfe,
} as const;

/** Sub-opcodes (after the 0xfc prefix) of the instructions whose work grows with their length operand. */
export const MiscOp = {
  memoryInit: 8,
  memoryCopy: 10,
  memoryFill: 11,
  tableInit: 12,
  tableCopy: 14,
  tableGrow: 15,
  tableFill: 17,
} as const;

/** The empty block type (`[] -> []`). */
export const EMPTY_BLOCK_TYPE = 0x40;

/** Value type bytes. */
export const ValType = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
  exnref: 0x69,
  /** `(ref null ht)`, followed by a heap type. */
  refNull: 0x63,
  /** `(ref ht)`, followed by a heap type. */
  ref: 0x64,
} as const;

/** Section ids. */
export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

/** External kinds in imports and exports. */
export const ExternalKind = {
  function: 0,
  table: 1,
  memory: 2,
  global: 3,
  tag: 4,
} as const;
