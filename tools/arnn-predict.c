/* `arnn predict`: classify sequences from a file or stdin with a model file.
 *
 * Inputs: --ids FILE|- (one sequence per line, space-separated token ids,
 * shorter lines padded as the model was trained: before the tokens unless the
 * file says padding = post), --ids FILE.npy (int32 [N,T]) or --dense FILE.npy
 * (float32 [N,T,E]). Sequences run in batches of --batch (default 32) on
 * --threads threads (default: the physical cores); output lines keep the input
 * order. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "arnn-cli.h"
#include "arnn-inputs.h"

typedef struct {
  size_t n;         /* sequences */
  int *ids;         /* [n, T] (ids input) */
  size_t *lengths;  /* [n] real tokens (ids from text), else NULL */
  float *dense;     /* [n, T, E] (dense input) */
} inputs;

static void inputs_free(inputs *in) {
  free(in->ids);
  free(in->lengths);
  free(in->dense);
}

/* The whole file (or stdin) in memory; NULL with a message on failure. */
static unsigned char *slurp(FILE *f, const char *name, size_t *size) {
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    unsigned char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap *= 2) : NULL;
    if (!bigger) free(buf);
    buf = bigger;
  }
  if (!buf) {
    cli_error("%s: out of memory", name);
    return NULL;
  }
  if (ferror(f)) {
    free(buf);
    cli_error("%s: read error", name);
    return NULL;
  }
  *size = n;
  return buf;
}

static unsigned char *slurp_path(const char *path, size_t *size) {
  if (!strcmp(path, "-")) return slurp(stdin, "<stdin>", size);
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_error("cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  unsigned char *buf = slurp(f, path, size);
  fclose(f);
  return buf;
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

/* The library's limit on a pool's threads: a larger --threads is refused
 * while the options are read, as a usage error, not after the model and
 * inputs are loaded. */
#define CLI_MAX_THREADS ARNN_THREADPOOL_MAX_THREADS
/* Sequences per library call: bounds the probability and attention buffers. */
#define CLI_MAX_BATCH 4096

/* A decimal count in [min, max], digits only (no sign, no spaces): 1, or 0
 * for anything else, -1 when it is a number but out of range. */
static int parse_count(const char *s, size_t min, size_t max, size_t *value) {
  if (!*s) return 0;
  size_t v = 0;
  int over = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    if (over || v > (max - (size_t)(*p - '0')) / 10) over = 1; /* above max; never wraps */
    else v = v * 10 + (size_t)(*p - '0');
  }
  if (over || v < min) return -1;
  *value = v;
  return 1;
}

enum { OPT_IDS = 256, OPT_DENSE, OPT_THREADS, OPT_BATCH, OPT_JSON, OPT_ATTENTION, OPT_NO_PIN, OPT_EMPTY_LINES };

static const struct option predict_options[] = {
    {"ids", required_argument, NULL, OPT_IDS},
    {"dense", required_argument, NULL, OPT_DENSE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"json", no_argument, NULL, OPT_JSON},
    {"attention", no_argument, NULL, OPT_ATTENTION},
    {"no-pin", no_argument, NULL, OPT_NO_PIN},
    {"empty-lines", required_argument, NULL, OPT_EMPTY_LINES},
    {NULL, 0, NULL, 0},
};

/* What each option with a value takes, for the message when it has none. */
static const char *value_hint(int opt) {
  switch (opt) {
    case OPT_IDS: return "a file name, or - for stdin";
    case OPT_DENSE: return "a .npy file name";
    case OPT_THREADS: return "a number of threads, 0 = the physical cores";
    case OPT_BATCH: return "a number of sequences per call";
    case OPT_EMPTY_LINES: return "error, skip or predict";
  }
  return "a value";
}

static const char *option_name(int opt) {
  for (const struct option *o = predict_options; o->name; o++)
    if (o->val == opt) return o->name;
  return "?";
}

int cli_predict(int argc, char **argv) {
  const char *model_path = NULL, *ids_path = NULL, *dense_path = NULL;
  size_t threads = 0, batch = 32;
  int json = 0, attention = 0, pin = 1;
  cli_empty_lines empty_lines = CLI_EMPTY_LINES_ERROR;
  char msg[320], shown[200];
  /* "-:": arguments that are not options come back in order as 1, so options
   * may follow MODEL even with POSIXLY_CORRECT set; a missing value comes back
   * as ':' and getopt prints nothing, so every usage error has one form */
  opterr = 0;
  optind = 1;
  int o;
  while ((o = getopt_long(argc, argv, "-:", predict_options, NULL)) != -1) {
    if (o == 1) {
      if (model_path)
        return cli_usage_error("predict", "unexpected argument %s",
                               cli_quote(shown, sizeof shown, optarg, strlen(optarg), 0));
      model_path = optarg;
      continue;
    }
    if (o == '?' && optopt >= OPT_IDS) {
      snprintf(msg, sizeof msg, "--%s takes no value", option_name(optopt));
      return cli_usage_error("predict", "%s", msg);
    }
    if (o == '?') {
      /* optopt: an unknown short option (perhaps inside a group like -xy);
       * 0: an unknown or ambiguous long one, the last argument read */
      char short_opt[3] = {'-', (char)optopt, '\0'};
      const char *a = optopt ? short_opt : argv[optind - 1];
      return cli_usage_error("predict", "unknown option %s", cli_quote(shown, sizeof shown, a, strlen(a), 0));
    }
    if (o == ':') {
      snprintf(msg, sizeof msg, "--%s needs a value (%s)", option_name(optopt), value_hint(optopt));
      return cli_usage_error("predict", "%s", msg);
    }
    if (optarg && !*optarg) {
      /* an unset shell variable, e.g. --threads "$N": not the default */
      snprintf(msg, sizeof msg, "--%s needs a value, got an empty one (%s)", option_name(o), value_hint(o));
      return cli_usage_error("predict", "%s", msg);
    }
    switch (o) {
      case OPT_IDS: ids_path = optarg; break;
      case OPT_DENSE: dense_path = optarg; break;
      case OPT_THREADS:
        switch (parse_count(optarg, 0, CLI_MAX_THREADS, &threads)) {
          case 1: break;
          case -1:
            snprintf(msg, sizeof msg, "--threads %s: at most %d threads (the library's limit)",
                     cli_quote(shown, sizeof shown, optarg, strlen(optarg), 0), CLI_MAX_THREADS);
            return cli_usage_error("predict", "%s", msg);
          default:
            snprintf(msg, sizeof msg, "bad value for --threads: %s (0 = the physical cores, or 1 to %d)",
                     cli_quote(shown, sizeof shown, optarg, strlen(optarg), 1), CLI_MAX_THREADS);
            return cli_usage_error("predict", "%s", msg);
        }
        break;
      case OPT_BATCH:
        if (parse_count(optarg, 1, CLI_MAX_BATCH, &batch) != 1) {
          snprintf(msg, sizeof msg, "bad value for --batch: %s (1 to %d)",
                   cli_quote(shown, sizeof shown, optarg, strlen(optarg), 1), CLI_MAX_BATCH);
          return cli_usage_error("predict", "%s", msg);
        }
        break;
      case OPT_JSON: json = 1; break;
      case OPT_ATTENTION: attention = 1; break;
      case OPT_NO_PIN: pin = 0; break;
      case OPT_EMPTY_LINES:
        if (!strcmp(optarg, "error")) empty_lines = CLI_EMPTY_LINES_ERROR;
        else if (!strcmp(optarg, "skip")) empty_lines = CLI_EMPTY_LINES_SKIP;
        else if (!strcmp(optarg, "predict")) empty_lines = CLI_EMPTY_LINES_PREDICT;
        else {
          snprintf(msg, sizeof msg, "bad value for --empty-lines: %s (error, skip or predict)",
                   cli_quote(shown, sizeof shown, optarg, strlen(optarg), 1));
          return cli_usage_error("predict", "%s", msg);
        }
        break;
    }
  }
  for (int i = optind; i < argc; i++) { /* after "--" */
    if (!model_path) model_path = argv[i];
    else
      return cli_usage_error("predict", "unexpected argument %s",
                             cli_quote(shown, sizeof shown, argv[i], strlen(argv[i]), 0));
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
    const char *path = ids_path ? ids_path : "-";
    size_t size = 0;
    unsigned char *buf = slurp_path(path, &size);
    if (!buf) goto out;
    int bad;
    if (ends_with(path, ".npy")) {
      size_t shape[3];
      const unsigned char *data = NULL;
      bad = cli_parse_npy(buf, size, path, "<i4", 2, shape, &data, err, sizeof err);
      if (!bad && shape[1] != mi.T) {
        snprintf(err, sizeof err, "%s: sequences of %zu steps, the model takes T=%zu", path, shape[1], mi.T);
        bad = 1;
      }
      if (!bad) {
        in.n = shape[0];
        in.ids = malloc(in.n * mi.T * sizeof *in.ids + 1);
        if (!in.ids) {
          snprintf(err, sizeof err, "out of memory");
          bad = 1;
        } else {
          memcpy(in.ids, data, in.n * mi.T * sizeof *in.ids);
          for (size_t i = 0; i < in.n * mi.T && !bad; i++)
            if (in.ids[i] < 0 || (size_t)in.ids[i] >= mi.V) {
              snprintf(err, sizeof err, "%s: sequence %zu: token id %d is outside the vocabulary [0, %zu)", path,
                       i / mi.T, in.ids[i], mi.V);
              bad = 1;
            }
        }
      }
    } else {
      cli_ids parsed;
      const char *shown_name = strcmp(path, "-") ? path : "<stdin>";
      bad = cli_parse_ids_text((const char *)buf, size, shown_name, mi.T, mi.V, mi.padding, empty_lines, &parsed, err,
                               sizeof err);
      if (!bad) {
        in.n = parsed.n;
        in.ids = parsed.ids;
        in.lengths = parsed.lengths;
        if (parsed.skipped)
          fprintf(stderr, "arnn: %s: skipped %zu blank line%s\n", shown_name, parsed.skipped,
                  parsed.skipped == 1 ? "" : "s");
      }
    }
    free(buf);
    if (bad) {
      cli_error("%s", err);
      goto out;
    }
  } else {
    if (!dense_path) {
      cli_error("%s takes dense vectors: give --dense FILE.npy (float32 [N,T=%zu,E=%zu])", model_path, mi.T, mi.E);
      goto out;
    }
    size_t size = 0, shape[3];
    const unsigned char *data = NULL;
    unsigned char *buf = slurp_path(dense_path, &size);
    if (!buf) goto out;
    int bad = cli_parse_npy(buf, size, dense_path, "<f4", 3, shape, &data, err, sizeof err);
    if (!bad && (shape[1] != mi.T || shape[2] != mi.E)) {
      snprintf(err, sizeof err, "%s: array [%zu,%zu,%zu], the model takes [N,T=%zu,E=%zu]", dense_path, shape[0],
               shape[1], shape[2], mi.T, mi.E);
      bad = 1;
    }
    if (!bad) {
      in.n = shape[0];
      in.dense = malloc(in.n * mi.T * mi.E * sizeof *in.dense + 1);
      if (in.dense) memcpy(in.dense, data, in.n * mi.T * mi.E * sizeof *in.dense);
      else bad = 1, snprintf(err, sizeof err, "out of memory");
    }
    free(buf);
    if (bad) {
      cli_error("%s", err);
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
