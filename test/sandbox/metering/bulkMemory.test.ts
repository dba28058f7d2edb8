// Bulk memory and table instructions cost by size (copyInstructions.ts): 1, plus one per 8 bytes (memory.fill,
// memory.copy, memory.init) or per entry (table.fill, table.copy, table.init, table.grow) of the length operand,
// read at run time. Counted as 1 each, a loop of 64 KiB fills would do megabytes of work per "instruction", and
// a job built that way would be stopped by the wall clock instead of its budget: how far it got would depend on the
// machine (issue 11, attack 11).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { meter, wat } from "./helpers.ts";
import { instrumentEveryInstruction, ORACLE_EXPORT } from "./oracle.ts";

const BULK = wat(
  `(module
    (memory (export "memory") 4)
    (data $bytes "0123456789abcdef0123456789abcdef")
    (table $t 64 funcref)
    (elem $fns func $f $f $f $f $f $f $f $f)
    (func $f)
    (global $unused i32 (i32.const 0)) ;; the oracle wants a global section
    ;; $k fills of $n bytes at 0, each with the byte $k (so the memory says how many ran)
    (func (export "fills") (param $n i32) (param $k i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get $k)))
          (memory.fill (i32.const 0) (local.get $k) (local.get $n))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $again))))
    (func (export "copies") (param $n i32) (param $k i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get $k)))
          (memory.copy (i32.const 65536) (i32.const 0) (local.get $n))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $again))))
    (func (export "init") (param $n i32)
      (memory.init $bytes (i32.const 0) (i32.const 0) (local.get $n)))
    (func (export "tables") (param $n i32)
      (table.fill $t (i32.const 0) (ref.func $f) (local.get $n))
      (table.copy $t $t (i32.const 0) (i32.const 32) (local.get $n))
      (table.init $t $fns (i32.const 0) (i32.const 0) (i32.const 8))
      (drop (table.grow $t (ref.null func) (local.get $n)))))`,
  { bulk_memory: true, reference_types: true },
);

/** Instructions of `fills(n, k)` other than the fills' sizes: 6 around the loop (block, loop, the last test, end), 12 per fill. */
const fillsBase = (k: number) => 6n + 12n * BigInt(k);

describe("bulk memory and table instructions cost by size", () => {
  it("a loop of fills costs its instructions plus one per 8 bytes filled, exactly", async () => {
    const m = await meter(BULK);
    assert.equal(m.countOf("fills", 0, 10), fillsBase(10));
    assert.equal(m.countOf("fills", 7, 10), fillsBase(10), "under 8 bytes cost nothing extra");
    assert.equal(m.countOf("fills", 8, 10), fillsBase(10) + 10n);
    assert.equal(m.countOf("fills", 65536, 10), fillsBase(10) + 10n * 8192n);
    assert.equal(m.countOf("fills", 65537, 10), fillsBase(10) + 10n * 8192n);
    assert.equal(m.countOf("fills", 200_000, 3), fillsBase(3) + 3n * 25_000n);
    // And the fills ran: the last one wrote its byte over the first 64 KiB.
    m.countOf("fills", 65536, 1);
    const memory = new Uint8Array((m.exports.memory as WebAssembly.Memory).buffer);
    assert.equal(memory[0], 1);
    assert.equal(memory[65535], 1);
  });

  it("memory.copy and memory.init cost the same way", async () => {
    const m = await meter(BULK);
    const copies = (n: number, k: number) => m.countOf("copies", n, k);
    assert.equal(copies(65536, 4) - copies(0, 4), 4n * 8192n);
    assert.equal(copies(16, 4) - copies(0, 4), 4n * 2n);
    assert.equal(m.countOf("init", 32) - m.countOf("init", 0), 4n);
    assert.equal(m.countOf("init", 31) - m.countOf("init", 0), 3n);
  });

  it("table instructions cost one per entry", async () => {
    const m = await meter(BULK);
    // fill n, copy n, init 8 (a constant), grow n: 3n + 8 on top of the instructions.
    assert.equal(m.countOf("tables", 10) - m.countOf("tables", 0), 3n * 10n);
    assert.equal(m.countOf("tables", 30) - m.countOf("tables", 0), 3n * 30n);
  });

  it("gives the same count in every run and every instance, and what the naive oracle counts", async () => {
    const a = await meter(BULK);
    const b = await meter(BULK, { budget: 10n ** 12n });
    const { instance } = await WebAssembly.instantiate(instrumentEveryInstruction(BULK));
    const oracleCounter = instance.exports[ORACLE_EXPORT] as WebAssembly.Global;
    for (const [n, k] of [[0, 5], [100, 7], [65536, 20], [123_457, 9]] as const) {
      const counts = new Set([a.countOf("fills", n, k), b.countOf("fills", n, k), a.countOf("fills", n, k)]);
      assert.equal(counts.size, 1, `counts differ for fills(${n}, ${k}): ${[...counts]}`);
      oracleCounter.value = 0n;
      (instance.exports.fills as (n: number, k: number) => void)(n, k);
      assert.equal(oracleCounter.value, [...counts][0], `the oracle disagrees on fills(${n}, ${k})`);
    }
  });

  it("a fill the budget cannot pay for does not run: the run stops first, with the exhausted flag", async () => {
    // The budget covers the loop and two 64 KiB fills (2 x 8192), not a third.
    const m = await meter(BULK, { budget: fillsBase(3) + 2n * 8192n });
    const memory = new Uint8Array((m.exports.memory as WebAssembly.Memory).buffer);
    m.reset();
    assert.throws(() => m.call("fills", 65536, 3), WebAssembly.RuntimeError);
    assert.equal(m.exhausted(), true);
    // The first fill (byte 3) and the second (byte 2) ran; the third (byte 1) did not.
    assert.equal(memory[0], 2);
    assert.equal(memory[65535], 2);
    // One fill of 4 GiB would cost 2^29: a small budget refuses it before it touches memory.
    const small = await meter(BULK, { budget: 1_000_000n });
    const smallMemory = new Uint8Array((small.exports.memory as WebAssembly.Memory).buffer);
    small.reset();
    assert.throws(() => small.call("fills", 0xffff_ffff, 1), WebAssembly.RuntimeError);
    assert.equal(small.exhausted(), true);
    assert.equal(smallMemory[0], 0);
  });

  it("a fill that traps out of bounds is charged its size all the same (with exactOnTrap), and the trap is the module's own", async () => {
    const m = await meter(BULK, { exactOnTrap: true });
    m.reset();
    assert.throws(() => m.call("fills", 1 << 20, 1), WebAssembly.RuntimeError);
    assert.equal(m.exhausted(), false);
    const charged = m.count();
    m.reset();
    assert.throws(() => m.call("fills", 1 << 20, 1), WebAssembly.RuntimeError);
    assert.equal(m.count(), charged, "the same every time");
    assert.ok(charged >= (1n << 20n) / 8n, `charged ${charged}`);
  });
});
