/* Bounded JSON reader: recursive descent with a depth limit, values placed in
 * an arena owned by the document (freed at once). See json.h. */
#include "json.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct arena_block {
  struct arena_block *next;
  size_t used, size;
  max_align_t data[];
} arena_block;

struct json_doc {
  arena_block *blocks;
  json_value root;
};

typedef struct {
  const unsigned char *p, *end, *start;
  json_doc *doc;
  char *err;
  size_t err_size;
  int failed;
  size_t max_members; /* per object */
} parser;

static void *arena_alloc(json_doc *d, size_t bytes) {
  bytes = (bytes + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  arena_block *b = d->blocks;
  if (!b || b->size - b->used < bytes) {
    size_t size = bytes > 65536 ? bytes : 65536;
    b = malloc(sizeof *b + size);
    if (!b) return NULL;
    b->size = size;
    b->used = 0;
    b->next = d->blocks;
    d->blocks = b;
  }
  void *p = (char *)b->data + b->used;
  b->used += bytes;
  return p;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(parser *ps, const char *fmt, ...) {
  if (!ps->failed) {
    ps->failed = 1;
    if (ps->err && ps->err_size) {
      int n = snprintf(ps->err, ps->err_size, "at byte %zu: ", (size_t)(ps->p - ps->start));
      if (n >= 0 && (size_t)n < ps->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
        va_end(ap);
      }
    }
  }
  return -1;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

/* The 4 hex digits of a \u escape. */
static int hex4(parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return fail(ps, "truncated \\u escape");
  if (arnn_hex4(ps->p, out) != 0) return fail(ps, "bad hex digit in \\u escape");
  ps->p += 4;
  return 0;
}

static int parse_string(parser *ps, const char **out, size_t *out_len) {
  if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a string");
  ps->p++;
  /* the decoded string is never longer than its source text */
  const unsigned char *q = ps->p;
  while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  if (q >= ps->end) return fail(ps, "unterminated string");
  unsigned char *o = arena_alloc(ps->doc, (size_t)(q - ps->p) + 1);
  if (!o) return fail(ps, "out of memory");
  size_t n = 0;
  while (*ps->p != '"') {
    unsigned c = *ps->p;
    if (c < 0x20) return fail(ps, "control character in a string");
    if (c == '\\') {
      ps->p++;
      c = *ps->p++;
      switch (c) {
        case 'u': {
          unsigned cp = 0;
          if (hex4(ps, &cp) != 0) return -1;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(ps, "lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
              return fail(ps, "high surrogate without a low surrogate");
            ps->p += 2;
            if (hex4(ps, &lo) != 0) return -1;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail(ps, "high surrogate without a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (cp == 0) return fail(ps, "\\u0000 in a string");
          n += arnn_utf8_put(o + n, cp);
          break;
        }
        default: {
          const int byte = arnn_json_simple_escape(c);
          if (byte < 0) return fail(ps, "bad escape \\%c", c >= 0x20 && c < 0x7F ? (char)c : '?');
          o[n++] = (unsigned char)byte;
        }
      }
      continue;
    }
    size_t len = arnn_utf8_len(ps->p, (size_t)(ps->end - ps->p));
    if (len == 0) return fail(ps, "invalid UTF-8 in a string");
    memcpy(o + n, ps->p, len);
    n += len;
    ps->p += len;
  }
  ps->p++;
  o[n] = '\0';
  *out = (const char *)o;
  if (out_len) *out_len = n;
  return 0;
}

static int parse_number(parser *ps, json_value *v) {
  const unsigned char *s = ps->p, *q = s;
  int integral = 1;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad number");
  if (*q == '0') q++;
  else while (q < ps->end && *q >= '0' && *q <= '9') q++;
  if (q < ps->end && *q == '.') {
    integral = 0;
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad number: digits must follow '.'");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    integral = 0;
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad number: digits must follow the exponent");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  char buf[64];
  size_t len = (size_t)(q - s);
  if (len >= sizeof buf) return fail(ps, "number longer than %zu characters", sizeof buf - 1);
  memcpy(buf, s, len);
  buf[len] = '\0';
  v->type = JSON_NUMBER;
  v->number = strtod(buf, NULL);
  if (!isfinite(v->number)) return fail(ps, "number out of range");
  v->is_integer = integral && fabs(v->number) <= 9007199254740992.0;
  v->integer = v->is_integer ? (int64_t)v->number : 0;
  ps->p = q;
  return 0;
}

static int literal(parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "unexpected character");
  ps->p += n;
  return 0;
}

static int parse_value(parser *ps, json_value *v, int depth);

/* Elements are collected in a growable temporary array, then copied into the
 * arena once their count is known. */
static int parse_container(parser *ps, json_value *v, int depth, int object) {
  const char close = object ? '}' : ']';
  size_t cap = 0, n = 0;
  json_value *tmp = NULL;
  const char **keys = NULL;
  int rc = -1;
  if (depth >= ARNN_JSON_MAX_DEPTH) return fail(ps, "nesting deeper than %d", ARNN_JSON_MAX_DEPTH);
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    rc = 0;
    goto done;
  }
  for (;;) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      json_value *t2 = realloc(tmp, ncap * sizeof *tmp);
      if (!t2) { fail(ps, "out of memory"); goto done; }
      tmp = t2;
      if (object) {
        const char **k2 = realloc(keys, ncap * sizeof *keys);
        if (!k2) { fail(ps, "out of memory"); goto done; }
        keys = k2;
      }
      cap = ncap;
    }
    skip_ws(ps);
    if (object) {
      /* the duplicate-key check is quadratic: it covers the first
       * ARNN_JSON_MAX_MEMBERS members; a caller allowing more checks the rest */
      if (n == ps->max_members) {
        fail(ps, "object with more than %zu members", ps->max_members);
        goto done;
      }
      if (parse_string(ps, &keys[n], NULL) != 0) goto done;
      for (size_t i = 0; i < n && n < ARNN_JSON_MAX_MEMBERS; i++)
        if (strcmp(keys[i], keys[n]) == 0) {
          fail(ps, "duplicate key \"%.64s\"", keys[n]);
          goto done;
        }
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') { fail(ps, "expected ':'"); goto done; }
      ps->p++;
    }
    memset(&tmp[n], 0, sizeof tmp[n]);
    if (parse_value(ps, &tmp[n], depth + 1) != 0) goto done;
    n++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      break;
    }
    fail(ps, "expected ',' or '%c'", close);
    goto done;
  }
  rc = 0;
done:
  if (rc == 0) {
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    v->n = n;
    if (n) {
      v->items = arena_alloc(ps->doc, n * sizeof *v->items);
      if (object) v->keys = arena_alloc(ps->doc, n * sizeof *v->keys);
      if (!v->items || (object && !v->keys)) {
        rc = fail(ps, "out of memory");
      } else {
        memcpy(v->items, tmp, n * sizeof *tmp);
        if (object) memcpy(v->keys, keys, n * sizeof *keys);
      }
    }
  }
  free(tmp);
  free(keys);
  return rc;
}

static int parse_value(parser *ps, json_value *v, int depth) {
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, "unexpected end of the document");
  switch (*ps->p) {
    case '{': return parse_container(ps, v, depth, 1);
    case '[': return parse_container(ps, v, depth, 0);
    case '"':
      v->type = JSON_STRING;
      return parse_string(ps, &v->string, &v->n);
    case 't': v->type = JSON_TRUE; return literal(ps, "true");
    case 'f': v->type = JSON_FALSE; return literal(ps, "false");
    case 'n': v->type = JSON_NULL; return literal(ps, "null");
    default: return parse_number(ps, v);
  }
}

int arnn_json_parse(const char *text, size_t len, json_doc **out, char *err, size_t err_size) {
  return arnn_json_parse_large(text, len, ARNN_JSON_MAX_MEMBERS, out, err, err_size);
}

int arnn_json_parse_large(const char *text, size_t len, size_t max_members, json_doc **out, char *err,
                          size_t err_size) {
  *out = NULL;
  json_doc *d = calloc(1, sizeof *d);
  if (!d) {
    if (err && err_size) snprintf(err, err_size, "out of memory");
    return -1;
  }
  parser ps = {(const unsigned char *)text, (const unsigned char *)text + len, (const unsigned char *)text, d,
               err, err_size, 0, max_members < ARNN_JSON_MAX_MEMBERS ? ARNN_JSON_MAX_MEMBERS : max_members};
  if (parse_value(&ps, &d->root, 0) == 0) {
    skip_ws(&ps);
    if (ps.p != ps.end) fail(&ps, "unexpected data after the document");
  }
  if (ps.failed) {
    arnn_json_free(d);
    return -1;
  }
  *out = d;
  return 0;
}

void arnn_json_free(json_doc *d) {
  if (!d) return;
  arena_block *b = d->blocks;
  while (b) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  free(d);
}

const json_value *arnn_json_root(const json_doc *d) { return &d->root; }

const json_value *arnn_json_get(const json_value *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}
