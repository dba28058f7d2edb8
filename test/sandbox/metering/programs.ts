// A module of ordinary compiled-code shapes (recursion, counted loops, loops with several exits, memory, floats)
// and a sequence of calls to it, shared by the round-trip and differential tests.
import { wat } from "./helpers.ts";

export const PROGRAMS = wat(`(module
  (memory (export "memory") 2)
  (global $calls (mut i32) (i32.const 0))
  (func $fact (export "factorial") (param $n i64) (result i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i64) (i64.le_u (local.get $n) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fact (i64.sub (local.get $n) (i64.const 1)))))))
  (func (export "factorialLoop") (param $n i64) (result i64) (local $acc i64)
    (local.set $acc (i64.const 1))
    (block $done (loop $next
      (br_if $done (i64.le_u (local.get $n) (i64.const 1)))
      (local.set $acc (i64.mul (local.get $acc) (local.get $n)))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br $next)))
    (local.get $acc))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "fill") (param $n i32) (param $seed i32) (local $i i32) (local $x i32)
    (local.set $x (local.get $seed))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $x) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  (func (export "sumMemory") (param $n i32) (result i64) (local $i i32) (local $s i64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func (export "sort") (param $n i32) (local $i i32) (local $j i32) (local $key i32)
    (local.set $i (i32.const 1))
    (block $sorted (loop $outer
      (br_if $sorted (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $key (i32.load (i32.shl (local.get $i) (i32.const 2))))
      (local.set $j (local.get $i))
      (block $placed (loop $shift
        (br_if $placed (i32.eqz (local.get $j)))
        (br_if $placed (i32.le_u (i32.load (i32.sub (i32.shl (local.get $j) (i32.const 2)) (i32.const 4))) (local.get $key)))
        (i32.store (i32.shl (local.get $j) (i32.const 2)) (i32.load (i32.sub (i32.shl (local.get $j) (i32.const 2)) (i32.const 4))))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $shift)))
      (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $key))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer))))
  (func (export "isSorted") (param $n i32) (result i32) (local $i i32)
    (local.set $i (i32.const 1))
    (block $no (loop $next
      (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
      (br_if $no (i32.gt_u (i32.load (i32.sub (i32.shl (local.get $i) (i32.const 2)) (i32.const 4))) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0))
  (func (export "floats") (param $x f64) (result f64)
    (f64.add (f64.sqrt (f64.abs (local.get $x))) (f64.mul (f64.nearest (local.get $x)) (f64.const 0.5))))
  (func (export "signExt") (param $x i32) (result i32)
    (i32.add (i32.extend8_s (local.get $x)) (i32.extend16_s (local.get $x))))
  (func (export "satTrunc") (param $x f32) (result i32) (i32.trunc_sat_f32_u (local.get $x)))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "select") (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b)))))`);

export type Call = [name: string, ...args: (number | bigint)[]];

/** Calls in order: later ones depend on memory and globals left by earlier ones. */
export const CALLS: Call[] = [
  ["factorial", 0n],
  ["factorial", 20n],
  ["factorial", 25n], // wraps around, identically in both
  ["factorialLoop", 20n],
  ["fib", 0],
  ["fib", 24],
  ["fill", 5000, 42],
  ["sumMemory", 5000],
  ["isSorted", 5000],
  ["sort", 5000],
  ["isSorted", 5000],
  ["sumMemory", 5000],
  ["floats", -12.75],
  ["floats", 1e300],
  ["floats", Number.NaN],
  ["signExt", 0x1234_80ff],
  ["satTrunc", -3.5],
  ["satTrunc", 1e20],
  ["calls"],
  ["select", 3, 9],
  ["select", -3, -9],
];
