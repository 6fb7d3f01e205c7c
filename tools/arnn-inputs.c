/* Parsers of `arnn predict`'s input files, on memory buffers so that
 * tests/fuzz/fuzz-cli-inputs.c can drive them: every input, however hostile,
 * gives either a result or an error message, within the buffer. */
#include "arnn-inputs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err && err_size) vsnprintf(err, err_size, fmt, ap);
  va_end(ap);
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* A decimal integer in [s, end): optional '-', digits; *value saturates. */
static int parse_int(const char *s, const char *end, long long *value, const char **after) {
  const char *p = s;
  int neg = 0;
  if (p < end && *p == '-') neg = 1, p++;
  if (p == end || *p < '0' || *p > '9') return 0;
  unsigned long long v = 0;
  for (; p < end && *p >= '0' && *p <= '9'; p++) v = v > (1ull << 40) ? v : v * 10 + (unsigned long long)(*p - '0');
  *value = neg ? -(long long)v : (long long)v;
  *after = p;
  return 1;
}

int cli_parse_ids_text(const char *buf, size_t size, const char *name, size_t T, size_t V, arnn_padding padding,
                       cli_ids *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  if (T == 0) return fail(err, err_size, "%s: the model has T = 0", name);
  size_t cap = 0, line_no = 0;
  int *tokens = malloc(T * sizeof *tokens);
  if (!tokens) return fail(err, err_size, "out of memory");
  const char *p = buf, *end = buf + size;
  int rc = 0;
  while (p < end && rc == 0) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    line_no++;
    size_t len = 0;
    const char *q = p;
    for (;;) {
      while (q < eol && is_space(*q)) q++;
      if (q == eol) break;
      long long v;
      const char *after;
      if (!parse_int(q, eol, &v, &after) || (after < eol && !is_space(*after))) {
        const int shown = (int)(eol - q < 20 ? eol - q : 20);
        rc = fail(err, err_size, "%s:%zu: not a token id: \"%.*s\"", name, line_no, shown, q);
        break;
      }
      if (v < 0 || (unsigned long long)v >= V) {
        rc = fail(err, err_size, "%s:%zu: token id %lld is outside the vocabulary [0, %zu)", name, line_no, v, V);
        break;
      }
      if (len == T) {
        rc = fail(err, err_size, "%s:%zu: more than T=%zu token ids (the model's sequence length)", name, line_no, T);
        break;
      }
      tokens[len++] = (int)v;
      q = after;
    }
    if (rc) break;
    if (out->n == cap) {
      cap = cap ? 2 * cap : 64;
      if (cap > SIZE_MAX / sizeof(int) / T) {
        rc = fail(err, err_size, "%s: too many sequences", name);
        break;
      }
      int *ids = realloc(out->ids, cap * T * sizeof *ids);
      if (ids) out->ids = ids;
      size_t *lengths = ids ? realloc(out->lengths, cap * sizeof *lengths) : NULL;
      if (lengths) out->lengths = lengths;
      if (!ids || !lengths) {
        rc = fail(err, err_size, "out of memory after %zu sequences", out->n);
        break;
      }
    }
    /* the real tokens sit where the model's padding puts them; the library
     * overwrites the other slots with id 0 (lengths) */
    int *row = out->ids + out->n * T;
    const size_t first = padding == ARNN_PADDING_POST ? 0 : T - len;
    memset(row, 0, T * sizeof *row);
    memcpy(row + first, tokens, len * sizeof *row);
    out->lengths[out->n++] = len;
    p = eol < end ? eol + 1 : end;
  }
  free(tokens);
  if (rc) cli_ids_free(out);
  return rc;
}

void cli_ids_free(cli_ids *ids) {
  free(ids->ids);
  free(ids->lengths);
  memset(ids, 0, sizeof *ids);
}

/* The value of `key` in a .npy header dict, e.g. 'descr': '<f4'. */
static const char *dict_value(const char *h, const char *key) {
  const char *k = strstr(h, key);
  if (!k) return NULL;
  k += strlen(key);
  while (*k == ' ') k++;
  return k;
}

int cli_parse_npy(const unsigned char *buf, size_t size, const char *name, const char *descr, size_t ndim,
                  size_t shape[3], const unsigned char **data, char *err, size_t err_size) {
  if (size < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) return fail(err, err_size, "%s: not a .npy file", name);
  size_t hlen, off;
  if (buf[6] == 1) {
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    off = 10;
  } else if (buf[6] == 2 || buf[6] == 3) {
    if (size < 12) return fail(err, err_size, "%s: truncated .npy header", name);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    off = 12;
  } else {
    return fail(err, err_size, "%s: unknown .npy version %u", name, buf[6]);
  }
  if (hlen > (1u << 20)) return fail(err, err_size, "%s: .npy header of %zu bytes is too large", name, hlen);
  if (hlen > size - off) return fail(err, err_size, "%s: truncated .npy header", name);
  char *h = malloc(hlen + 1);
  if (!h) return fail(err, err_size, "out of memory");
  memcpy(h, buf + off, hlen);
  h[hlen] = '\0';
  int rc = 0;
  const char *d = dict_value(h, "'descr':"), *o = dict_value(h, "'fortran_order':"), *s = dict_value(h, "'shape':");
  const size_t dl = strlen(descr);
  size_t count = 1, dims = 0;
  if (!d || !o || !s) {
    rc = fail(err, err_size, "%s: .npy header lacks descr, fortran_order or shape", name);
  } else if (d[0] != '\'' || strncmp(d + 1, descr, dl) != 0 || d[1 + dl] != '\'') {
    rc = fail(err, err_size, "%s: dtype %.8s, expected '%s'", name, d, descr);
  } else if (strncmp(o, "False", 5) != 0) {
    rc = fail(err, err_size, "%s: Fortran-order arrays are not supported (save a C-order array)", name);
  } else if (*s != '(') {
    rc = fail(err, err_size, "%s: cannot read the shape in the .npy header", name);
  } else {
    const char *p = s + 1;
    for (;;) {
      while (*p == ' ' || *p == ',') p++;
      if (*p == ')') break;
      long long v;
      const char *after;
      if (dims == 3 || !parse_int(p, p + strlen(p), &v, &after) || v < 0 || v > (1ll << 40)) {
        rc = fail(err, err_size, "%s: cannot read the shape in the .npy header", name);
        break;
      }
      shape[dims++] = (size_t)v;
      if (v && count > SIZE_MAX / 8 / (size_t)v) {
        rc = fail(err, err_size, "%s: the array is too large", name);
        break;
      }
      count *= (size_t)v;
      p = after;
    }
    if (rc == 0 && dims != ndim)
      rc = fail(err, err_size, "%s: array has %zu dimensions, expected %zu", name, dims, ndim);
    if (rc == 0 && count * 4 > size - off - hlen)
      rc = fail(err, err_size, "%s: truncated .npy data (%zu of %zu bytes)", name, size - off - hlen, count * 4);
  }
  free(h);
  if (rc == 0) *data = buf + off + hlen;
  return rc;
}
