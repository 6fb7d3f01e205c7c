/* `arnn predict`: classify sequences from a file or stdin with a model file.
 *
 * Inputs: --ids FILE|- (one sequence per line, space-separated token ids,
 * shorter lines padded as the model was trained: before the tokens unless the
 * file says padding = post), --ids FILE.npy (int32 [N,T]) or --dense FILE.npy
 * (float32 [N,T,E]). Sequences run in batches of --batch (default 32) on
 * --threads threads (default: the physical cores); output lines keep the input
 * order. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "arnn-cli.h"

typedef struct {
  size_t n;         /* sequences */
  size_t T, E;      /* per sequence */
  int *ids;         /* [n, T] (ids input) */
  size_t *lengths;  /* [n] real tokens (ids from text), else NULL */
  float *dense;     /* [n, T, E] (dense input) */
} inputs;

static void inputs_free(inputs *in) {
  free(in->ids);
  free(in->lengths);
  free(in->dense);
}

/* ---- text ids: one sequence per line ---- */

static int read_ids_text(FILE *f, const char *name, const arnn_model_info *mi, inputs *in) {
  size_t cap = 0, line_no = 0, line_cap = 0;
  char *line = NULL;
  int rc = 0;
  int *tokens = malloc(mi->T * sizeof *tokens);
  if (!tokens) return cli_error("out of memory");
  while (rc == 0 && getline(&line, &line_cap, f) >= 0) {
    line_no++;
    size_t len = 0;
    char *p = line;
    for (;;) {
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
      if (*p == '\0') break;
      char *end;
      errno = 0;
      const long long v = strtoll(p, &end, 10);
      if (end == p || (*end && *end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')) {
        rc = cli_error("%s:%zu: not a token id: \"%.20s\"", name, line_no, p);
        break;
      }
      if (errno || v < 0 || (unsigned long long)v >= mi->V) {
        rc = cli_error("%s:%zu: token id %.*s is outside the vocabulary [0, %zu)", name, line_no,
                       (int)(end - p < 24 ? end - p : 24), p, mi->V);
        break;
      }
      if (len == mi->T) {
        rc = cli_error("%s:%zu: more than T=%zu token ids (the model's sequence length)", name, line_no, mi->T);
        break;
      }
      tokens[len++] = (int)v;
      p = end;
    }
    if (rc) break;
    if (in->n == cap) {
      cap = cap ? 2 * cap : 64;
      int *ids = realloc(in->ids, cap * mi->T * sizeof *ids);
      if (ids) in->ids = ids;
      size_t *lengths = ids ? realloc(in->lengths, cap * sizeof *lengths) : NULL;
      if (lengths) in->lengths = lengths;
      if (!ids || !lengths) {
        rc = cli_error("out of memory after %zu sequences", in->n);
        break;
      }
    }
    /* the library pads: the real tokens sit where the model's padding puts them */
    int *row = in->ids + in->n * mi->T;
    const size_t first = mi->padding == ARNN_PADDING_POST ? 0 : mi->T - len;
    memset(row, 0, mi->T * sizeof *row);
    memcpy(row + first, tokens, len * sizeof *row);
    in->lengths[in->n++] = len;
  }
  if (rc == 0 && ferror(f)) rc = cli_error("%s: read error", name);
  free(tokens);
  free(line);
  in->T = mi->T;
  return rc;
}

/* ---- .npy (version 1/2/3, little-endian, C order) ---- */

static int read_npy(const char *path, const char *want_descr, size_t want_ndim, size_t shape[3], void **data) {
  FILE *f = fopen(path, "rb");
  if (!f) return cli_error("cannot open %s: %s", path, strerror(errno));
  unsigned char magic[10];
  int rc = 1;
  char *header = NULL;
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0) {
    cli_error("%s: not a .npy file", path);
    goto out;
  }
  size_t hlen;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (fread(b, 1, 2, f) != 2) goto trunc;
    hlen = (size_t)b[0] | (size_t)b[1] << 8;
  } else {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) goto trunc;
    hlen = (size_t)b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16 | (size_t)b[3] << 24;
  }
  if (hlen > (1u << 20)) {
    cli_error("%s: .npy header of %zu bytes is too large", path, hlen);
    goto out;
  }
  header = malloc(hlen + 1);
  if (!header || fread(header, 1, hlen, f) != hlen) goto trunc;
  header[hlen] = '\0';
  char *d = strstr(header, "'descr':");
  char *o = strstr(header, "'fortran_order':");
  char *s = strstr(header, "'shape':");
  if (!d || !o || !s) {
    cli_error("%s: .npy header lacks descr, fortran_order or shape", path);
    goto out;
  }
  d += 8;
  while (*d == ' ') d++;
  if (strncmp(d + 1, want_descr, strlen(want_descr)) != 0 || d[1 + strlen(want_descr)] != '\'') {
    cli_error("%s: dtype %.8s, expected '%s'", path, d, want_descr);
    goto out;
  }
  o += 16;
  while (*o == ' ') o++;
  if (strncmp(o, "False", 5) != 0) {
    cli_error("%s: Fortran-order arrays are not supported (save a C-order array)", path);
    goto out;
  }
  s = strchr(s, '(');
  size_t ndim = 0, count = 1;
  if (!s) goto bad_shape;
  s++;
  for (;;) {
    while (*s == ' ' || *s == ',') s++;
    if (*s == ')') break;
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || ndim == 3 || v > (1ull << 40)) goto bad_shape;
    shape[ndim++] = (size_t)v;
    if (v && count > SIZE_MAX / 8 / v) goto bad_shape;
    count *= (size_t)v;
    s = end;
  }
  if (ndim != want_ndim) {
    cli_error("%s: array has %zu dimensions, expected %zu", path, ndim, want_ndim);
    goto out;
  }
  *data = malloc(count ? count * 4 : 1);
  if (!*data) {
    cli_error("%s: out of memory", path);
    goto out;
  }
  if (fread(*data, 4, count, f) != count) {
    free(*data);
    *data = NULL;
    goto trunc;
  }
  rc = 0;
  goto out;
bad_shape:
  cli_error("%s: cannot read the shape in the .npy header", path);
  goto out;
trunc:
  cli_error("%s: truncated .npy file", path);
out:
  free(header);
  fclose(f);
  return rc;
}

static int ends_with(const char *s, const char *suffix) {
  const size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- output ---- */

static void print_result(const arnn_model *model, const arnn_model_info *mi, const float *probs, const float *att,
                         int json) {
  if (!json) {
    for (size_t c = 0; c < mi->C; c++) printf(c ? " %.9g" : "%.9g", (double)probs[c]);
    putchar('\n');
    return;
  }
  fputs("{\"probs\":[", stdout);
  size_t best = 0;
  for (size_t c = 0; c < mi->C; c++) {
    printf(c ? ",%.9g" : "%.9g", (double)probs[c]);
    if (probs[c] > probs[best]) best = c;
  }
  fputs("],\"label\":", stdout);
  /* one sigmoid output: the label applies when its probability is >= 0.5 */
  if (mi->C == 1 && !(probs[0] >= 0.5f)) fputs("null", stdout);
  else cli_json_string(stdout, arnn_model_label(model, best));
  if (att) {
    fputs(",\"attention\":[", stdout);
    for (size_t t = 0; t < mi->T; t++) printf(t ? ",%.9g" : "%.9g", (double)att[t]);
    putchar(']');
  }
  fputs("}\n", stdout);
}

arnn_status cli_make_pool(size_t threads, int pin, arnn_threadpool **pool) {
  *pool = NULL;
  if (threads == 1) return ARNN_OK;
  const arnn_status st = arnn_threadpool_create_ex(threads, pin ? 0u : ARNN_THREADPOOL_NO_PIN, pool);
  if (st == ARNN_OK && arnn_threadpool_size(*pool) == 1) {
    arnn_threadpool_destroy(*pool);
    *pool = NULL;
  }
  return st;
}

int cli_predict(int argc, char **argv) {
  const char *model_path = NULL, *ids_path = NULL, *dense_path = NULL;
  size_t threads = 0, batch = 32;
  int json = 0, attention = 0, pin = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--ids") && i + 1 < argc) ids_path = argv[++i];
    else if (!strcmp(a, "--dense") && i + 1 < argc) dense_path = argv[++i];
    else if ((!strcmp(a, "--threads") || !strcmp(a, "--batch")) && i + 1 < argc) {
      char *end;
      errno = 0;
      const unsigned long long v = strtoull(argv[++i], &end, 10);
      if (*end || errno || argv[i][0] == '-' || v > 4096 || (v == 0 && !strcmp(a, "--batch")))
        return cli_usage_error("predict", "bad value for %s", a);
      if (!strcmp(a, "--threads")) threads = (size_t)v;
      else batch = (size_t)v;
    } else if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--attention")) attention = 1;
    else if (!strcmp(a, "--no-pin")) pin = 0;
    else if (a[0] == '-' && a[1] != '\0') return cli_usage_error("predict", "unknown option %s", a);
    else if (!model_path) model_path = a;
    else return cli_usage_error("predict", "unexpected argument %s", a);
  }
  if (!model_path) return cli_usage_error("predict", "missing MODEL%s", "");
  if (ids_path && dense_path) return cli_usage_error("predict", "give --ids or --dense, not both%s", "");
  if (attention && !json) return cli_usage_error("predict", "--attention needs --json%s", "");

  char err[512];
  arnn_model *model = NULL;
  arnn_status st = arnn_model_load(model_path, &model, err, sizeof err);
  if (st != ARNN_OK) return cli_error("%s: %s", model_path, err);
  arnn_model_info mi = {.struct_size = sizeof mi};
  arnn_model_get_info(model, &mi);

  inputs in = {0};
  int rc = 1;
  if (mi.input == ARNN_INPUT_IDS) {
    if (dense_path) {
      cli_error("%s takes token ids (--ids), not --dense", model_path);
      goto out;
    }
    if (ids_path && ends_with(ids_path, ".npy")) {
      size_t shape[3];
      void *data = NULL;
      if (read_npy(ids_path, "<i4", 2, shape, &data)) goto out;
      in.ids = data;
      in.n = shape[0];
      in.T = shape[1];
      if (in.T != mi.T) {
        cli_error("%s: sequences of %zu steps, the model takes T=%zu", ids_path, in.T, mi.T);
        goto out;
      }
      for (size_t i = 0; i < in.n * in.T; i++)
        if (in.ids[i] < 0 || (size_t)in.ids[i] >= mi.V) {
          cli_error("%s: sequence %zu: token id %d is outside the vocabulary [0, %zu)", ids_path, i / in.T, in.ids[i],
                    mi.V);
          goto out;
        }
    } else {
      FILE *f = (!ids_path || !strcmp(ids_path, "-")) ? stdin : fopen(ids_path, "r");
      if (!f) {
        cli_error("cannot open %s: %s", ids_path, strerror(errno));
        goto out;
      }
      const int r = read_ids_text(f, f == stdin ? "<stdin>" : ids_path, &mi, &in);
      if (f != stdin) fclose(f);
      if (r) goto out;
    }
  } else {
    if (!dense_path) {
      cli_error("%s takes dense vectors: give --dense FILE.npy (float32 [N,T=%zu,E=%zu])", model_path, mi.T, mi.E);
      goto out;
    }
    size_t shape[3];
    void *data = NULL;
    if (read_npy(dense_path, "<f4", 3, shape, &data)) goto out;
    in.dense = data;
    in.n = shape[0];
    if (shape[1] != mi.T || shape[2] != mi.E) {
      cli_error("%s: array [%zu,%zu,%zu], the model takes [N,T=%zu,E=%zu]", dense_path, shape[0], shape[1], shape[2],
                mi.T, mi.E);
      goto out;
    }
  }

  arnn_threadpool *pool = NULL;
  st = cli_make_pool(threads, pin, &pool);
  if (st != ARNN_OK) {
    cli_error("cannot start %zu threads: %s", threads, arnn_status_str(st));
    goto out;
  }
  float *probs = malloc(batch * mi.C * sizeof *probs);
  float *att = attention ? malloc(batch * mi.T * sizeof *att) : NULL;
  if (!probs || (attention && !att)) {
    cli_error("out of memory");
  } else {
    rc = 0;
    for (size_t s = 0; s < in.n && rc == 0; s += batch) {
      const size_t b = in.n - s < batch ? in.n - s : batch;
      arnn_predict_options opt;
      arnn_predict_options_init(&opt);
      opt.pool = pool;
      opt.lengths = in.lengths ? in.lengths + s : NULL;
      opt.attention = att;
      st = in.ids ? arnn_model_predict_ids(model, b, in.ids + s * mi.T, &opt, probs)
                  : arnn_model_predict_dense(model, b, in.dense + s * mi.T * mi.E, &opt, probs);
      if (st != ARNN_OK) {
        rc = cli_error("prediction failed for sequences %zu..%zu: %s", s, s + b - 1, arnn_status_str(st));
        break;
      }
      for (size_t i = 0; i < b; i++) print_result(model, &mi, probs + i * mi.C, att ? att + i * mi.T : NULL, json);
    }
    if (fflush(stdout) != 0) rc = cli_error("cannot write the output");
  }
  free(probs);
  free(att);
  arnn_threadpool_destroy(pool);
out:
  inputs_free(&in);
  arnn_model_free(model);
  return rc;
}
