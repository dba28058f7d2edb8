/*
 * json: a JSON document model, parser and serializer, run over a generated document, for the metering benchmark.
 * Written for lilypad's bench/metering.ts (not taken from elsewhere), in the style of small C JSON libraries such
 * as cJSON or json-parser: a tagged value tree allocated from an arena, objects as insertion-ordered member
 * arrays with a hash index for lookups, a recursive-descent parser with full string escapes (\uXXXX with
 * surrogate pairs, to UTF-8), RFC 8259 number syntax checked before strtod, and a serializer with compact and
 * indented output and shortest round-tripping numbers (%.15g, else %.17g).
 *
 *   json <records> [rounds]     records: array elements in the generated document (1..1000000); rounds: default 1
 *
 * Each round generates the document as text, parses it, queries it, serialises it compactly and indented,
 * parses both back and checks that they serialise to the same bytes. Prints sizes, query results and a checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- memory ---------- */

static void *xrealloc(void *p, size_t size) {
  void *q = realloc(p, size);
  if (!q) {
    fprintf(stderr, "json: out of memory (%zu bytes)\n", size);
    exit(3);
  }
  return q;
}

/* Bump allocation in 64 KiB blocks: a parsed tree is freed at once. */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, size;
  unsigned char data[];
} arena_block;

typedef struct {
  arena_block *head;
  size_t total;
} arena;

static void *arena_alloc(arena *a, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if (!a->head || a->head->used + size > a->head->size) {
    size_t block = size > 65536 ? size : 65536;
    arena_block *b = xrealloc(NULL, sizeof(arena_block) + block);
    b->next = a->head;
    b->used = 0;
    b->size = block;
    a->head = b;
  }
  void *p = a->head->data + a->head->used;
  a->head->used += size;
  a->total += size;
  return p;
}

static void arena_free(arena *a) {
  while (a->head) {
    arena_block *next = a->head->next;
    free(a->head);
    a->head = next;
  }
  a->total = 0;
}

/* ---------- growable byte buffer ---------- */

typedef struct {
  char *data;
  size_t len, cap;
} buffer;

static void buf_reserve(buffer *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

static void buf_put(buffer *b, const char *s, size_t n) {
  if (n == 0) return;
  buf_reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

static void buf_putc(buffer *b, char c) {
  buf_reserve(b, 1);
  b->data[b->len++] = c;
}

static void buf_puts(buffer *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_free(buffer *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---------- values ---------- */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } json_type;

typedef struct json_value json_value;

typedef struct {
  const char *key;
  size_t key_len;
  uint32_t hash;
  json_value *value;
} json_member;

struct json_value {
  json_type type;
  union {
    double number;
    struct {
      const char *chars;
      size_t len;
    } string;
    struct {
      json_value **items;
      size_t count;
    } array;
    struct {
      json_member *members;
      size_t count;
      int32_t *index; /* open addressing over members, size index_cap (a power of two), -1 = empty */
      size_t index_cap;
    } object;
  } u;
};

static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

/* Builds the lookup index of an object with more than a handful of members. */
static void object_index(arena *a, json_value *obj) {
  size_t n = obj->u.object.count;
  if (n < 8) return;
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  int32_t *index = arena_alloc(a, cap * sizeof(int32_t));
  for (size_t i = 0; i < cap; i++) index[i] = -1;
  for (size_t i = 0; i < n; i++) {
    size_t slot = obj->u.object.members[i].hash & (cap - 1);
    while (index[slot] >= 0) slot = (slot + 1) & (cap - 1);
    index[slot] = (int32_t)i;
  }
  obj->u.object.index = index;
  obj->u.object.index_cap = cap;
}

static json_value *object_get(const json_value *obj, const char *key) {
  if (!obj || obj->type != J_OBJECT) return NULL;
  size_t n = strlen(key);
  uint32_t h = hash_bytes(key, n);
  const json_member *m = obj->u.object.members;
  if (obj->u.object.index) {
    size_t cap = obj->u.object.index_cap;
    for (size_t slot = h & (cap - 1); obj->u.object.index[slot] >= 0; slot = (slot + 1) & (cap - 1)) {
      const json_member *c = &m[obj->u.object.index[slot]];
      if (c->hash == h && c->key_len == n && memcmp(c->key, key, n) == 0) return c->value;
    }
    return NULL;
  }
  /* Duplicate keys: the last one wins, as in most parsers. */
  for (size_t i = obj->u.object.count; i-- > 0;)
    if (m[i].hash == h && m[i].key_len == n && memcmp(m[i].key, key, n) == 0) return m[i].value;
  return NULL;
}

/* ---------- parser ---------- */

typedef struct {
  const char *p, *end;
  arena *arena;
  const char *error;
  size_t error_at;
  const char *start;
  int depth;
  /* Scratch stacks for array items and object members while a container is being read. */
  json_value **items;
  size_t items_len, items_cap;
  json_member *members;
  size_t members_len, members_cap;
  buffer scratch;
} parser;

#define MAX_DEPTH 512

static int fail(parser *ps, const char *message) {
  if (!ps->error) {
    ps->error = message;
    ps->error_at = (size_t)(ps->p - ps->start);
  }
  return 0;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) ps->p++;
}

static int hex4(const char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static void put_utf8(buffer *b, uint32_t cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  buf_put(b, out, n);
}

/* Reads a string after its opening quote; the decoded bytes are copied into the arena. */
static int parse_string(parser *ps, const char **chars, size_t *len) {
  const char *run = ps->p;
  /* Fast path: no escapes, the bytes are used as they are. */
  while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20) ps->p++;
  if (ps->p < ps->end && *ps->p == '"') {
    size_t n = (size_t)(ps->p - run);
    char *copy = arena_alloc(ps->arena, n + 1);
    memcpy(copy, run, n);
    copy[n] = 0;
    *chars = copy;
    *len = n;
    ps->p++;
    return 1;
  }
  buffer *b = &ps->scratch;
  b->len = 0;
  buf_put(b, run, (size_t)(ps->p - run));
  while (ps->p < ps->end) {
    unsigned char c = (unsigned char)*ps->p++;
    if (c == '"') {
      char *copy = arena_alloc(ps->arena, b->len + 1);
      memcpy(copy, b->data, b->len);
      copy[b->len] = 0;
      *chars = copy;
      *len = b->len;
      return 1;
    }
    if (c < 0x20) return fail(ps, "control character in string");
    if (c != '\\') {
      buf_putc(b, (char)c);
      continue;
    }
    if (ps->p >= ps->end) break;
    char e = *ps->p++;
    switch (e) {
      case '"': buf_putc(b, '"'); break;
      case '\\': buf_putc(b, '\\'); break;
      case '/': buf_putc(b, '/'); break;
      case 'b': buf_putc(b, '\b'); break;
      case 'f': buf_putc(b, '\f'); break;
      case 'n': buf_putc(b, '\n'); break;
      case 'r': buf_putc(b, '\r'); break;
      case 't': buf_putc(b, '\t'); break;
      case 'u': {
        uint32_t cp;
        if (ps->end - ps->p < 4 || !hex4(ps->p, &cp)) return fail(ps, "bad \\u escape");
        ps->p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          uint32_t low;
          if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || !hex4(ps->p + 2, &low) || low < 0xdc00 || low > 0xdfff)
            return fail(ps, "unpaired surrogate");
          ps->p += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          return fail(ps, "unpaired surrogate");
        }
        put_utf8(b, cp);
        break;
      }
      default: return fail(ps, "bad escape");
    }
  }
  return fail(ps, "unterminated string");
}

/* Checks RFC 8259 number syntax, then converts with strtod (or exactly, for small integers). */
static int parse_number(parser *ps, double *out) {
  const char *s = ps->p;
  const char *q = s;
  int negative = 0, integer = 1;
  if (q < ps->end && *q == '-') {
    negative = 1;
    q++;
  }
  if (q >= ps->end) return fail(ps, "bad number");
  if (*q == '0') q++;
  else if (*q >= '1' && *q <= '9')
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  else return fail(ps, "bad number");
  if (q < ps->end && *q == '.') {
    integer = 0;
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad fraction");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    integer = 0;
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad exponent");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  size_t digits = (size_t)(q - s) - (size_t)negative;
  if (integer && digits <= 15) {
    int64_t v = 0;
    for (const char *d = s + negative; d < q; d++) v = v * 10 + (*d - '0');
    *out = negative ? -(double)v : (double)v;
  } else {
    char tmp[64];
    size_t n = (size_t)(q - s);
    if (n >= sizeof tmp) {
      ps->scratch.len = 0;
      buf_put(&ps->scratch, s, n);
      buf_putc(&ps->scratch, 0);
      *out = strtod(ps->scratch.data, NULL);
    } else {
      memcpy(tmp, s, n);
      tmp[n] = 0;
      *out = strtod(tmp, NULL);
    }
  }
  ps->p = q;
  return 1;
}

static json_value *new_value(parser *ps, json_type type) {
  json_value *v = arena_alloc(ps->arena, sizeof(json_value));
  memset(v, 0, sizeof *v);
  v->type = type;
  return v;
}

static int literal(parser *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "bad literal");
  ps->p += n;
  return 1;
}

static json_value *parse_value(parser *ps);

static json_value *parse_array(parser *ps) {
  size_t base = ps->items_len;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
  } else {
    for (;;) {
      json_value *item = parse_value(ps);
      if (!item) return NULL;
      if (ps->items_len == ps->items_cap) {
        ps->items_cap = ps->items_cap ? ps->items_cap * 2 : 64;
        ps->items = xrealloc(ps->items, ps->items_cap * sizeof *ps->items);
      }
      ps->items[ps->items_len++] = item;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        break;
      }
      fail(ps, "expected , or ] in array");
      return NULL;
    }
  }
  json_value *v = new_value(ps, J_ARRAY);
  size_t n = ps->items_len - base;
  v->u.array.count = n;
  v->u.array.items = arena_alloc(ps->arena, n * sizeof(json_value *) + 1);
  memcpy(v->u.array.items, ps->items + base, n * sizeof(json_value *));
  ps->items_len = base;
  return v;
}

static json_value *parse_object(parser *ps) {
  size_t base = ps->members_len;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
  } else {
    for (;;) {
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != '"') {
        fail(ps, "expected a key");
        return NULL;
      }
      ps->p++;
      json_member m;
      if (!parse_string(ps, &m.key, &m.key_len)) return NULL;
      m.hash = hash_bytes(m.key, m.key_len);
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        fail(ps, "expected :");
        return NULL;
      }
      ps->p++;
      m.value = parse_value(ps);
      if (!m.value) return NULL;
      if (ps->members_len == ps->members_cap) {
        ps->members_cap = ps->members_cap ? ps->members_cap * 2 : 64;
        ps->members = xrealloc(ps->members, ps->members_cap * sizeof *ps->members);
      }
      ps->members[ps->members_len++] = m;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        break;
      }
      fail(ps, "expected , or } in object");
      return NULL;
    }
  }
  json_value *v = new_value(ps, J_OBJECT);
  size_t n = ps->members_len - base;
  v->u.object.count = n;
  v->u.object.members = arena_alloc(ps->arena, n * sizeof(json_member) + 1);
  memcpy(v->u.object.members, ps->members + base, n * sizeof(json_member));
  ps->members_len = base;
  object_index(ps->arena, v);
  return v;
}

static json_value *parse_value(parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    fail(ps, "unexpected end of input");
    return NULL;
  }
  json_value *v;
  switch (*ps->p) {
    case '{':
    case '[': {
      if (++ps->depth > MAX_DEPTH) {
        fail(ps, "nesting too deep");
        return NULL;
      }
      char open = *ps->p++;
      v = open == '{' ? parse_object(ps) : parse_array(ps);
      ps->depth--;
      return v;
    }
    case '"':
      ps->p++;
      v = new_value(ps, J_STRING);
      return parse_string(ps, &v->u.string.chars, &v->u.string.len) ? v : NULL;
    case 't': return literal(ps, "true", 4) ? new_value(ps, J_TRUE) : NULL;
    case 'f': return literal(ps, "false", 5) ? new_value(ps, J_FALSE) : NULL;
    case 'n': return literal(ps, "null", 4) ? new_value(ps, J_NULL) : NULL;
    default:
      v = new_value(ps, J_NUMBER);
      return parse_number(ps, &v->u.number) ? v : NULL;
  }
}

/* Parses a whole document; on failure returns NULL and sets *error and *error_at. */
static json_value *json_parse(const char *text, size_t len, arena *a, const char **error, size_t *error_at) {
  parser ps = {0};
  ps.p = ps.start = text;
  ps.end = text + len;
  ps.arena = a;
  json_value *v = parse_value(&ps);
  if (v) {
    skip_ws(&ps);
    if (ps.p != ps.end) {
      fail(&ps, "trailing characters");
      v = NULL;
    }
  }
  *error = ps.error;
  *error_at = ps.error_at;
  free(ps.items);
  free(ps.members);
  buf_free(&ps.scratch);
  return v;
}

/* ---------- serializer ---------- */

static void write_string(buffer *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_reserve(b, n + 2);
  buf_putc(b, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    buf_put(b, s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': buf_put(b, "\\\"", 2); break;
      case '\\': buf_put(b, "\\\\", 2); break;
      case '\n': buf_put(b, "\\n", 2); break;
      case '\r': buf_put(b, "\\r", 2); break;
      case '\t': buf_put(b, "\\t", 2); break;
      case '\b': buf_put(b, "\\b", 2); break;
      case '\f': buf_put(b, "\\f", 2); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        buf_put(b, esc, 6);
      }
    }
  }
  buf_put(b, s + run, n - run);
  buf_putc(b, '"');
}

static void write_number(buffer *b, double d) {
  char tmp[32];
  int n;
  if (d == (double)(int64_t)d && d > -1e15 && d < 1e15) {
    /* Integers print without an exponent or a fraction. */
    int64_t v = (int64_t)d;
    char digits[24];
    int k = 0;
    uint64_t u = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
    do {
      digits[k++] = (char)('0' + u % 10);
      u /= 10;
    } while (u);
    n = 0;
    if (v < 0) tmp[n++] = '-';
    while (k) tmp[n++] = digits[--k];
  } else {
    n = snprintf(tmp, sizeof tmp, "%.15g", d);
    if (strtod(tmp, NULL) != d) n = snprintf(tmp, sizeof tmp, "%.17g", d);
  }
  buf_put(b, tmp, (size_t)n);
}

static void indent(buffer *b, int depth) {
  buf_reserve(b, (size_t)depth * 2 + 1);
  b->data[b->len++] = '\n';
  for (int i = 0; i < depth; i++) {
    b->data[b->len++] = ' ';
    b->data[b->len++] = ' ';
  }
}

/* pretty < 0: compact; otherwise the current depth of indented output. */
static void write_value(buffer *b, const json_value *v, int pretty) {
  switch (v->type) {
    case J_NULL: buf_put(b, "null", 4); break;
    case J_FALSE: buf_put(b, "false", 5); break;
    case J_TRUE: buf_put(b, "true", 4); break;
    case J_NUMBER: write_number(b, v->u.number); break;
    case J_STRING: write_string(b, v->u.string.chars, v->u.string.len); break;
    case J_ARRAY:
      buf_putc(b, '[');
      for (size_t i = 0; i < v->u.array.count; i++) {
        if (i) buf_putc(b, ',');
        if (pretty >= 0) indent(b, pretty + 1);
        write_value(b, v->u.array.items[i], pretty >= 0 ? pretty + 1 : -1);
      }
      if (pretty >= 0 && v->u.array.count) indent(b, pretty);
      buf_putc(b, ']');
      break;
    case J_OBJECT:
      buf_putc(b, '{');
      for (size_t i = 0; i < v->u.object.count; i++) {
        const json_member *m = &v->u.object.members[i];
        if (i) buf_putc(b, ',');
        if (pretty >= 0) indent(b, pretty + 1);
        write_string(b, m->key, m->key_len);
        buf_put(b, pretty >= 0 ? ": " : ":", pretty >= 0 ? 2 : 1);
        write_value(b, m->value, pretty >= 0 ? pretty + 1 : -1);
      }
      if (pretty >= 0 && v->u.object.count) indent(b, pretty);
      buf_putc(b, '}');
      break;
  }
}

/* ---------- the generated document ---------- */

typedef struct {
  uint64_t s;
} rng;

static uint32_t next(rng *r) {
  r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(r->s >> 33);
}

static const char *const FIRST[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus", "Margaret", "Tony"};
static const char *const LAST[] = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Wirth", "Hamilton", "Hoare"};
static const char *const TAGS[] = {"compute", "storage", "gpu", "wasm", "verified", "mediated", "batch", "stream", "cached", "cold"};
static const char *const CITIES[] = {"Z\\u00fcrich", "S\\u00e3o Paulo", "\\u6771\\u4eac", "Reykjav\\u00edk", "Krak\\u00f3w", "New \\\"York\\\"", "\\ud83c\\udf0d Earth"};

/* A JSON array of `records` objects, as text (written directly, as another program would have). */
static void generate(buffer *out, size_t records, uint64_t seed) {
  rng r = {seed};
  char tmp[128];
  buf_puts(out, "{\"version\":3,\"generator\":\"lilypad bench\",\"records\":[");
  for (size_t i = 0; i < records; i++) {
    if (i) buf_putc(out, ',');
    /* One draw per statement: C leaves the order of evaluation of arguments unspecified. */
    const char *first = FIRST[next(&r) % 12];
    const char *last = LAST[next(&r) % 12];
    const char *active = next(&r) % 3 ? "true" : "false";
    int n = snprintf(tmp, sizeof tmp, "\n  {\"id\":%zu,\"name\":\"%s %s\",\"email\":\"%c%s@example.org\",\"active\":%s,", i, first, last,
                     first[0] + 32, last, active);
    buf_put(out, tmp, (size_t)n);
    int whole = (int)(next(&r) % 200000) - 50000;
    unsigned cents = next(&r) % 100;
    double score = (next(&r) % 1000000) / 7.0;
    unsigned ratio_int = next(&r) % 2;
    unsigned ratio_frac = next(&r) % 1000;
    n = snprintf(tmp, sizeof tmp, "\"balance\":%d.%02u,\"score\":%.6e,\"ratio\":%u.%u,", whole, cents, score, ratio_int, ratio_frac);
    buf_put(out, tmp, (size_t)n);
    buf_puts(out, "\"tags\":[");
    unsigned tags = next(&r) % 5;
    for (unsigned t = 0; t < tags; t++) {
      if (t) buf_putc(out, ',');
      buf_putc(out, '"');
      buf_puts(out, TAGS[next(&r) % 10]);
      buf_putc(out, '"');
    }
    const char *city = CITIES[next(&r) % 7];
    unsigned zip = next(&r) % 100000;
    int lat = (int)(next(&r) % 180) - 90;
    unsigned lat_frac = next(&r) % 10000;
    int lon = (int)(next(&r) % 360) - 180;
    unsigned lon_frac = next(&r) % 10000;
    n = snprintf(tmp, sizeof tmp, "],\"address\":{\"city\":\"%s\",\"zip\":\"%05u\",\"geo\":[%d.%04u,%d.%04u]},", city, zip, lat, lat_frac, lon, lon_frac);
    buf_put(out, tmp, (size_t)n);
    buf_puts(out, "\"history\":[");
    unsigned events = 1 + next(&r) % 6;
    for (unsigned e = 0; e < events; e++) {
      unsigned at = 1700000000u + next(&r) % 10000000;
      const char *kind = next(&r) % 2 ? "credit" : "debit";
      unsigned amount = next(&r) % 5000;
      const char *note = next(&r) % 4 ? "null" : "\"line one\\nline two\\t(tab)\"";
      n = snprintf(tmp, sizeof tmp, "%s{\"at\":%u,\"kind\":\"%s\",\"amount\":%u,\"note\":%s}", e ? "," : "", at, kind, amount, note);
      buf_put(out, tmp, (size_t)n);
    }
    buf_puts(out, "]}");
  }
  buf_puts(out, "\n]}\n");
}

/* ---------- queries over the tree ---------- */

typedef struct {
  size_t records, active, tags, events;
  double balance, credits;
  uint64_t name_hash;
} summary;

static void summarize(const json_value *doc, summary *s) {
  memset(s, 0, sizeof *s);
  const json_value *records = object_get(doc, "records");
  if (!records || records->type != J_ARRAY) return;
  s->records = records->u.array.count;
  for (size_t i = 0; i < records->u.array.count; i++) {
    const json_value *rec = records->u.array.items[i];
    const json_value *active = object_get(rec, "active");
    if (active && active->type == J_TRUE) s->active++;
    const json_value *balance = object_get(rec, "balance");
    if (balance && balance->type == J_NUMBER) s->balance += balance->u.number;
    const json_value *tags = object_get(rec, "tags");
    if (tags && tags->type == J_ARRAY) s->tags += tags->u.array.count;
    const json_value *city = object_get(object_get(rec, "address"), "city");
    const json_value *name = object_get(rec, "name");
    if (name && name->type == J_STRING) s->name_hash = s->name_hash * 31 + hash_bytes(name->u.string.chars, name->u.string.len);
    if (city && city->type == J_STRING) s->name_hash ^= hash_bytes(city->u.string.chars, city->u.string.len);
    const json_value *history = object_get(rec, "history");
    if (!history || history->type != J_ARRAY) continue;
    for (size_t e = 0; e < history->u.array.count; e++) {
      const json_value *event = history->u.array.items[e];
      const json_value *kind = object_get(event, "kind"), *amount = object_get(event, "amount");
      s->events++;
      if (kind && kind->type == J_STRING && kind->u.string.len == 6 && memcmp(kind->u.string.chars, "credit", 6) == 0 && amount &&
          amount->type == J_NUMBER)
        s->credits += amount->u.number;
    }
  }
}

static json_value *parse_or_die(const buffer *text, arena *a) {
  const char *error;
  size_t at;
  json_value *v = json_parse(text->data, text->len, a, &error, &at);
  if (!v) {
    fprintf(stderr, "json: parse error at byte %zu: %s\n", at, error);
    exit(1);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: json <records> [rounds]\n");
    return 2;
  }
  long records = atol(argv[1]);
  long rounds = argc == 3 ? atol(argv[2]) : 1;
  if (records < 1 || records > 1000000 || rounds < 1 || rounds > 10000) {
    fprintf(stderr, "json: records must be 1..1000000 and rounds 1..10000\n");
    return 2;
  }
  uint64_t checksum = 0;
  size_t source_bytes = 0, compact_bytes = 0, pretty_bytes = 0;
  summary s = {0};
  for (long round = 0; round < rounds; round++) {
    buffer source = {0}, compact = {0}, pretty = {0}, again = {0};
    generate(&source, (size_t)records, 0x853c49e6748fea9bULL + (uint64_t)round);
    arena a = {0}, b = {0}, c = {0};
    json_value *doc = parse_or_die(&source, &a);
    summarize(doc, &s);
    write_value(&compact, doc, -1);
    write_value(&pretty, doc, 0);
    json_value *from_compact = parse_or_die(&compact, &b);
    json_value *from_pretty = parse_or_die(&pretty, &c);
    write_value(&again, from_pretty, -1);
    summary s2;
    summarize(from_compact, &s2);
    if (again.len != compact.len || memcmp(again.data, compact.data, compact.len) != 0 || s2.active != s.active || s2.balance != s.balance) {
      fprintf(stderr, "json: round trip changed the document\n");
      return 1;
    }
    source_bytes += source.len;
    compact_bytes += compact.len;
    pretty_bytes += pretty.len;
    checksum = checksum * 1099511628211ULL ^ hash_bytes(compact.data, compact.len) ^ ((uint64_t)hash_bytes(pretty.data, pretty.len) << 32);
    arena_free(&a);
    arena_free(&b);
    arena_free(&c);
    buf_free(&source);
    buf_free(&compact);
    buf_free(&pretty);
    buf_free(&again);
  }
  printf("json %ld records x%ld: source %zu B, compact %zu B, pretty %zu B; active %zu, tags %zu, events %zu, balance %.2f, credits %.0f, names %016llx, checksum %016llx\n",
         records, rounds, source_bytes, compact_bytes, pretty_bytes, s.active, s.tags, s.events, s.balance, s.credits,
         (unsigned long long)s.name_hash, (unsigned long long)checksum);
  return 0;
}
