// Per-group aggregates, keyed by the group's bytes, without allocating per row: keys live in one byte arena, the
// aggregates in parallel arrays, and an open-addressing hash table maps key bytes to a group number.
import { Decimal } from "./decimal";

function fnv1a(ptr: usize, len: i32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    h ^= <u32>load<u8>(ptr + <usize>i);
    h *= 0x01000193;
  }
  return h;
}

/** Sorting needs a comparator without a closure, so it reads the table being sorted from here. */
let sorting: GroupTable | null = null;

function compareGroups(a: i32, b: i32): i32 {
  const t = changetype<GroupTable>(sorting);
  return t.compareKeys(a, b);
}

export class GroupTable {
  size: i32 = 0;
  private capacity: i32 = 0;
  private keyArena: Uint8Array = new Uint8Array(1 << 16);
  private arenaUsed: i32 = 0;
  private keyStart: Int32Array = new Int32Array(0);
  private keyLength: Int32Array = new Int32Array(0);
  private keyHash: Uint32Array = new Uint32Array(0);
  count: Int64Array = new Int64Array(0);
  private sumWhole: Int64Array = new Int64Array(0);
  private sumMicro: Int64Array = new Int64Array(0);
  private minWhole: Int64Array = new Int64Array(0);
  private minMicro: Int64Array = new Int64Array(0);
  private maxWhole: Int64Array = new Int64Array(0);
  private maxMicro: Int64Array = new Int64Array(0);
  /** Slots hold group number + 1; 0 is empty. Its size is a power of two, at least twice the groups. */
  private slots: Int32Array = new Int32Array(1024);
  private scratch: Decimal = new Decimal();

  constructor() {
    this.grow(256);
  }

  private grow(capacity: i32): void {
    this.keyStart = resizeI32(this.keyStart, capacity);
    this.keyLength = resizeI32(this.keyLength, capacity);
    const hashes = new Uint32Array(capacity);
    hashes.set(this.keyHash);
    this.keyHash = hashes;
    this.count = resizeI64(this.count, capacity);
    this.sumWhole = resizeI64(this.sumWhole, capacity);
    this.sumMicro = resizeI64(this.sumMicro, capacity);
    this.minWhole = resizeI64(this.minWhole, capacity);
    this.minMicro = resizeI64(this.minMicro, capacity);
    this.maxWhole = resizeI64(this.maxWhole, capacity);
    this.maxMicro = resizeI64(this.maxMicro, capacity);
    this.capacity = capacity;
  }

  private rehash(slotCount: i32): void {
    const slots = new Int32Array(slotCount);
    const mask = slotCount - 1;
    for (let g = 0; g < this.size; g++) {
      let s = <i32>(unchecked(this.keyHash[g]) & <u32>mask);
      while (unchecked(slots[s]) != 0) s = (s + 1) & mask;
      unchecked((slots[s] = g + 1));
    }
    this.slots = slots;
  }

  /** The group number of the key bytes [ptr, ptr + len), adding the group if it is new. */
  find(ptr: usize, len: i32): i32 {
    const hash = fnv1a(ptr, len);
    const mask = this.slots.length - 1;
    let s = <i32>(hash & <u32>mask);
    while (true) {
      const entry = unchecked(this.slots[s]);
      if (entry == 0) break;
      const g = entry - 1;
      if (
        unchecked(this.keyHash[g]) == hash &&
        unchecked(this.keyLength[g]) == len &&
        memory.compare(this.keyArena.dataStart + <usize>unchecked(this.keyStart[g]), ptr, <usize>len) == 0
      ) {
        return g;
      }
      s = (s + 1) & mask;
    }
    // A new group.
    if (this.size == this.capacity) this.grow(this.capacity * 2);
    if (this.arenaUsed + len > this.keyArena.length) {
      let bigger = this.keyArena.length * 2;
      while (bigger < this.arenaUsed + len) bigger *= 2;
      const arena = new Uint8Array(bigger);
      memory.copy(arena.dataStart, this.keyArena.dataStart, <usize>this.arenaUsed);
      this.keyArena = arena;
    }
    memory.copy(this.keyArena.dataStart + <usize>this.arenaUsed, ptr, <usize>len);
    const g = this.size++;
    unchecked((this.keyStart[g] = this.arenaUsed));
    unchecked((this.keyLength[g] = len));
    unchecked((this.keyHash[g] = hash));
    this.arenaUsed += len;
    unchecked((this.slots[s] = g + 1));
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return g;
  }

  /** Adds a value to group g; false if its sum overflows. */
  add(g: i32, value: Decimal): bool {
    const acc = this.scratch;
    if (unchecked(this.count[g]) == 0) {
      unchecked((this.minWhole[g] = value.whole));
      unchecked((this.minMicro[g] = value.micro));
      unchecked((this.maxWhole[g] = value.whole));
      unchecked((this.maxMicro[g] = value.micro));
    }
    acc.whole = unchecked(this.sumWhole[g]);
    acc.micro = unchecked(this.sumMicro[g]);
    if (!acc.add(value)) return false;
    unchecked((this.sumWhole[g] = acc.whole));
    unchecked((this.sumMicro[g] = acc.micro));
    unchecked((this.count[g] += 1));
    acc.whole = unchecked(this.minWhole[g]);
    acc.micro = unchecked(this.minMicro[g]);
    if (value.compare(acc) < 0) {
      unchecked((this.minWhole[g] = value.whole));
      unchecked((this.minMicro[g] = value.micro));
    }
    acc.whole = unchecked(this.maxWhole[g]);
    acc.micro = unchecked(this.maxMicro[g]);
    if (value.compare(acc) > 0) {
      unchecked((this.maxWhole[g] = value.whole));
      unchecked((this.maxMicro[g] = value.micro));
    }
    return true;
  }

  keyPtr(g: i32): usize {
    return this.keyArena.dataStart + <usize>this.keyStart[g];
  }

  keyBytes(g: i32): i32 {
    return this.keyLength[g];
  }

  /** The key as a string (for messages). */
  key(g: i32): string {
    return String.UTF8.decodeUnsafe(this.keyPtr(g), <usize>this.keyLength[g]);
  }

  loadSum(g: i32, out: Decimal): void {
    out.whole = this.sumWhole[g];
    out.micro = this.sumMicro[g];
  }

  loadMin(g: i32, out: Decimal): void {
    out.whole = this.minWhole[g];
    out.micro = this.minMicro[g];
  }

  loadMax(g: i32, out: Decimal): void {
    out.whole = this.maxWhole[g];
    out.micro = this.maxMicro[g];
  }

  /** Byte order of the keys' UTF-8, which is code point order. */
  compareKeys(a: i32, b: i32): i32 {
    const la = this.keyLength[a];
    const lb = this.keyLength[b];
    const base = this.keyArena.dataStart;
    const c = memory.compare(base + <usize>this.keyStart[a], base + <usize>this.keyStart[b], <usize>min(la, lb));
    return c != 0 ? c : la - lb;
  }

  /** Group numbers ordered by key. */
  sortedByKey(): Int32Array {
    const order = new Int32Array(this.size);
    for (let g = 0; g < this.size; g++) order[g] = g;
    sorting = this;
    order.sort(compareGroups);
    sorting = null;
    return order;
  }
}

function resizeI32(a: Int32Array, length: i32): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}

function resizeI64(a: Int64Array, length: i32): Int64Array {
  const b = new Int64Array(length);
  b.set(a);
  return b;
}
