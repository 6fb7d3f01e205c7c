/* arnn model file loader: a strict, bounded safetensors reader.
 *
 * File layout (docs/model-format.md):
 *   u64 little-endian N | N bytes of JSON header | data section
 * The header is one JSON object: "__metadata__" -> {string: string} and one
 * entry per tensor -> {"dtype": "F32", "shape": [...], "data_offsets": [b, e]},
 * offsets relative to the start of the data section.
 *
 * Every check happens before anything is trusted: the header length against
 * the limit and the file size, the JSON (own parser for exactly this schema:
 * no recursion, no numbers other than non-negative integers, strict UTF-8),
 * the metadata values and their ranges, the set of tensors the architecture
 * needs (no more, no less), each dtype and shape, each byte range (in the data
 * section, the right length, no overlaps, no gaps, as the safetensors format
 * requires), and finally every weight value (NaN or inf refused). Shape
 * products are checked against the ranges with the dimensions already bounded
 * by the metadata limits, so no multiplication can overflow 64 bits.
 *
 * The library never prints: every failure is a status plus a message. */
#include "model-file.h"

#include "../kernels/common/bf16-inl.h"
#include "graph-internal.h"
#include "struct-size.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors (load-error.h: the first failure's status and message) ---- */

typedef arnn_load_error err_ctx;
#define fail arnn_load_fail

/* ---- the tensors an architecture can have ---- */

enum {
  TS_EMBEDDING,
  TS_FW_KERNEL,
  TS_FW_RECURRENT,
  TS_FW_BIAS,
  TS_BW_KERNEL,
  TS_BW_RECURRENT,
  TS_BW_BIAS,
  TS_ATT_WEIGHT,
  TS_ATT_BIAS,
  TS_DENSE_KERNEL,
  TS_DENSE_BIAS,
  TS_COUNT
};

static const char *const tensor_names[TS_COUNT] = {
    "embedding.weight", "rnn.forward.kernel",  "rnn.forward.recurrent_kernel",  "rnn.forward.bias",
    "rnn.backward.kernel", "rnn.backward.recurrent_kernel", "rnn.backward.bias", "attention.weight",
    "attention.bias",   "dense.kernel",        "dense.bias"};

#define MAX_RANK 8
typedef struct {
  int present;
  char dtype[16]; /* as written, truncated for messages */
  int have_dtype, have_shape, have_offsets;
  size_t rank;
  uint64_t shape[MAX_RANK];
  uint64_t begin, end;
} tensor_rec;

#define MAX_META 64
typedef struct {
  char *key, *value;
  size_t value_len;
} meta_entry;

/* Tensors with other names than version 1's (the graph's "<layer>/<param>"). */
#define MAX_TENSORS 16384
typedef struct {
  char *name;
  tensor_rec rec;
} named_tensor;

typedef struct {
  tensor_rec t[TS_COUNT];
  named_tensor *extra;
  size_t n_extra, cap_extra;
  meta_entry meta[MAX_META];
  size_t n_meta;
  int have_meta;
} header_doc;

static void header_free(header_doc *h) {
  for (size_t i = 0; i < h->n_meta; i++) {
    free(h->meta[i].key);
    free(h->meta[i].value);
  }
  h->n_meta = 0;
  for (size_t i = 0; i < h->n_extra; i++) free(h->extra[i].name);
  free(h->extra);
  h->extra = NULL;
  h->n_extra = h->cap_extra = 0;
}

/* ---- JSON, only as much as the safetensors header needs ---- */

typedef struct {
  const unsigned char *p, *end, *start;
  err_ctx *e;
  const char *what; /* "header" or "metadata labels", for messages */
} json_in;

static size_t jpos(const json_in *j) { return (size_t)(j->p - j->start); }

static void skip_ws(json_in *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int expect_char(json_in *j, char c) {
  skip_ws(j);
  if (j->p >= j->end) {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON ends early (expected '%c')", j->what, c);
    return -1;
  }
  if (*j->p != (unsigned char)c) {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: expected '%c' at byte %zu, found 0x%02x", j->what, c, jpos(j),
         *j->p);
    return -1;
  }
  j->p++;
  return 0;
}

/* Next non-blank character without consuming it, or -1 at the end. */
static int peek(json_in *j) {
  skip_ws(j);
  return j->p < j->end ? *j->p : -1;
}

/* After an element of an array or object: 1 when a ',' follows (consumed:
 * another element comes), 0 when the closing character does (consumed), -1
 * (reported) otherwise. */
static int next_element(json_in *j, char close) {
  if (peek(j) == ',') {
    j->p++;
    return 1;
  }
  return expect_char(j, close) != 0 ? -1 : 0;
}

/* Parses a JSON string into a new NUL-terminated UTF-8 buffer (*out, length
 * *out_len). \u0000 is refused: names and labels are C strings. */
static int parse_string(json_in *j, char **out, size_t *out_len) {
  *out = NULL;
  if (expect_char(j, '"') != 0) return -1;
  const unsigned char *s = j->p;
  /* The decoded form is never longer than the raw form. */
  const unsigned char *q = s;
  while (q < j->end && *q != '"') q += (*q == '\\' && q + 1 < j->end) ? 2 : 1;
  if (q >= j->end) {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: unterminated string at byte %zu", j->what, jpos(j));
    return -1;
  }
  char *o = malloc((size_t)(q - s) + 1);
  if (!o) {
    fail(j->e, ARNN_ERR_OUT_OF_MEMORY, "out of memory while parsing the %s", j->what);
    return -1;
  }
  size_t n = 0;
  while (j->p < j->end && *j->p != '"') {
    unsigned c = *j->p;
    if (c < 0x20) {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: control character 0x%02x inside a string at byte %zu", j->what,
           c, jpos(j));
      goto bad;
    }
    if (c == '\\') {
      if (j->end - j->p < 2) goto unterminated;
      unsigned esc = j->p[1];
      j->p += 2;
      switch (esc) {
        case 'u': {
          unsigned cp, lo;
          if (j->end - j->p < 4 || arnn_hex4(j->p, &cp) != 0) goto bad_escape;
          j->p += 4;
          if (cp >= 0xDC00 && cp <= 0xDFFF) goto bad_escape; /* lone low surrogate */
          if (cp >= 0xD800 && cp <= 0xDBFF) {                /* needs its low half */
            if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || arnn_hex4(j->p + 2, &lo) != 0 || lo < 0xDC00 ||
                lo > 0xDFFF)
              goto bad_escape;
            j->p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (cp == 0) {
            fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: \\u0000 inside a string at byte %zu", j->what, jpos(j));
            goto bad;
          }
          n += arnn_utf8_put((unsigned char *)o + n, cp);
          break;
        }
        default: {
          const int byte = arnn_json_simple_escape(esc);
          if (byte < 0) goto bad_escape;
          o[n++] = (char)byte;
        }
      }
      continue;
    }
    size_t len = arnn_utf8_len(j->p, (size_t)(j->end - j->p));
    if (len == 0) {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: invalid UTF-8 at byte %zu", j->what, jpos(j));
      goto bad;
    }
    memcpy(o + n, j->p, len);
    n += len;
    j->p += len;
  }
  if (j->p >= j->end) goto unterminated;
  j->p++; /* closing quote */
  o[n] = '\0';
  *out = o;
  if (out_len) *out_len = n;
  return 0;
bad_escape:
  fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: invalid escape sequence at byte %zu", j->what, jpos(j));
  goto bad;
unterminated:
  fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s JSON: unterminated string", j->what);
bad:
  free(o);
  return -1;
}

/* A non-negative JSON integer below 2^63 (no sign, fraction or exponent). */
static int parse_uint(json_in *j, const char *field, uint64_t *out) {
  skip_ws(j);
  const unsigned char *s = j->p;
  uint64_t v = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    unsigned d = *j->p - '0';
    if (v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / 10) {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s: integer too large at byte %zu", field, jpos(j));
      return -1;
    }
    v = v * 10 + d;
    j->p++;
  }
  size_t ndig = (size_t)(j->p - s);
  if (ndig == 0 || (ndig > 1 && s[0] == '0') ||
      (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))) {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s: expected a non-negative integer at byte %zu", field,
         (size_t)(s - j->start));
    return -1;
  }
  *out = v;
  return 0;
}

/* [u, u, ...] with at most `max` elements. */
static int parse_uint_array(json_in *j, const char *field, uint64_t *vals, size_t max, size_t *count) {
  if (expect_char(j, '[') != 0) return -1;
  size_t n = 0;
  if (peek(j) == ']') {
    j->p++;
    *count = 0;
    return 0;
  }
  for (;;) {
    if (n == max) {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "%s has more than %zu elements", field, max);
      return -1;
    }
    if (parse_uint(j, field, &vals[n]) != 0) return -1;
    n++;
    const int more = next_element(j, ']');
    if (more < 0) return -1;
    if (!more) break;
  }
  *count = n;
  return 0;
}

static int grow_extra(header_doc *h) {
  const size_t cap = h->cap_extra ? 2 * h->cap_extra : 32;
  named_tensor *q = realloc(h->extra, cap * sizeof *q);
  if (!q) return -1;
  h->extra = q;
  h->cap_extra = cap;
  return 0;
}

static int tensor_index(const char *name) {
  for (int i = 0; i < TS_COUNT; i++)
    if (strcmp(name, tensor_names[i]) == 0) return i;
  return -1;
}

static int parse_tensor(json_in *j, const char *name, tensor_rec *t) {
  char field[96];
  if (expect_char(j, '{') != 0) return -1;
  if (peek(j) == '}') {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: empty entry (needs dtype, shape, data_offsets)", name);
    return -1;
  }
  for (;;) {
    char *key;
    if (parse_string(j, &key, NULL) != 0) return -1;
    if (expect_char(j, ':') != 0) {
      free(key);
      return -1;
    }
    int rc = 0;
    if (strcmp(key, "dtype") == 0 && !t->have_dtype) {
      char *dt;
      size_t len;
      rc = parse_string(j, &dt, &len);
      if (rc == 0) {
        snprintf(t->dtype, sizeof t->dtype, "%s", dt);
        if (len >= sizeof t->dtype) t->dtype[sizeof t->dtype - 2] = '~'; /* mark truncation */
        free(dt);
        t->have_dtype = 1;
      }
    } else if (strcmp(key, "shape") == 0 && !t->have_shape) {
      snprintf(field, sizeof field, "tensor %s: shape", name);
      rc = parse_uint_array(j, field, t->shape, MAX_RANK, &t->rank);
      t->have_shape = 1;
    } else if (strcmp(key, "data_offsets") == 0 && !t->have_offsets) {
      uint64_t v[2];
      size_t n = 0;
      snprintf(field, sizeof field, "tensor %s: data_offsets", name);
      rc = parse_uint_array(j, field, v, 2, &n);
      if (rc == 0 && n != 2) {
        fail(j->e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: data_offsets must have 2 elements, has %zu", name, n);
        rc = -1;
      }
      t->begin = v[0];
      t->end = v[1];
      t->have_offsets = 1;
    } else if (strcmp(key, "dtype") == 0 || strcmp(key, "shape") == 0 || strcmp(key, "data_offsets") == 0) {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: duplicate key \"%s\"", name, key);
      rc = -1;
    } else {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: unknown key \"%.64s\"", name, key);
      rc = -1;
    }
    free(key);
    if (rc != 0) return -1;
    const int more = next_element(j, '}');
    if (more < 0) return -1;
    if (!more) break;
  }
  if (!t->have_dtype || !t->have_shape || !t->have_offsets) {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: missing %s", name,
         !t->have_dtype ? "dtype" : !t->have_shape ? "shape" : "data_offsets");
    return -1;
  }
  return 0;
}

static int parse_metadata(json_in *j, header_doc *h) {
  if (expect_char(j, '{') != 0) return -1;
  if (peek(j) == '}') {
    j->p++;
    return 0;
  }
  for (;;) {
    char *key, *value;
    size_t vlen;
    if (parse_string(j, &key, NULL) != 0) return -1;
    for (size_t i = 0; i < h->n_meta; i++)
      if (strcmp(h->meta[i].key, key) == 0) {
        fail(j->e, ARNN_ERR_MALFORMED_MODEL, "__metadata__: duplicate key \"%.64s\"", key);
        free(key);
        return -1;
      }
    if (h->n_meta == MAX_META) {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ has more than %d entries", MAX_META);
      free(key);
      return -1;
    }
    if (expect_char(j, ':') != 0) {
      free(key);
      return -1;
    }
    if (peek(j) != '"') {
      fail(j->e, ARNN_ERR_MALFORMED_MODEL,
           "__metadata__ value of \"%.64s\" is not a string (safetensors metadata values are strings)", key);
      free(key);
      return -1;
    }
    if (parse_string(j, &value, &vlen) != 0) {
      free(key);
      return -1;
    }
    h->meta[h->n_meta].key = key;
    h->meta[h->n_meta].value = value;
    h->meta[h->n_meta].value_len = vlen;
    h->n_meta++;
    const int more = next_element(j, '}');
    if (more <= 0) return more;
  }
}

static int parse_header(json_in *j, header_doc *h) {
  if (expect_char(j, '{') != 0) return -1;
  if (peek(j) == '}') {
    j->p++;
  } else {
    for (;;) {
      char *key;
      if (parse_string(j, &key, NULL) != 0) return -1;
      if (expect_char(j, ':') != 0) {
        free(key);
        return -1;
      }
      int rc;
      if (strcmp(key, "__metadata__") == 0) {
        if (h->have_meta) {
          fail(j->e, ARNN_ERR_MALFORMED_MODEL, "header has two __metadata__ entries");
          rc = -1;
        } else {
          h->have_meta = 1;
          rc = parse_metadata(j, h);
        }
      } else {
        int ti = tensor_index(key);
        if (ti < 0) {
          /* another name: kept for a version-2 graph, refused by version 1;
           * duplicates are found once the names are sorted */
          rc = -1;
          if (h->n_extra == MAX_TENSORS) {
            fail(j->e, ARNN_ERR_MALFORMED_MODEL, "header has more than %d tensors", MAX_TENSORS);
          } else if (h->n_extra == h->cap_extra && grow_extra(h) != 0) {
            fail(j->e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the tensor list");
          } else {
            named_tensor *nt = &h->extra[h->n_extra++];
            memset(nt, 0, sizeof *nt);
            nt->name = key;
            key = NULL;
            nt->rec.present = 1;
            rc = parse_tensor(j, nt->name, &nt->rec);
          }
        } else if (h->t[ti].present) {
          fail(j->e, ARNN_ERR_MALFORMED_MODEL, "tensor %s appears twice", key);
          rc = -1;
        } else {
          h->t[ti].present = 1;
          rc = parse_tensor(j, key, &h->t[ti]);
        }
      }
      free(key);
      if (rc != 0) return -1;
      const int more = next_element(j, '}');
      if (more < 0) return -1;
      if (!more) break;
    }
  }
  skip_ws(j);
  if (j->p != j->end) {
    fail(j->e, ARNN_ERR_MALFORMED_MODEL, "header JSON: unexpected data after the object at byte %zu", jpos(j));
    return -1;
  }
  return 0;
}

/* ---- metadata -> architecture ---- */

static const char *meta_get(const header_doc *h, const char *key) {
  for (size_t i = 0; i < h->n_meta; i++)
    if (strcmp(h->meta[i].key, key) == 0) return h->meta[i].value;
  return NULL;
}

static int meta_required(const header_doc *h, err_ctx *e, const char *key, const char **out) {
  *out = meta_get(h, key);
  if (!*out) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ lacks \"%s\"", key);
    return -1;
  }
  return 0;
}

/* Decimal integer in [lo, hi]: digits only, no sign, no leading zeros. */
static int meta_uint(const header_doc *h, err_ctx *e, const char *key, uint64_t lo, uint64_t hi, size_t *out) {
  const char *v;
  if (meta_required(h, e, key, &v) != 0) return -1;
  uint64_t x = 0;
  size_t n = strlen(v);
  int ok = n > 0 && n <= 12 && !(n > 1 && v[0] == '0');
  for (size_t i = 0; ok && i < n; i++) {
    if (v[i] < '0' || v[i] > '9') ok = 0;
    else x = x * 10 + (uint64_t)(v[i] - '0');
  }
  if (!ok) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ %s = \"%.32s\" is not a decimal integer", key, v);
    return -1;
  }
  if (x < lo || x > hi) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ %s = %llu is outside [%llu, %llu]", key, (unsigned long long)x,
         (unsigned long long)lo, (unsigned long long)hi);
    return -1;
  }
  *out = (size_t)x;
  return 0;
}

/* One of `n` words; returns its index. */
static int meta_enum(const header_doc *h, err_ctx *e, const char *key, const char *const *words, int n,
                     const char *dflt, int *out) {
  const char *v = meta_get(h, key);
  if (!v && dflt) v = dflt;
  if (!v) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ lacks \"%s\"", key);
    return -1;
  }
  for (int i = 0; i < n; i++)
    if (strcmp(v, words[i]) == 0) {
      *out = i;
      return 0;
    }
  char list[160] = "";
  for (int i = 0; i < n; i++) {
    strncat(list, i ? " | " : "", sizeof list - strlen(list) - 1);
    strncat(list, words[i], sizeof list - strlen(list) - 1);
  }
  fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ %s = \"%.32s\" is not one of %s", key, v, list);
  return -1;
}

static const char *const w_bool[] = {"false", "true"};

static int read_architecture(const header_doc *h, err_ctx *e, arnn_model_info *m) {
  const char *v;
  if (!h->have_meta) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "header has no __metadata__ (not an arnn model file?)");
    return -1;
  }
  if (meta_required(h, e, "format", &v) != 0) return -1;
  if (strcmp(v, "arnn") != 0) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ format = \"%.32s\", expected \"arnn\"", v);
    return -1;
  }
  size_t version;
  if (meta_uint(h, e, "format_version", 1, 1000000, &version) != 0) return -1;
  if (version > ARNN_MODEL_FORMAT_VERSION) {
    fail(e, ARNN_ERR_UNSUPPORTED, "format_version %zu is newer than this library reads (%u)", version,
         ARNN_MODEL_FORMAT_VERSION);
    return -1;
  }
  m->format_version = (unsigned)version;
  if (version >= 2) return 0; /* the architecture is the graph document */
  static const char *const w_input[] = {"ids", "dense"};
  static const char *const w_cell[] = {"lstm", "gru"};
  static const char *const w_ract[] = {"sigmoid", "hard_sigmoid_keras2", "hard_sigmoid_keras3"};
  static const char *const w_att[] = {"eps", "softmax"};
  static const char *const w_head[] = {"sigmoid", "softmax"};
  static const char *const w_pad[] = {"unknown", "pre", "post"};
  int x;
  if (meta_enum(h, e, "input", w_input, 2, NULL, &x) != 0) return -1;
  m->input = (arnn_input_kind)x;
  if (meta_uint(h, e, "T", 1, ARNN_MODEL_MAX_T, &m->T) != 0) return -1;
  if (meta_uint(h, e, "E", 1, ARNN_MODEL_MAX_E, &m->E) != 0) return -1;
  if (meta_uint(h, e, "H", 1, ARNN_MODEL_MAX_H, &m->H) != 0) return -1;
  if (meta_uint(h, e, "C", 1, ARNN_MODEL_MAX_C, &m->C) != 0) return -1;
  if (m->input == ARNN_INPUT_IDS) {
    if (meta_uint(h, e, "V", 1, ARNN_MODEL_MAX_V, &m->V) != 0) return -1;
    if (meta_enum(h, e, "mask_zero", w_bool, 2, NULL, &m->mask_zero) != 0) return -1;
  } else {
    m->V = 0;
    if (meta_get(h, "V")) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ has V but input = dense (no embedding)");
      return -1;
    }
    if (meta_enum(h, e, "mask_zero", w_bool, 2, "false", &m->mask_zero) != 0) return -1;
    if (m->mask_zero) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ mask_zero = true needs input = ids");
      return -1;
    }
  }
  if (meta_enum(h, e, "cell", w_cell, 2, NULL, &x) != 0) return -1;
  m->cell = (arnn_rnn_cell)x;
  m->gru_reset_after = 0;
  if (m->cell == ARNN_RNN_GRU && meta_enum(h, e, "gru_reset_after", w_bool, 2, NULL, &m->gru_reset_after) != 0)
    return -1;
  if (meta_enum(h, e, "recurrent_activation", w_ract, 3, NULL, &x) != 0) return -1;
  m->recurrent_activation = (arnn_rnn_activation)x;
  if (meta_enum(h, e, "padding", w_pad, 3, "unknown", &x) != 0) return -1;
  m->padding = (arnn_padding)x;
  if (meta_enum(h, e, "attention", w_att, 2, NULL, &x) != 0) return -1;
  m->attention = (arnn_attention_form)x;
  if (meta_enum(h, e, "attention_bias", w_bool, 2, NULL, &m->attention_bias) != 0) return -1;
  if (meta_enum(h, e, "head", w_head, 2, NULL, &x) != 0) return -1;
  m->head = x == 0 ? ARNN_DENSE_SIGMOID : ARNN_DENSE_SOFTMAX;
  return 0;
}

/* ---- expected tensors ---- */

typedef struct {
  int needed;
  size_t rank;
  uint64_t dim[2];
  const char *dim_name[2]; /* NULL: a literal number */
} tensor_spec;

static void expected_specs(const arnn_model_info *m, size_t gates, tensor_spec s[TS_COUNT]) {
  const char *gh = gates == 4 ? "4H" : "3H";
  memset(s, 0, sizeof(tensor_spec) * TS_COUNT);
  s[TS_EMBEDDING] = (tensor_spec){m->input == ARNN_INPUT_IDS, 2, {m->V, m->E}, {"V", "E"}};
  for (int d = 0; d < 2; d++) {
    int base = d ? TS_BW_KERNEL : TS_FW_KERNEL;
    s[base] = (tensor_spec){1, 2, {m->E, gates * m->H}, {"E", gh}};
    s[base + 1] = (tensor_spec){1, 2, {m->H, gates * m->H}, {"H", gh}};
    if (m->cell == ARNN_RNN_GRU && m->gru_reset_after)
      s[base + 2] = (tensor_spec){1, 2, {2, gates * m->H}, {NULL, gh}};
    else
      s[base + 2] = (tensor_spec){1, 1, {gates * m->H, 0}, {gh, NULL}};
  }
  s[TS_ATT_WEIGHT] = (tensor_spec){1, 1, {2 * m->H, 0}, {"2H", NULL}};
  s[TS_ATT_BIAS] = (tensor_spec){m->attention_bias, 1, {m->T, 0}, {"T", NULL}};
  s[TS_DENSE_KERNEL] = (tensor_spec){1, 2, {2 * m->H, m->C}, {"2H", "C"}};
  s[TS_DENSE_BIAS] = (tensor_spec){1, 1, {m->C, 0}, {"C", NULL}};
}

static void format_shape(char *out, size_t size, const uint64_t *dims, size_t rank) {
  size_t n = (size_t)snprintf(out, size, "[");
  for (size_t i = 0; i < rank && n < size; i++)
    n += (size_t)snprintf(out + n, size - n, "%s%llu", i ? "," : "", (unsigned long long)dims[i]);
  if (n < size) snprintf(out + n, size - n, "]");
}

static int check_tensors(const header_doc *h, err_ctx *e, const arnn_model_info *m, size_t gates,
                         uint64_t data_size) {
  tensor_spec s[TS_COUNT];
  expected_specs(m, gates, s);
  for (int i = 0; i < TS_COUNT; i++) {
    const tensor_rec *t = &h->t[i];
    if (s[i].needed && !t->present) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s is missing", tensor_names[i]);
      return -1;
    }
    if (!s[i].needed && t->present) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s is present but the metadata says the model has none (%s)",
           tensor_names[i], i == TS_EMBEDDING ? "input = dense" : "attention_bias = false");
      return -1;
    }
    if (!t->present) continue;
    if (strcmp(t->dtype, "F32") != 0) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: dtype %s is not supported (only F32)", tensor_names[i],
           t->dtype);
      return -1;
    }
    int match = t->rank == s[i].rank;
    for (size_t k = 0; match && k < t->rank; k++) match = t->shape[k] == s[i].dim[k];
    if (!match) {
      char got[160], want[96];
      size_t n = 0;
      format_shape(got, sizeof got, t->shape, t->rank);
      want[0] = '\0';
      for (size_t k = 0; k < s[i].rank; k++) {
        if (s[i].dim_name[k])
          n += (size_t)snprintf(want + n, sizeof want - n, "%s%s=%llu", k ? ", " : "", s[i].dim_name[k],
                                (unsigned long long)s[i].dim[k]);
        else
          n += (size_t)snprintf(want + n, sizeof want - n, "%s%llu", k ? ", " : "", (unsigned long long)s[i].dim[k]);
        if (n >= sizeof want) break;
      }
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: shape %s does not match %s", tensor_names[i], got, want);
      return -1;
    }
    /* Dimensions are bounded by the metadata limits (<= 2^24 * 2^16), so this
     * product cannot overflow. */
    uint64_t bytes = 4;
    for (size_t k = 0; k < t->rank; k++) bytes *= t->shape[k];
    if (t->begin > t->end || t->end > data_size) {
      fail(e, ARNN_ERR_MALFORMED_MODEL,
           "tensor %s: data_offsets [%llu, %llu] are not a range inside the %llu-byte data section", tensor_names[i],
           (unsigned long long)t->begin, (unsigned long long)t->end, (unsigned long long)data_size);
      return -1;
    }
    if (t->end - t->begin != bytes) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: data_offsets [%llu, %llu] hold %llu bytes, shape needs %llu",
           tensor_names[i], (unsigned long long)t->begin, (unsigned long long)t->end,
           (unsigned long long)(t->end - t->begin), (unsigned long long)bytes);
      return -1;
    }
  }
  /* Sort present tensors by begin (tiny n: insertion sort), then ranges must
   * tile the data section exactly: no overlap, no gap, nothing after. */
  int order[TS_COUNT], n = 0;
  for (int i = 0; i < TS_COUNT; i++)
    if (h->t[i].present) {
      int k = n++;
      while (k > 0 && (h->t[order[k - 1]].begin > h->t[i].begin ||
                       (h->t[order[k - 1]].begin == h->t[i].begin && h->t[order[k - 1]].end > h->t[i].end))) {
        order[k] = order[k - 1];
        k--;
      }
      order[k] = i;
    }
  uint64_t pos = 0;
  for (int k = 0; k < n; k++) {
    const tensor_rec *t = &h->t[order[k]];
    if (t->begin < pos) {
      const tensor_rec *p = &h->t[order[k - 1]];
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensors %s [%llu, %llu) and %s [%llu, %llu) overlap",
           tensor_names[order[k - 1]], (unsigned long long)p->begin, (unsigned long long)p->end,
           tensor_names[order[k]], (unsigned long long)t->begin, (unsigned long long)t->end);
      return -1;
    }
    if (t->begin > pos) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "data section has %llu unused bytes before tensor %s",
           (unsigned long long)(t->begin - pos), tensor_names[order[k]]);
      return -1;
    }
    pos = t->end;
  }
  if (pos != data_size) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "data section has %llu unused bytes after the last tensor",
         (unsigned long long)(data_size - pos));
    return -1;
  }
  return 0;
}

static float load_f32le(const unsigned char *p);

/* A little-endian bfloat16: the float with these 16 high bits (exact). */
static float load_bf16le(const unsigned char *p) { return arnn_f32_from_bf16((uint16_t)(p[0] | p[1] << 8)); }

/* ---- version 2: tensors named by the graph ---- */

typedef struct {
  const char *name;
  const tensor_rec *rec;
} tensor_ref;

static int cmp_tensor_ref(const void *a, const void *b) {
  return strcmp(((const tensor_ref *)a)->name, ((const tensor_ref *)b)->name);
}

static int cmp_tensor_begin(const void *a, const void *b) {
  const tensor_rec *x = ((const tensor_ref *)a)->rec, *y = ((const tensor_ref *)b)->rec;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* Bytes per element of a version-2 tensor's dtype: F32, or BF16 (which the
 * graph accepts only for LSTM/GRU kernels); 0 for anything else. */
static unsigned dtype_bytes_v2(const char *dtype) {
  return strcmp(dtype, "F32") == 0 ? 4 : strcmp(dtype, "BF16") == 0 ? 2 : 0;
}

/* Every tensor of a version-2 file (sorted by name into refs): F32 or BF16,
 * rank 1 to 3, nonzero dimensions, a byte range of the right length inside
 * the data section, the ranges tiling it exactly. The graph checks the shapes
 * and where BF16 may be. */
static int check_tensors_v2(const header_doc *h, err_ctx *e, uint64_t data_size, tensor_ref *refs, size_t *count) {
  size_t n = 0;
  for (int i = 0; i < TS_COUNT; i++)
    if (h->t[i].present) refs[n++] = (tensor_ref){tensor_names[i], &h->t[i]};
  for (size_t i = 0; i < h->n_extra; i++) refs[n++] = (tensor_ref){h->extra[i].name, &h->extra[i].rec};
  *count = n;
  qsort(refs, n, sizeof *refs, cmp_tensor_ref);
  for (size_t i = 1; i < n; i++)
    if (strcmp(refs[i - 1].name, refs[i].name) == 0) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s appears twice", refs[i].name);
      return -1;
    }
  for (size_t i = 0; i < n; i++) {
    const tensor_rec *t = refs[i].rec;
    const char *nm = refs[i].name;
    const unsigned esize = dtype_bytes_v2(t->dtype);
    if (esize == 0) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s: dtype %s is not supported (F32, or BF16 for LSTM/GRU kernels)",
           nm, t->dtype);
      return -1;
    }
    if (t->rank < 1 || t->rank > 3) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s: rank %zu (the graph's weights have rank 1 to 3)", nm, t->rank);
      return -1;
    }
    uint64_t elems = 1;
    for (size_t k = 0; k < t->rank; k++) {
      if (t->shape[k] == 0 || t->shape[k] > data_size / esize + 1) {
        fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s: dimension %zu is %llu", nm, k,
             (unsigned long long)t->shape[k]);
        return -1;
      }
      if (t->shape[k] > (data_size / esize + 1) / elems) { /* checked before multiplying: no overflow */
        fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s: shape holds more than the data section", nm);
        return -1;
      }
      elems *= t->shape[k];
    }
    if (t->begin > t->end || t->end > data_size) {
      fail(e, ARNN_ERR_MALFORMED_MODEL,
           "tensor %.140s: data_offsets [%llu, %llu] are not a range inside the %llu-byte data section", nm,
           (unsigned long long)t->begin, (unsigned long long)t->end, (unsigned long long)data_size);
      return -1;
    }
    if (t->end - t->begin != esize * elems) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s: data_offsets [%llu, %llu] hold %llu bytes, shape needs %llu",
           nm, (unsigned long long)t->begin, (unsigned long long)t->end, (unsigned long long)(t->end - t->begin),
           (unsigned long long)(esize * elems));
      return -1;
    }
  }
  tensor_ref *by_begin = malloc((n ? n : 1) * sizeof *by_begin);
  if (!by_begin) {
    fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  memcpy(by_begin, refs, n * sizeof *refs);
  qsort(by_begin, n, sizeof *by_begin, cmp_tensor_begin);
  uint64_t pos = 0;
  int rc = 0;
  for (size_t k = 0; k < n && rc == 0; k++) {
    const tensor_rec *t = by_begin[k].rec;
    if (t->begin < pos) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "tensors %.140s and %.140s overlap", by_begin[k - 1].name, by_begin[k].name);
      rc = -1;
    } else if (t->begin > pos) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "data section has %llu unused bytes before tensor %.140s",
           (unsigned long long)(t->begin - pos), by_begin[k].name);
      rc = -1;
    }
    pos = t->end;
  }
  free(by_begin);
  if (rc == 0 && pos != data_size) {
    fail(e, ARNN_ERR_MALFORMED_MODEL, "data section has %llu unused bytes after the last tensor",
         (unsigned long long)(data_size - pos));
    rc = -1;
  }
  return rc;
}

/* Copies the tensors into one 64-byte aligned block as float32 (BF16 widened,
 * which is exact), refusing NaN/inf, and describes them for the graph. */
static int copy_weights_v2(const tensor_ref *refs, size_t n, err_ctx *e, const unsigned char *data, float **block_out,
                           arnn_weight_tensor *ws) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    const size_t cnt = (size_t)((refs[i].rec->end - refs[i].rec->begin) / dtype_bytes_v2(refs[i].rec->dtype));
    total += (cnt + 15) / 16 * 16;
  }
  float *block = NULL;
  if (posix_memalign((void **)&block, 64, (total ? total : 1) * sizeof(float)) != 0) {
    fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for %zu weights", total);
    return -1;
  }
  *block_out = block;
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    const tensor_rec *t = refs[i].rec;
    const int bf16 = dtype_bytes_v2(t->dtype) == 2;
    const size_t cnt = (size_t)((t->end - t->begin) / (bf16 ? 2 : 4));
    float *dst = block + off;
    for (size_t k = 0; k < cnt; k++) {
      const float f = bf16 ? load_bf16le(data + t->begin + 2 * k) : load_f32le(data + t->begin + 4 * k);
      if (!isfinite(f)) {
        fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %.140s: element %zu is %s", refs[i].name, k,
             isnan(f) ? "NaN" : "infinite");
        return -1;
      }
      dst[k] = f;
    }
    ws[i] = (arnn_weight_tensor){.name = refs[i].name, .rank = t->rank, .data = dst, .bf16 = bf16};
    for (size_t k = 0; k < t->rank; k++) ws[i].shape[k] = t->shape[k];
    off += (cnt + 15) / 16 * 16;
  }
  return 0;
}

/* What arnn_model_info can say about a graph: the first input, embedding,
 * recurrent layer and attention pooling; C = the size of output 0. */
static void info_from_graph(arnn_model_info *m, const arnn_graph *g, size_t output0_size) {
  const char *name;
  int dtype;
  arnn_shape s;
  arnn_graph_input_desc(g, 0, &name, &dtype, &s);
  m->input = dtype == 0 ? ARNN_INPUT_IDS : ARNN_INPUT_DENSE;
  m->T = arnn_graph_fixed_steps(g);
  m->E = dtype == 0 ? 0 : s.d[s.rank - 1];
  m->C = output0_size;
  m->attention = ARNN_ATTENTION_EPSILON;
  m->head = ARNN_DENSE_LINEAR;
  for (int i = 0; i < g->n_nodes; i++) {
    const graph_node *n = &g->nodes[i];
    if (n->op == OP_EMBEDDING && m->V == 0) {
      m->V = n->vocab;
      m->E = g->values[n->value[0]].shape.d[1];
      m->mask_zero = n->mask_zero;
    } else if (n->op == OP_RNN && m->H == 0) {
      m->H = n->units;
      m->cell = n->cell == ARNN_CELL_GRU ? ARNN_RNN_GRU : ARNN_RNN_LSTM;
      m->gru_reset_after = n->reset_after;
      m->recurrent_activation = n->ract.kind == ARNN_ACT_HARD_SIGMOID_KERAS2   ? ARNN_RNN_HARD_SIGMOID_KERAS2
                                : n->ract.kind == ARNN_ACT_HARD_SIGMOID_KERAS3 ? ARNN_RNN_HARD_SIGMOID_KERAS3
                                                                               : ARNN_RNN_SIGMOID;
    } else if (n->op == OP_ATTENTION_POOL) {
      m->attention = n->att_form;
      m->attention_bias = n->att_bias;
    }
  }
  const graph_value *out0 = &g->values[g->outputs[0]];
  const graph_node *last = &g->nodes[out0->node];
  if (last->op == OP_DENSE && out0->shape.rank == 1)
    m->head = last->act.kind == ARNN_ACT_SIGMOID   ? ARNN_DENSE_SIGMOID
              : last->act.kind == ARNN_ACT_SOFTMAX ? ARNN_DENSE_SOFTMAX
                                                   : ARNN_DENSE_LINEAR;
}

/* ---- the tokenizer a model may carry ("tokenizer": a tokenizer description,
 * docs/tokenizer.md): checked at load like every other entry, so a file
 * whose tokenizer is malformed is refused whole rather than failing later at
 * its first text. The parsed copy is not kept: the CLI and Python load it
 * with arnn_tokenizer_load_model only when they are given text. A tokenizer
 * this build cannot run (no utf8proc, or a setting it does not support) does
 * not stop the model's ids path. ---- */
static int check_tokenizer(const header_doc *h, err_ctx *e) {
  const char *v = meta_get(h, "tokenizer");
  if (!v) return 0;
  arnn_tokenizer *t = NULL;
  char msg[256];
  const arnn_status st = arnn_tokenizer_load_memory(v, strlen(v), &t, msg, sizeof msg);
  arnn_tokenizer_free(t);
  if (st == ARNN_OK || st == ARNN_ERR_UNSUPPORTED) return 0;
  fail(e, st == ARNN_ERR_OUT_OF_MEMORY ? st : ARNN_ERR_MALFORMED_MODEL, "__metadata__ tokenizer: %.200s", msg);
  return -1;
}

/* ---- labels: a JSON array of C strings inside the "labels" metadata value ---- */

static int read_labels(const header_doc *h, err_ctx *e, arnn_model *model) {
  const size_t C = model->info.C;
  const char *v = meta_get(h, "labels");
  size_t total = 0;
  char **tmp = calloc(C, sizeof *tmp);
  model->labels = calloc(C, sizeof *model->labels);
  if (!tmp || !model->labels) {
    free(tmp);
    fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for %zu labels", C);
    return -1;
  }
  int rc = -1;
  if (v) {
    size_t vlen = strlen(v);
    json_in j = {(const unsigned char *)v, (const unsigned char *)v + vlen, (const unsigned char *)v, e,
                 "metadata labels"};
    size_t n = 0;
    if (expect_char(&j, '[') != 0) goto done;
    if (peek(&j) == ']') {
      j.p++;
    } else {
      for (;;) {
        size_t len;
        if (n == C) {
          fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ labels has more than C = %zu entries", C);
          goto done;
        }
        if (parse_string(&j, &tmp[n], &len) != 0) goto done;
        if (len > ARNN_MODEL_MAX_LABEL) {
          fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ labels[%zu] is longer than %d bytes", n,
               ARNN_MODEL_MAX_LABEL);
          n++;
          goto done;
        }
        total += len + 1;
        n++;
        if (peek(&j) == ',') {
          j.p++;
          continue;
        }
        if (expect_char(&j, ']') != 0) goto done;
        break;
      }
    }
    skip_ws(&j);
    if (j.p != j.end) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ labels: unexpected data after the array");
      goto done;
    }
    if (n != C) {
      fail(e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ labels has %zu entries, C = %zu", n, C);
      goto done;
    }
  } else {
    for (size_t i = 0; i < C; i++) {
      char num[24];
      int len = snprintf(num, sizeof num, "%zu", i);
      tmp[i] = malloc((size_t)len + 1);
      if (!tmp[i]) {
        fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for labels");
        goto done;
      }
      memcpy(tmp[i], num, (size_t)len + 1);
      total += (size_t)len + 1;
    }
  }
  model->label_block = malloc(total ? total : 1);
  if (!model->label_block) {
    fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for labels");
    goto done;
  }
  char *o = model->label_block;
  for (size_t i = 0; i < C; i++) {
    size_t len = strlen(tmp[i]) + 1;
    memcpy(o, tmp[i], len);
    model->labels[i] = o;
    o += len;
  }
  rc = 0;
done:
  for (size_t i = 0; i < C; i++) free(tmp[i]);
  free(tmp);
  return rc;
}

/* ---- weights ---- */

static float load_f32le(const unsigned char *p) {
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

#define ALIGN_FLOATS 16 /* 64 bytes */

static int copy_weights(const header_doc *h, err_ctx *e, arnn_model *model, const unsigned char *data) {
  size_t total = 0, off[TS_COUNT];
  for (int i = 0; i < TS_COUNT; i++) {
    off[i] = total;
    if (!h->t[i].present) continue;
    size_t n = (size_t)((h->t[i].end - h->t[i].begin) / 4);
    total += (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
  }
  float *block = NULL;
  if (posix_memalign((void **)&block, 64, (total ? total : 1) * sizeof(float)) != 0) {
    fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for %zu weights", total);
    return -1;
  }
  model->weights_block = block;
  const float *ptr[TS_COUNT] = {0};
  for (int i = 0; i < TS_COUNT; i++) {
    if (!h->t[i].present) continue;
    const size_t n = (size_t)((h->t[i].end - h->t[i].begin) / 4);
    const unsigned char *src = data + h->t[i].begin;
    float *dst = block + off[i];
    for (size_t k = 0; k < n; k++) {
      const float f = load_f32le(src + 4 * k);
      if (!isfinite(f)) {
        fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: element %zu is %s", tensor_names[i], k,
             isnan(f) ? "NaN" : "infinite");
        return -1;
      }
      dst[k] = f;
    }
    ptr[i] = dst;
  }
  model->embedding = ptr[TS_EMBEDDING];
  model->rnn[0] = (arnn_model_rnn_weights){ptr[TS_FW_KERNEL], ptr[TS_FW_RECURRENT], ptr[TS_FW_BIAS]};
  model->rnn[1] = (arnn_model_rnn_weights){ptr[TS_BW_KERNEL], ptr[TS_BW_RECURRENT], ptr[TS_BW_BIAS]};
  model->attention_weight = ptr[TS_ATT_WEIGHT];
  model->attention_bias = ptr[TS_ATT_BIAS];
  model->dense_kernel = ptr[TS_DENSE_KERNEL];
  model->dense_bias = ptr[TS_DENSE_BIAS];
  return 0;
}

/* ---- public entry points ---- */

void arnn_model_free(arnn_model *model) {
  if (!model) return;
  arnn_graph_free(model->graph);
  free(model->weights_block);
  free(model->labels);
  free(model->label_block);
  free(model);
}

static void clear_err(char *errbuf, size_t errbuf_size) {
  if (errbuf && errbuf_size > 0) errbuf[0] = '\0';
}

arnn_status arnn_model_load_memory_ex(const void *data, size_t size, unsigned flags, arnn_model **model,
                                      char *errbuf, size_t errbuf_size) {
  err_ctx e = {errbuf, errbuf_size, ARNN_OK};
  clear_err(errbuf, errbuf_size);
  if (!model) return fail(&e, ARNN_ERR_INVALID_ARGUMENT, "model output pointer is NULL");
  *model = NULL;
  if (flags & ~ARNN_LOAD_BF16_WEIGHTS) return fail(&e, ARNN_ERR_INVALID_ARGUMENT, "unknown load flags 0x%x", flags);
  const int rnn_bf16 = (flags & ARNN_LOAD_BF16_WEIGHTS) != 0;
  if (!data && size > 0) return fail(&e, ARNN_ERR_INVALID_ARGUMENT, "data is NULL");
  const unsigned char *bytes = data;
  if (size < 8) return fail(&e, ARNN_ERR_MALFORMED_MODEL, "file has %zu bytes, fewer than the 8-byte header length", size);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | bytes[i];
  if (hlen > ARNN_MODEL_MAX_HEADER)
    return fail(&e, ARNN_ERR_MALFORMED_MODEL, "header length %llu exceeds the limit of %llu bytes (16 MiB)",
                (unsigned long long)hlen, (unsigned long long)ARNN_MODEL_MAX_HEADER);
  if (hlen > size - 8)
    return fail(&e, ARNN_ERR_MALFORMED_MODEL, "header length %llu exceeds the %zu bytes after the length field",
                (unsigned long long)hlen, size - 8);
  if (hlen < 2) return fail(&e, ARNN_ERR_MALFORMED_MODEL, "header length %llu is too short for a JSON object",
                           (unsigned long long)hlen);

  header_doc *h = calloc(1, sizeof *h);
  arnn_model *m = calloc(1, sizeof *m);
  if (!h || !m) {
    free(h);
    free(m);
    return fail(&e, ARNN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  json_in j = {bytes + 8, bytes + 8 + hlen, bytes + 8, &e, "header"};
  const uint64_t data_size = (uint64_t)(size - 8 - hlen);
  m->info.struct_size = sizeof m->info;
  if (parse_header(&j, h) != 0 || read_architecture(h, &e, &m->info) != 0) goto fail;
  if (m->info.format_version == 1) {
    if (h->n_extra) {
      fail(&e, ARNN_ERR_MALFORMED_MODEL, "unknown tensor \"%.64s\" (docs/model-format.md lists the names)",
           h->extra[0].name);
      goto fail;
    }
    m->gates = m->info.cell == ARNN_RNN_LSTM ? 4 : 3;
    if (check_tensors(h, &e, &m->info, m->gates, data_size) != 0) goto fail;
    if (read_labels(h, &e, m) != 0) goto fail;
    if (copy_weights(h, &e, m, bytes + 8 + hlen) != 0) goto fail;
    const float *k[2] = {m->rnn[0].kernel, m->rnn[1].kernel}, *r[2] = {m->rnn[0].recurrent_kernel,
                                                                       m->rnn[1].recurrent_kernel},
                *bs[2] = {m->rnn[0].bias, m->rnn[1].bias};
    if (arnn_graph_from_v1(&m->info, m->embedding, k, r, bs, m->attention_weight, m->attention_bias,
                           m->dense_kernel, m->dense_bias, rnn_bf16, &m->graph, &e) != ARNN_OK)
      goto fail;
  } else {
    const char *graph_json = meta_get(h, "graph");
    if (!graph_json) {
      fail(&e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ lacks \"graph\" (format_version 2)");
      goto fail;
    }
    const size_t glen = strlen(graph_json);
    if (glen > ((size_t)4 << 20)) {
      fail(&e, ARNN_ERR_MALFORMED_MODEL, "__metadata__ graph is %zu bytes, over the 4 MiB limit", glen);
      goto fail;
    }
    {
      int x;
      static const char *const w_pad[] = {"unknown", "pre", "post"};
      if (meta_enum(h, &e, "padding", w_pad, 3, "unknown", &x) != 0) goto fail;
      m->info.padding = (arnn_padding)x;
    }
    const size_t n_t = TS_COUNT + h->n_extra;
    tensor_ref *refs = malloc(n_t * sizeof *refs);
    arnn_weight_tensor *wt = calloc(n_t, sizeof *wt);
    size_t count = 0;
    float *block = NULL;
    int rc = -1;
    if (!refs || !wt) fail(&e, ARNN_ERR_OUT_OF_MEMORY, "out of memory");
    else if (check_tensors_v2(h, &e, data_size, refs, &count) == 0 &&
             copy_weights_v2(refs, count, &e, bytes + 8 + hlen, &block, wt) == 0) {
      arnn_weight_set ws = {wt, count, rnn_bf16};
      rc = arnn_graph_from_json(graph_json, glen, &ws, &m->graph, &e) == ARNN_OK ? 0 : -1;
    }
    free(refs);
    free(wt);
    free(block);
    if (rc != 0) goto fail;
    arnn_shape s0;
    const char *nm;
    arnn_graph_output_desc(m->graph, 0, &nm, &s0);
    info_from_graph(&m->info, m->graph, s0.d[s0.rank - 1]);
    if (read_labels(h, &e, m) != 0) goto fail;
    if (check_tokenizer(h, &e) != 0) goto fail;
  }
  /* the layers hold their packed weights now: the file's copy goes */
  free(m->weights_block);
  m->weights_block = NULL;
  m->embedding = m->attention_weight = m->attention_bias = m->dense_kernel = m->dense_bias = NULL;
  memset(m->rnn, 0, sizeof m->rnn);
  header_free(h);
  free(h);
  *model = m;
  return ARNN_OK;
fail:
  header_free(h);
  free(h);
  arnn_model_free(m);
  return e.status;
}

arnn_status arnn_model_load_memory(const void *data, size_t size, arnn_model **model, char *errbuf,
                                   size_t errbuf_size) {
  return arnn_model_load_memory_ex(data, size, 0, model, errbuf, errbuf_size);
}

arnn_status arnn_model_load(const char *path, arnn_model **model, char *errbuf, size_t errbuf_size) {
  return arnn_model_load_ex(path, 0, model, errbuf, errbuf_size);
}

arnn_status arnn_model_load_ex(const char *path, unsigned flags, arnn_model **model, char *errbuf,
                               size_t errbuf_size) {
  err_ctx e = {errbuf, errbuf_size, ARNN_OK};
  clear_err(errbuf, errbuf_size);
  if (!model) return fail(&e, ARNN_ERR_INVALID_ARGUMENT, "model output pointer is NULL");
  *model = NULL;
  if (!path) return fail(&e, ARNN_ERR_INVALID_ARGUMENT, "path is NULL");
  if (flags & ~ARNN_LOAD_BF16_WEIGHTS) return fail(&e, ARNN_ERR_INVALID_ARGUMENT, "unknown load flags 0x%x", flags);
  /* read() rather than mmap: a file truncated while we read it gives a short
   * read (an error) instead of SIGBUS, and the weights are copied anyway. */
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(&e, ARNN_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    close(fd);
    return fail(&e, ARNN_ERR_IO, "%s is not a regular file%s%s", path, err ? ": " : "", err ? strerror(err) : "");
  }
  if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2) {
    close(fd);
    return fail(&e, ARNN_ERR_IO, "%s is too large (%lld bytes)", path, (long long)st.st_size);
  }
  const size_t size = (size_t)st.st_size;
  unsigned char *buf = malloc(size ? size : 1);
  if (!buf) {
    close(fd);
    return fail(&e, ARNN_ERR_OUT_OF_MEMORY, "out of memory reading %zu bytes of %s", size, path);
  }
  size_t got = 0;
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int err = r < 0 ? errno : 0;
      free(buf);
      close(fd);
      return fail(&e, ARNN_ERR_IO, "reading %s failed after %zu of %zu bytes%s%s", path, got, size,
                  err ? ": " : " (file shrank)", err ? strerror(err) : "");
    }
    got += (size_t)r;
  }
  close(fd);
  arnn_status s = arnn_model_load_memory_ex(buf, size, flags, model, errbuf, errbuf_size);
  free(buf);
  return s;
}

arnn_status arnn_model_get_info(const arnn_model *model, arnn_model_info *info) {
  if (!model || !info) return ARNN_ERR_INVALID_ARGUMENT;
  return arnn_struct_write(info, &model->info, sizeof model->info, ARNN_STRUCT_END(arnn_model_info, head));
}

const char *arnn_model_label(const arnn_model *model, size_t index) {
  if (!model || index >= model->info.C) return NULL;
  return model->labels[index];
}
