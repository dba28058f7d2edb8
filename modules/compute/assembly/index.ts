// compute: a CPU-bound job for benchmarks, whose work grows with N (about N log log N steps).
//
//   compute <N>        1 <= N <= 100000000
//
// Counts the primes below N and sums them with a sieve of Eratosthenes over odd numbers (one bit each, so N = 10^8
// needs 6.25 MB), and prints one line. No I/O happens until the answer is known.
import { parseDigits } from "../../shared/assembly/digits";

const MAX_N: i64 = 100_000_000;

function fail(message: string): void {
  process.stderr.write("compute: " + message + "\n");
  process.exit(2);
}


/** Bit i stands for the odd number 2i + 1; a set bit marks it composite. */
function sieve(n: i32, out: StaticArray<u64>): void {
  let count: u64 = 0;
  let sum: u64 = 0;
  if (n > 2) {
    count = 1; // 2
    sum = 2;
    const size = n >>> 1; // odd numbers below n: 1, 3, ..., and bit 0 (the number 1) is skipped below
    const words = new Uint32Array((size + 31) >>> 5);
    const base = words.dataStart;
    for (let i = 1; ; i++) {
      const p = 2 * i + 1;
      if (<i64>p * <i64>p >= <i64>n) break;
      if ((load<u32>(base + (<usize>(i >>> 5) << 2)) >>> (i & 31)) & 1) continue;
      for (let j = (p * p) >>> 1; j < size; j += p) {
        const at = base + (<usize>(j >>> 5) << 2);
        store<u32>(at, load<u32>(at) | (1 << (j & 31)));
      }
    }
    for (let i = 1; i < size; i++) {
      if (((load<u32>(base + (<usize>(i >>> 5) << 2)) >>> (i & 31)) & 1) == 0) {
        count++;
        sum += <u64>(2 * i + 1);
      }
    }
  }
  out[0] = count;
  out[1] = sum;
}

const argv = process.argv;
if (argv.length != 2) {
  fail("usage: compute N (1 <= N <= 100000000)");
} else {
  const n = parseDigits(argv[1], 12);
  if (n < 1 || n > MAX_N) {
    fail(`N must be an integer from 1 to ${MAX_N}, got "${argv[1]}"`);
  } else {
    const result = new StaticArray<u64>(2);
    sieve(<i32>n, result);
    process.stdout.write(`primes below ${n}: ${result[0]} (sum ${result[1]})\n`);
  }
}
