// WASI command modules written in WAT for the sandbox tests, compiled with wabt: small, exact and hostile on
// purpose.
import wabtInit from "wabt";

const wabt = await wabtInit();

export function wat(source: string): Uint8Array {
  const module = wabt.parseWat("test.wat", source, { bulk_memory: true, sign_extension: true, mutable_globals: true });
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const WASI = `
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; write(fd, ptr, len): one iovec at 0x100
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0x100) (local.get $ptr))
    (i32.store (i32.const 0x104) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0x100) (i32.const 1) (i32.const 0x108)))
`;

/** Prints "hello\n" and exits 0 after summing 1..n (n = 1000) so that it executes a known loop. */
export const hello = wat(`(module ${WASI}
  (data (i32.const 0x200) "hello\\n")
  (func (export "_start") (local $i i32) (local $sum i32)
    (local.set $i (i32.const 1000))
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $l (local.get $i)))
    (drop (call $write (i32.const 1) (i32.const 0x200) (i32.const 6)))))`);

export const infiniteLoop = wat(`(module ${WASI}
  (func (export "_start") (loop $l (br $l))))`);

/** Grows memory until it fails, then traps as an allocator would. */
export const memoryBomb = wat(`(module ${WASI}
  (func (export "_start")
    (loop $l
      (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))`);

export const stdoutFlood = wat(`(module ${WASI}
  (func (export "_start")
    (loop $l
      (br_if $l (i32.eqz (call $write (i32.const 1) (i32.const 0) (i32.const 4096)))))
    (call $proc_exit (i32.const 3))))`);

/** Opens /outputs/flood.bin (preopen fd 4) and writes to it until refused. */
export const fileFlood = wat(`(module ${WASI}
  (data (i32.const 0x300) "flood.bin")
  (func (export "_start")
    ;; oflags 1 = create; rights 64 = fd_write
    (if (call $path_open (i32.const 4) (i32.const 0) (i32.const 0x300) (i32.const 9) (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 0x400))
      (then (call $proc_exit (i32.const 9))))
    (loop $l
      (br_if $l (i32.eqz (call $write (i32.load (i32.const 0x400)) (i32.const 0) (i32.const 65536)))))
    (call $proc_exit (i32.const 3))))`);

/**
 * Tries to open paths outside its preopens (for reading) and prints the errno of each attempt as a byte; the
 * last attempt, creating a file in /outputs, is the control that must succeed.
 */
export const escape = wat(`(module ${WASI}
  (data (i32.const 0x300) "/etc/passwd")
  (data (i32.const 0x320) "../../etc/passwd")
  (data (i32.const 0x340) "../result/stdout")
  (data (i32.const 0x360) "inside.txt")
  ;; rights 2 = fd_read
  (func $try (param $fd i32) (param $ptr i32) (param $len i32) (param $oflags i32) (param $at i32)
    (i32.store8 (local.get $at)
      (call $path_open (local.get $fd) (i32.const 0) (local.get $ptr) (local.get $len) (local.get $oflags) (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 0x400))))
  (func (export "_start")
    (call $try (i32.const 3) (i32.const 0x300) (i32.const 11) (i32.const 0) (i32.const 0x500))
    (call $try (i32.const 3) (i32.const 0x320) (i32.const 16) (i32.const 0) (i32.const 0x501))
    (call $try (i32.const 4) (i32.const 0x340) (i32.const 16) (i32.const 0) (i32.const 0x502))
    (call $try (i32.const 4) (i32.const 0x360) (i32.const 10) (i32.const 1) (i32.const 0x503))
    (drop (call $write (i32.const 1) (i32.const 0x500) (i32.const 4)))))`);

/** Sleeps ~31 years per iteration, forever. */
export const sleeper = wat(`(module ${WASI}
  (func (export "_start")
    ;; subscription at 0x600: userdata 0, tag 0 (clock), clock id 1, timeout 1e18 ns, flags 0
    (i64.store (i32.const 0x618) (i64.const 1000000000000000000))
    (i32.store (i32.const 0x610) (i32.const 1))
    (loop $l
      (drop (call $poll_oneoff (i32.const 0x600) (i32.const 0x700) (i32.const 1) (i32.const 0x800)))
      (br $l))))`);

/** Prints 8 bytes of the realtime clock, 8 of the monotonic clock after a 5 s sleep, and 16 random bytes. */
export const clockAndRandom = wat(`(module ${WASI}
  (func (export "_start")
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0x900)))
    (i64.store (i32.const 0x618) (i64.const 5000000000))
    (i32.store (i32.const 0x610) (i32.const 1))
    (drop (call $poll_oneoff (i32.const 0x600) (i32.const 0x700) (i32.const 1) (i32.const 0x800)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x908)))
    (drop (call $random_get (i32.const 0x910) (i32.const 16)))
    (drop (call $write (i32.const 1) (i32.const 0x900) (i32.const 32)))))`);

export const trap = wat(`(module ${WASI}
  (func (export "_start") unreachable))`);

/**
 * Prints "working\n", then counts `n` down in a function that calls nothing and traps at the end: the fast
 * binary's count is then short by the whole loop (see instrumentModule's exactOnTrap). (The global is for the
 * reference counter, which needs a global section.)
 */
export const loopThenTrap = (n: number) =>
  wat(`(module ${WASI}
  (data (i32.const 0x200) "working\\n")
  (global $unused (mut i32) (i32.const 0))
  (func $spin (param $n i32)
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    unreachable)
  (func (export "_start")
    (drop (call $write (i32.const 1) (i32.const 0x200) (i32.const 8)))
    (call $spin (i32.const ${n}))))`);

/** Exits with 7 after writing to stderr. */
export const exitSeven = wat(`(module ${WASI}
  (data (i32.const 0x200) "bad input\\n")
  (func (export "_start")
    (drop (call $write (i32.const 2) (i32.const 0x200) (i32.const 10)))
    (call $proc_exit (i32.const 7))))`);

/** Imports something that is not WASI. */
export const foreignImport = wat(`(module
  (import "env" "launch_missiles" (func))
  (memory (export "memory") 1)
  (func (export "_start") call 0))`);

/** Grows memory until refused, then exits 0: a program that handles running out of memory itself. */
export const politeAllocator = wat(`(module ${WASI}
  (func (export "_start")
    (loop $l
      (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))))`);

/** Recurses without end: the host's stack overflows long before a large budget runs out. */
export const deepRecursion = wat(`(module ${WASI}
  (func $down (param $n i32) (result i32) (i32.add (i32.const 1) (call $down (i32.add (local.get $n) (i32.const 1)))))
  (func (export "_start") (drop (call $down (i32.const 0)))))`);

/** Fills `bytes` bytes of memory `times` times (one memory.fill each), then prints "filled\n". */
export const bulkFiller = (bytes: number, times: number) =>
  wat(`(module ${WASI}
  (data (i32.const 0x200) "filled\\n")
  (func (export "_start") (local $k i32)
    (local.set $k (i32.const ${times}))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $k)))
        (memory.fill (i32.const 0x1000) (local.get $k) (i32.const ${bytes}))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $again)))
    (drop (call $write (i32.const 1) (i32.const 0x200) (i32.const 7)))))`);

/** Counts to `n` and prints "done\n": a job whose wall-clock time grows with `n` and whose result does not. */
export const countTo = (n: number) =>
  wat(`(module ${WASI}
  (data (i32.const 0x200) "done\\n")
  (func (export "_start") (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const ${n}))))
    (drop (call $write (i32.const 1) (i32.const 0x200) (i32.const 5)))))`);
