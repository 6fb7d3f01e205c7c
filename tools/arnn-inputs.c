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

char *cli_quote(char *dst, size_t dst_size, const void *s, size_t n, int quoted) {
  if (!dst_size) return dst;
  const unsigned char *p = s;
  size_t at = 0;
  /* appends while room remains; the worst case (32 bytes as \xNN, quotes,
   * the length) is ~170 bytes, so a caller's 256-byte buffer never cuts it */
#define PUT(...)                                                                      \
  do {                                                                                \
    if (at < dst_size) {                                                              \
      const int w = snprintf(dst + at, dst_size - at, __VA_ARGS__);                   \
      at = w < 0 ? dst_size : at + (size_t)w;                                         \
    }                                                                                 \
  } while (0)
  dst[0] = '\0';
  if (quoted) PUT("\"");
  const size_t shown = n > CLI_QUOTE_MAX ? CLI_QUOTE_MAX : n;
  for (size_t i = 0; i < shown; i++) {
    const unsigned char c = p[i];
    if (c == '\\' || (quoted && c == '"')) PUT("\\%c", c);
    else if (c == '\n') PUT("\\n");
    else if (c == '\t') PUT("\\t");
    else if (c == '\r') PUT("\\r");
    else if (c < 0x20 || c >= 0x7f) PUT("\\x%02x", c);
    else PUT("%c", c);
  }
  if (shown < n) PUT("...");
  if (quoted) PUT("\"");
  if (shown < n) PUT(" (%zu bytes)", n);
#undef PUT
  return dst;
}

/* A decimal integer in [s, end): optional '-', digits; *value saturates (a
 * caller that needs the exact text quotes [s, *after)). */
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
                       cli_empty_lines empty_lines, cli_ids *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  if (T == 0) return fail(err, err_size, "%s: the model has T = 0", name);
  size_t cap = 0, line_no = 0;
  int *tokens = malloc(T * sizeof *tokens);
  if (!tokens) return fail(err, err_size, "out of memory");
  const char *p = buf, *end = buf + size;
  int rc = 0;
  char shown[200];
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
        const char *tok_end = q;
        while (tok_end < eol && !is_space(*tok_end)) tok_end++;
        rc = fail(err, err_size, "%s:%zu: not a token id: %s", name, line_no,
                  cli_quote(shown, sizeof shown, q, (size_t)(tok_end - q), 1));
        break;
      }
      if (v < 0 || (unsigned long long)v >= V) {
        /* the token's own digits: the saturated value would misreport a long one */
        rc = fail(err, err_size, "%s:%zu: token id %s is outside the vocabulary [0, %zu)", name, line_no,
                  cli_quote(shown, sizeof shown, q, (size_t)(after - q), 0), V);
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
    p = eol < end ? eol + 1 : end;
    if (len == 0 && empty_lines != CLI_EMPTY_LINES_PREDICT) {
      if (empty_lines == CLI_EMPTY_LINES_SKIP) {
        out->skipped++;
        continue;
      }
      rc = fail(err, err_size,
                "%s:%zu: blank line (no token ids); --empty-lines=skip drops blank lines, "
                "--empty-lines=predict predicts them as empty sequences",
                name, line_no);
      break;
    }
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

/* numpy's name of a dtype string, for the message that refuses it. */
static const char *dtype_name(const char *descr, size_t n) {
  static const char *const names[][2] = {
      {"<f2", "float16"}, {"<f4", "float32"}, {"<f8", "float64"}, {"|i1", "int8"},   {"|u1", "uint8"},
      {"<i2", "int16"},   {"<u2", "uint16"},  {"<i4", "int32"},   {"<u4", "uint32"}, {"<i8", "int64"},
      {"<u8", "uint64"},  {"|b1", "bool"},    {">f4", "big-endian float32"},         {">i4", "big-endian int32"},
      {">f8", "big-endian float64"},          {">i8", "big-endian int64"},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i][0]) == n && memcmp(names[i][0], descr, n) == 0) return names[i][1];
  return NULL;
}

/* A shape tuple with more dimensions than this is not an array numpy writes. */
#define NPY_MAX_DIMS 64

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
  char shown[200];
  const char *want = dtype_name(descr, dl);
  if (!d || !o || !s) {
    rc = fail(err, err_size, "%s: .npy header lacks descr, fortran_order or shape", name);
  } else if (d[0] != '\'' && d[0] != '"') {
    /* a list of fields: a structured array */
    rc = fail(err, err_size, "%s: dtype is not a plain type (a structured array?), expected '%s' (%s)", name, descr,
              want ? want : descr);
  } else if (!strchr(d + 1, d[0])) {
    rc = fail(err, err_size, "%s: cannot read the dtype in the .npy header", name);
  } else if ((size_t)(strchr(d + 1, d[0]) - (d + 1)) != dl || strncmp(d + 1, descr, dl) != 0) {
    const size_t n = (size_t)(strchr(d + 1, d[0]) - (d + 1));
    const char *have = dtype_name(d + 1, n);
    rc = fail(err, err_size, "%s: dtype '%s'%s%s%s, expected '%s' (%s)", name,
              cli_quote(shown, sizeof shown, d + 1, n, 0),
              have ? " (" : "", have ? have : "", have ? ")" : "", descr, want ? want : descr);
  } else if (strncmp(o, "False", 5) != 0) {
    rc = fail(err, err_size, "%s: Fortran-order arrays are not supported (save a C-order array)", name);
  } else if (*s != '(') {
    rc = fail(err, err_size, "%s: cannot read the shape in the .npy header", name);
  } else {
    /* every dimension is read, so a wrong rank is reported as a rank */
    const char *p = s + 1;
    for (;;) {
      while (*p == ' ' || *p == ',') p++;
      if (*p == ')') break;
      long long v;
      const char *after;
      if (dims == NPY_MAX_DIMS) {
        rc = fail(err, err_size, "%s: more than %d dimensions in the .npy shape", name, NPY_MAX_DIMS);
        break;
      }
      if (!parse_int(p, p + strlen(p), &v, &after) || v < 0 || v > (1ll << 40)) {
        rc = fail(err, err_size, "%s: cannot read the shape in the .npy header", name);
        break;
      }
      if (dims < 3) shape[dims] = (size_t)v;
      /* the size only matters for an array of the expected rank */
      if (++dims <= ndim) {
        if (v && count > SIZE_MAX / 8 / (size_t)v) {
          rc = fail(err, err_size, "%s: the array is too large", name);
          break;
        }
        count *= (size_t)v;
      }
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
