/*
 * minimark: a CoreMark-like processor benchmark, for the metering benchmark. Written for lilypad's
 * bench/metering.ts after the structure of EEMBC's CoreMark (no CoreMark code is used): each iteration runs
 *
 *   - list processing: a singly linked list of records in a fixed pool, searched, reversed, and merge-sorted
 *     by two different keys (pointer chasing, unpredictable branches);
 *   - matrix processing: 16-bit matrices added to and multiplied by constants, a vector and each other, with
 *     bit-field extraction from the products (multiply-accumulate loops);
 *   - a state machine: a scanner classifying comma-separated tokens as integers, hex, decimals, scientific
 *     notation or invalid (a switch per byte);
 *   - CRC-16/CCITT over every intermediate result, which chains the three together.
 *
 *   minimark <iterations> [size]     iterations: 1..1000000; size: working set in bytes, default 2000 (CoreMark's)
 *
 * Prints the per-part CRCs and a final one. The seeds are derived from the iteration count, so the compiler cannot
 * fold the work away.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int16_t i16;
typedef int32_t i32;
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;

/* ---------- CRC-16/CCITT, bitwise (as small embedded code does it) ---------- */

static u16 crc_u8(u8 data, u16 crc) {
  for (int i = 0; i < 8; i++) {
    u8 x16 = (u8)((data & 1) ^ ((u8)crc & 1));
    data >>= 1;
    if (x16 == 1) {
      crc ^= 0x4002;
      crc = (u16)((crc >> 1) | 0x8000);
    } else {
      crc = (u16)((crc >> 1) & 0x7fff);
    }
  }
  return crc;
}

static u16 crc_u16(u16 v, u16 crc) {
  crc = crc_u8((u8)v, crc);
  return crc_u8((u8)(v >> 8), crc);
}

static u16 crc_u32(u32 v, u16 crc) {
  crc = crc_u16((u16)v, crc);
  return crc_u16((u16)(v >> 16), crc);
}

/* ---------- list processing ---------- */

typedef struct {
  i16 data;
  i16 idx;
} record;

typedef struct node {
  struct node *next;
  record *info;
} node;

typedef int (*compare_fn)(const record *a, const record *b, i16 seed);

/* The data field packs a 3-bit operation and a cached 8-bit result, as CoreMark's does. */
static i16 calc_func(i16 *data, i16 seed) {
  i16 value = *data;
  if (value & 0x80) return value & 0x7f; /* cached */
  int op = (value >> 3) & 0xf;
  int dtype = value & 7;
  i32 result = dtype;
  for (int i = 0; i < 4 + op; i++) result = (result * 31 + seed + i) & 0x7fff;
  result &= 0x7f;
  *data = (i16)((value & 0xff00) | 0x80 | result);
  return (i16)result;
}

static int cmp_data(const record *a, const record *b, i16 seed) {
  i16 va = a->data, vb = b->data;
  i16 ra = calc_func(&va, seed), rb = calc_func(&vb, seed);
  return ra - rb;
}

static int cmp_idx(const record *a, const record *b, i16 seed) {
  (void)seed;
  return a->idx - b->idx;
}

static node *list_find(node *list, const record *key) {
  if (key->idx >= 0) {
    while (list && list->info->idx != key->idx) list = list->next;
  } else {
    while (list && (list->info->data & 0xff) != key->data) list = list->next;
  }
  return list;
}

static node *list_reverse(node *list) {
  node *reversed = NULL;
  while (list) {
    node *next = list->next;
    list->next = reversed;
    reversed = list;
    list = next;
  }
  return reversed;
}

/* Bottom-up merge sort of a singly linked list (Simon Tatham's algorithm): O(n log n), no recursion. */
static node *list_sort(node *list, compare_fn cmp, i16 seed) {
  if (!list) return NULL;
  for (int insize = 1;; insize *= 2) {
    node *p = list, *tail = NULL;
    list = NULL;
    int merges = 0;
    while (p) {
      merges++;
      node *q = p;
      int psize = 0;
      for (int i = 0; i < insize && q; i++) {
        psize++;
        q = q->next;
      }
      int qsize = insize;
      while (psize > 0 || (qsize > 0 && q)) {
        node *e;
        if (psize == 0) {
          e = q;
          q = q->next;
          qsize--;
        } else if (qsize == 0 || !q || cmp(p->info, q->info, seed) <= 0) {
          e = p;
          p = p->next;
          psize--;
        } else {
          e = q;
          q = q->next;
          qsize--;
        }
        if (tail) tail->next = e;
        else list = e;
        tail = e;
      }
      p = q;
    }
    tail->next = NULL;
    if (merges <= 1) return list;
  }
}

/* Moves the node after `item` out of the list and returns it. */
static node *list_remove(node *item) {
  node *removed = item->next;
  if (!removed) return NULL;
  item->next = removed->next;
  removed->next = NULL;
  return removed;
}

static void list_undo_remove(node *removed, node *item) {
  removed->next = item->next;
  item->next = removed;
}

typedef struct {
  node *nodes;
  record *records;
  size_t count;
} list_pool;

static node *list_init(list_pool *pool, size_t bytes, i16 seed) {
  size_t per = sizeof(node) + sizeof(record);
  size_t count = bytes / per;
  if (count < 4) count = 4;
  pool->nodes = malloc(count * sizeof(node));
  pool->records = malloc(count * sizeof(record));
  pool->count = count;
  for (size_t i = 0; i < count; i++) {
    u16 dat = (u16)((seed ^ (i16)i) & 0xf);
    u16 data = (u16)((dat << 3) | (i & 7));
    pool->records[i].data = (i16)((data << 8) | data);
    pool->records[i].idx = (i16)i;
    pool->nodes[i].info = &pool->records[i];
    pool->nodes[i].next = i + 1 < count ? &pool->nodes[i + 1] : NULL;
  }
  /* Scramble the order: sort by data once, then renumber so idx sorts back to a known order. */
  node *list = list_sort(&pool->nodes[0], cmp_data, seed);
  i16 k = 0;
  for (node *n = list; n; n = n->next, k++) n->info->idx = k % 3 == 0 ? (i16)(count - (size_t)k) : k;
  return list;
}

static u16 bench_list(node **plist, i16 finds, i16 seed, u16 crc) {
  node *list = *plist;
  i32 found = 0, missed = 0, retval = 0;
  record key;
  for (i16 i = 0; i < finds; i++) {
    key.data = (i16)(i & 0xff);
    key.idx = -1;
    node *hit = list_find(list, &key);
    list = list_reverse(list);
    if (!hit) {
      missed++;
      retval += (list->next->info->data >> 8) & 1;
    } else {
      found++;
      if (hit->info->data & 1) retval += (hit->info->data >> 9) & 1;
      /* Move the hit to the front, as a cache would. */
      if (hit->next) {
        node *moved = list_remove(hit);
        moved->next = list;
        list = moved;
      }
    }
    if (key.data >= 0) key.data++;
  }
  retval += found * 4 - missed;
  list = list_sort(list, cmp_data, seed);
  node *removed = list_remove(list);
  key.idx = (i16)(seed & 0x7f);
  key.data = 0;
  node *at = list_find(list, &key);
  /* The records after the one found (or all, if the removed node held it). */
  for (at = at ? at : list; at; at = at->next) crc = crc_u16((u16)at->info->data, crc);
  if (removed) list_undo_remove(removed, list);
  list = list_sort(list, cmp_idx, seed);
  for (node *n = list->next; n; n = n->next) crc = crc_u16((u16)n->info->data, crc);
  crc = crc_u16((u16)retval, crc);
  *plist = list;
  return crc;
}

/* ---------- matrix processing ---------- */

static void matrix_init(size_t n, i16 *a, i16 *b, i32 seed) {
  i32 order = 1;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      seed = (order * seed) % 65536;
      i16 val = (i16)(seed + order);
      val &= 0x0fff; /* keep products in range */
      a[i * n + j] = val;
      val = (i16)(val + order);
      val &= 0x0fff;
      b[i * n + j] = val;
      order++;
    }
  }
}

static void mat_add_const(size_t n, i16 *a, i16 v) {
  for (size_t i = 0; i < n * n; i++) a[i] = (i16)(a[i] + v);
}

static void mat_mul_const(size_t n, i32 *c, const i16 *a, i16 v) {
  for (size_t i = 0; i < n * n; i++) c[i] = (i32)a[i] * (i32)v;
}

static void mat_mul_vect(size_t n, i32 *c, const i16 *a, const i16 *b) {
  for (size_t i = 0; i < n; i++) {
    c[i] = 0;
    for (size_t j = 0; j < n; j++) c[i] += (i32)a[i * n + j] * (i32)b[j];
  }
}

static void mat_mul_mat(size_t n, i32 *c, const i16 *a, const i16 *b) {
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      i32 sum = 0;
      for (size_t k = 0; k < n; k++) sum += (i32)a[i * n + k] * (i32)b[k * n + j];
      c[i * n + j] = sum;
    }
  }
}

static void mat_mul_mat_bitextract(size_t n, i32 *c, const i16 *a, const i16 *b) {
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      i32 sum = 0;
      for (size_t k = 0; k < n; k++) {
        i32 product = (i32)a[i * n + k] * (i32)b[k * n + j];
        sum += ((product >> 2) & 0xf) * ((product >> 5) & 0x7f);
      }
      c[i * n + j] = sum;
    }
  }
}

/* Folds a result matrix into a 16-bit summary, the way CoreMark's matrix_sum does. */
static i16 mat_sum(size_t n, const i32 *c, i16 clip) {
  i32 tmp = 0, prev = 0;
  i16 ret = 0;
  for (size_t i = 0; i < n * n; i++) {
    i32 cur = c[i];
    tmp += cur;
    if (tmp > clip) {
      ret = (i16)(ret + 10);
      tmp = 0;
    } else {
      ret = (i16)(ret + (cur > prev ? 1 : 0));
    }
    prev = cur;
  }
  return ret;
}

static u16 bench_matrix(size_t n, i16 *a, i16 *b, i32 *c, i16 v, u16 crc) {
  i16 clip = (i16)(0x7fff & ((v << 4) | 0xf));
  mat_add_const(n, a, v);
  mat_mul_const(n, c, a, v);
  crc = crc_u16((u16)mat_sum(n, c, clip), crc);
  mat_mul_vect(n, c, a, b);
  crc = crc_u16((u16)mat_sum(n, c, clip), crc);
  mat_mul_mat(n, c, a, b);
  crc = crc_u16((u16)mat_sum(n, c, clip), crc);
  mat_mul_mat_bitextract(n, c, a, b);
  crc = crc_u16((u16)mat_sum(n, c, clip), crc);
  mat_add_const(n, a, (i16)-v);
  return crc;
}

/* ---------- state machine ---------- */

enum state { S_START, S_INVALID, S_S1, S_S2, S_INT, S_FLOAT, S_EXPONENT, S_SCIENTIFIC, S_HEX0, S_HEX, NUM_STATES };

static int is_digit(u8 c) { return c >= '0' && c <= '9'; }
static int is_hex(u8 c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Scans one token (up to a comma or the end); counts transitions per state. Returns the final state. */
static enum state state_transition(u8 **pstr, u32 *transitions) {
  u8 *str = *pstr;
  enum state state = S_START;
  for (; *str && state != S_INVALID; str++) {
    u8 c = *str;
    if (c == ',') {
      str++;
      break;
    }
    switch (state) {
      case S_START:
        if (c == '0') state = S_HEX0;
        else if (is_digit(c)) state = S_INT;
        else if (c == '+' || c == '-') state = S_S1;
        else if (c == '.') state = S_FLOAT;
        else state = S_INVALID;
        break;
      case S_S1:
        state = is_digit(c) ? S_INT : c == '.' ? S_FLOAT : S_INVALID;
        break;
      case S_HEX0:
        state = c == 'x' || c == 'X' ? S_HEX : is_digit(c) ? S_INT : c == '.' ? S_FLOAT : S_INVALID;
        break;
      case S_HEX:
        if (!is_hex(c)) state = S_INVALID;
        break;
      case S_INT:
        if (c == '.') state = S_FLOAT;
        else if (c == 'e' || c == 'E') state = S_S2;
        else if (!is_digit(c)) state = S_INVALID;
        break;
      case S_FLOAT:
        if (c == 'e' || c == 'E') state = S_S2;
        else if (!is_digit(c)) state = S_INVALID;
        break;
      case S_S2:
        state = c == '+' || c == '-' ? S_EXPONENT : is_digit(c) ? S_SCIENTIFIC : S_INVALID;
        break;
      case S_EXPONENT:
        state = is_digit(c) ? S_SCIENTIFIC : S_INVALID;
        break;
      case S_SCIENTIFIC:
        if (!is_digit(c)) state = S_INVALID;
        break;
      default:
        break;
    }
    transitions[state]++;
  }
  if (state == S_INVALID)
    while (*str && *str != ',') str++;
  if (*str == ',') str++;
  *pstr = str;
  return state;
}

static const char *const SAMPLES[] = {"5012", "1234", "-874", "+122", "35.54400", ".1234500", "-110.700", "+0.64400",
                                      "5.500e+3", "-.123e-2", "-87e+832", "+0.6e-12", "0x1F3A", "0xdeadbe", "T0.3e-1F", "-T.T++Tq",
                                      "1T3.4e4z", "34.0e-T^", "0x", "--5"};

static void state_init(u8 *buf, size_t size, i16 seed) {
  size_t at = 0;
  u32 pick = (u32)seed;
  while (at + 12 < size) {
    pick = pick * 1103515245u + 12345u;
    const char *s = SAMPLES[(pick >> 16) % (sizeof SAMPLES / sizeof SAMPLES[0])];
    size_t n = strlen(s);
    memcpy(buf + at, s, n);
    at += n;
    buf[at++] = ',';
  }
  buf[at] = 0;
}

static u16 bench_state(u8 *buf, size_t size, i16 seed, i16 step, u16 crc) {
  u32 final_counts[NUM_STATES] = {0}, transitions[NUM_STATES] = {0};
  u8 *p = buf;
  while (*p) final_counts[state_transition(&p, transitions)]++;
  /* Corrupt every step-th byte, scan again, and restore. */
  for (size_t i = 0; i < size && buf[i]; i += (size_t)step)
    if (buf[i] != ',') buf[i] ^= (u8)seed;
  p = buf;
  while (*p) final_counts[state_transition(&p, transitions)]++;
  for (size_t i = 0; i < size && buf[i]; i += (size_t)step)
    if (buf[i] != ',') buf[i] ^= (u8)seed;
  for (int i = 0; i < NUM_STATES; i++) {
    crc = crc_u32(final_counts[i], crc);
    crc = crc_u32(transitions[i], crc);
  }
  return crc;
}

/* ---------- main ---------- */

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: minimark <iterations> [size]\n");
    return 2;
  }
  long iterations = atol(argv[1]);
  long size = argc == 3 ? atol(argv[2]) : 2000;
  if (iterations < 1 || iterations > 1000000 || size < 200 || size > 1 << 20) {
    fprintf(stderr, "minimark: iterations must be 1..1000000 and size 200..1048576\n");
    return 2;
  }
  /* The working set is split in three, like CoreMark's. */
  size_t part = (size_t)size / 3;
  i16 seed1 = (i16)(iterations & 0x7fff), seed2 = (i16)((iterations >> 3) ^ 0x3415), seed3 = 0x66;
  size_t n = 0;
  while ((n + 1) * (n + 1) * 2 * sizeof(i16) <= part) n++;
  i16 *a = malloc(n * n * sizeof(i16)), *b = malloc(n * n * sizeof(i16));
  i32 *c = malloc(n * n * sizeof(i32));
  u8 *text = malloc(part + 1);
  list_pool pool;
  node *list = list_init(&pool, part, seed1);
  matrix_init(n, a, b, (i32)seed1 | ((i32)seed2 << 16));
  state_init(text, part, seed1);

  u16 crc = 0, list_crc = 0, matrix_crc = 0, state_crc = 0;
  for (long it = 0; it < iterations; it++) {
    i16 round_seed = (i16)(seed1 ^ (i16)it);
    list_crc = bench_list(&list, (i16)(pool.count / 4 + 1), round_seed, list_crc);
    matrix_crc = bench_matrix(n, a, b, c, (i16)((list_crc & 0x7) | 1), matrix_crc);
    state_crc = bench_state(text, part, (i16)(seed3 ^ (list_crc & 0x1f)), (i16)(1 + (matrix_crc & 0xf)), state_crc);
    crc = crc_u16(list_crc, crc);
    crc = crc_u16(matrix_crc, crc);
    crc = crc_u16(state_crc, crc);
  }
  printf("minimark %ld iterations, %ld bytes (list %zu nodes, matrix %zux%zu): list crc %04x, matrix crc %04x, state crc %04x, crc %04x\n",
         iterations, size, pool.count, n, n, list_crc, matrix_crc, state_crc, crc);
  free(a);
  free(b);
  free(c);
  free(text);
  free(pool.nodes);
  free(pool.records);
  return 0;
}
