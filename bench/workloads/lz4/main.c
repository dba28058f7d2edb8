/*
 * lz4: round trips through the LZ4 library (lz4.c, lz4hc.c: LZ4 v1.9.2 by Yann Collet, BSD 2-clause, see LICENSE
 * and README.md here; vendored unmodified from the npm package lz4@0.6.5, deps/lz4/lib/). This driver was written
 * for lilypad's bench/metering.ts.
 *
 *   lz4 <KiB> [rounds]     KiB: size of the generated corpus (1..65536); rounds: default 1
 *
 * The corpus mixes English-like text from a word-level Markov chain, CSV log lines and a block of sampled sine
 * values (binary, little entropy). Each round compresses it whole with LZ4_compress_default, in 64 KiB blocks
 * with the streaming API (blocks refer to the previous block's window), and with LZ4 HC at level 9, decompresses
 * each result and checks it equals the input. Prints the sizes and a checksum of every compressed stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lz4.h"
#include "lz4hc.h"

static void *xmalloc(size_t size) {
  void *p = malloc(size);
  if (!p) {
    fprintf(stderr, "lz4: out of memory (%zu bytes)\n", size);
    exit(3);
  }
  return p;
}

static uint64_t hash64(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* ---------- the corpus ---------- */

typedef struct {
  uint64_t s;
} rng;

static uint32_t next(rng *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return (uint32_t)(r->s >> 16);
}

static const char *const WORDS[] = {
    "the", "of", "and", "a", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this",
    "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their", "one", "all", "we",
    "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "compute", "network",
    "provider", "deal", "result", "verifiable", "module", "instruction", "budget", "mediator", "solver", "contract", "job",
    "deterministic", "sandbox", "wasm", "memory", "payment", "collateral", "timeout", "challenge", "storage", "content"};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

typedef struct {
  unsigned char *data;
  size_t len, cap;
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
  if (o->len + n > o->cap) n = o->cap - o->len;
  memcpy(o->data + o->len, s, n);
  o->len += n;
}

/* Text from a first-order Markov chain over WORDS: each word's successors favour a few neighbours. */
static void text_section(out_buf *o, rng *r, size_t bytes) {
  size_t end = o->len + bytes < o->cap ? o->len + bytes : o->cap;
  unsigned word = 0, in_sentence = 0;
  while (o->len < end) {
    unsigned roll = next(r) % 100;
    word = roll < 60 ? (word * 7 + 3 + roll % 5) % NWORDS : roll < 90 ? next(r) % 20 : next(r) % NWORDS;
    const char *w = WORDS[word];
    char cap[32];
    size_t n = strlen(w);
    if (in_sentence == 0) {
      memcpy(cap, w, n);
      cap[0] = (char)(cap[0] - 32);
      put(o, cap, n);
    } else {
      put(o, w, n);
    }
    in_sentence++;
    if (in_sentence > 6 && next(r) % 9 == 0) {
      if (next(r) % 5) put(o, ". ", 2);
      else put(o, ".\n\n", 3);
      in_sentence = 0;
    } else if (next(r) % 13) {
      put(o, " ", 1);
    } else {
      put(o, ", ", 2);
    }
  }
}

static void csv_section(out_buf *o, rng *r, size_t bytes) {
  static const char *const LEVELS[] = {"INFO", "WARN", "DEBUG", "ERROR"};
  static const char *const EVENTS[] = {"deal.opened", "deal.matched", "result.posted", "result.accepted", "deal.mediated", "offer.refreshed"};
  size_t end = o->len + bytes < o->cap ? o->len + bytes : o->cap;
  unsigned t = 1700000000;
  char line[160];
  while (o->len < end) {
    t += next(r) % 3;
    unsigned level = next(r) % 16 == 0 ? 3 : next(r) % 3;
    unsigned event = next(r) % 6;
    unsigned deal = next(r) % 50000;
    unsigned gas = 21000 + next(r) % 90000;
    int n = snprintf(line, sizeof line, "%u,%s,%s,0x%08x%08x,%u,%u.%03u\n", t, LEVELS[level], EVENTS[event], deal * 2654435761u, deal, gas,
                     gas / 1000, gas % 1000);
    put(o, line, (size_t)n);
  }
}

/* Quantised samples of a slow sine sweep, as 16-bit little-endian values: long near-repeats, few exact ones. */
static void binary_section(out_buf *o, size_t bytes) {
  size_t end = o->len + bytes < o->cap ? o->len + bytes : o->cap;
  /* A fixed-point sine by rotation (no libm): x' = x - e*y, y' = y + e*x'. */
  int32_t x = 1 << 28, y = 0;
  while (o->len + 2 <= end) {
    x -= y >> 9;
    y += x >> 9;
    int16_t sample = (int16_t)(y >> 16);
    sample &= ~7; /* 13-bit converter */
    unsigned char le[2] = {(unsigned char)(sample & 0xff), (unsigned char)((uint16_t)sample >> 8)};
    put(o, (const char *)le, 2);
  }
  while (o->len < end) put(o, "\0", 1);
}

static void make_corpus(unsigned char *data, size_t size, uint64_t seed) {
  out_buf o = {data, 0, size};
  rng r = {seed | 1};
  while (o.len < size) {
    text_section(&o, &r, 24 * 1024 + next(&r) % 8192);
    csv_section(&o, &r, 12 * 1024 + next(&r) % 4096);
    binary_section(&o, 6 * 1024);
  }
}

/* ---------- round trips ---------- */

static void check_same(const char *what, const unsigned char *a, const unsigned char *b, size_t n) {
  if (memcmp(a, b, n) != 0) {
    fprintf(stderr, "lz4: %s round trip differs from the input\n", what);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: lz4 <KiB> [rounds]\n");
    return 2;
  }
  long kib = atol(argv[1]);
  long rounds = argc == 3 ? atol(argv[2]) : 1;
  if (kib < 1 || kib > 65536 || rounds < 1 || rounds > 10000) {
    fprintf(stderr, "lz4: KiB must be 1..65536 and rounds 1..10000\n");
    return 2;
  }
  size_t size = (size_t)kib * 1024;
  unsigned char *input = xmalloc(size);
  unsigned char *restored = xmalloc(size);
  int bound = LZ4_compressBound((int)size);
  unsigned char *packed = xmalloc((size_t)bound);
  uint64_t checksum = 0xcbf29ce484222325ULL;
  size_t fast_total = 0, stream_total = 0, hc_total = 0;

  for (long round = 0; round < rounds; round++) {
    make_corpus(input, size, 0x2545f4914f6cdd1dULL + (uint64_t)round);

    /* One block, default acceleration. */
    int packed_len = LZ4_compress_default((const char *)input, (char *)packed, (int)size, bound);
    if (packed_len <= 0) return fprintf(stderr, "lz4: compression failed\n"), 1;
    checksum = hash64(checksum, packed, (size_t)packed_len);
    fast_total += (size_t)packed_len;
    int got = LZ4_decompress_safe((const char *)packed, (char *)restored, packed_len, (int)size);
    if (got != (int)size) return fprintf(stderr, "lz4: decompression failed (%d)\n", got), 1;
    check_same("fast", input, restored, size);

    /* 64 KiB blocks through the streaming API, each with a 4-byte length prefix. */
    LZ4_stream_t *stream = LZ4_createStream();
    LZ4_streamDecode_t *decode = LZ4_createStreamDecode();
    size_t block = 64 * 1024, written = 0;
    unsigned char *blocks = xmalloc((size_t)LZ4_compressBound((int)block) * (size / block + 1) + 4 * (size / block + 1));
    for (size_t at = 0; at < size; at += block) {
      int n = (int)(size - at < block ? size - at : block);
      int c = LZ4_compress_fast_continue(stream, (const char *)input + at, (char *)blocks + written + 4, n, LZ4_compressBound(n), 1);
      if (c <= 0) return fprintf(stderr, "lz4: stream compression failed\n"), 1;
      memcpy(blocks + written, &c, 4);
      written += 4 + (size_t)c;
    }
    checksum = hash64(checksum, blocks, written);
    stream_total += written;
    size_t read = 0, out = 0;
    while (read < written) {
      int c;
      memcpy(&c, blocks + read, 4);
      int n = LZ4_decompress_safe_continue(decode, (const char *)blocks + read + 4, (char *)restored + out, c, (int)(size - out));
      if (n <= 0) return fprintf(stderr, "lz4: stream decompression failed\n"), 1;
      read += 4 + (size_t)c;
      out += (size_t)n;
    }
    if (out != size) return fprintf(stderr, "lz4: stream decompressed %zu of %zu bytes\n", out, size), 1;
    check_same("stream", input, restored, size);
    free(blocks);
    LZ4_freeStream(stream);
    LZ4_freeStreamDecode(decode);

    /* High compression. */
    int hc_len = LZ4_compress_HC((const char *)input, (char *)packed, (int)size, bound, 9);
    if (hc_len <= 0) return fprintf(stderr, "lz4: HC compression failed\n"), 1;
    checksum = hash64(checksum, packed, (size_t)hc_len);
    hc_total += (size_t)hc_len;
    memset(restored, 0, size);
    got = LZ4_decompress_safe((const char *)packed, (char *)restored, hc_len, (int)size);
    if (got != (int)size) return fprintf(stderr, "lz4: HC decompression failed (%d)\n", got), 1;
    check_same("HC", input, restored, size);
  }
  printf("lz4 %s, %ld KiB x%ld: fast %zu B, stream %zu B, hc %zu B, checksum %016llx\n", LZ4_versionString(), kib, rounds, fast_total,
         stream_total, hc_total, (unsigned long long)checksum);
  free(input);
  free(restored);
  free(packed);
  return 0;
}
