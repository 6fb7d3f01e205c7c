/* `arnn predict`: classify sequences from a file or stdin with a model file.
 *
 * Inputs: --ids FILE|- (one sequence per line, space-separated token ids,
 * shorter lines padded as the model was trained: before the tokens unless the
 * file says padding = post), --ids FILE.npy (int32 [N,T]), --dense FILE.npy
 * (float32 [N,T,E]) or --text FILE|- with --tokenizer tokenizer.json (one
 * UTF-8 text per line, tokenized as Keras' Tokenizer does, then cut to T as
 * Keras' pad_sequences does: truncating='pre' keeps the last T ids, 'post'
 * the first T). Without --tokenizer, --text uses the tokenizer the model file
 * carries (a converted TextVectorization layer), whose ids are padded and cut
 * at the end as the layer does (truncating=post unless given). Sequences run in batches of --batch (default 32) on
 * --threads threads (default: the physical cores); output lines keep the input
 * order. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* ---- --text: raw text through the Keras tokenizer ---- */

/* A blank line: nothing but spaces, tabs and a '\r'. */
static int blank_text(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
  return 1;
}

/* The texts of buf (one per '\n'-ended line; a final line without '\n'
 * counts, a '\r' before the '\n' is dropped as Python's universal newlines
 * do) as rows of rowT ids: each text's ids cut to `limit` (T, or the model's
 * max steps without a fixed T) as pad_sequences cuts them (truncate_post: the
 * first ids, else the last), placed where `padding` puts real tokens.
 * 0, or 1 after a message. */
static int tokenize_texts(const char *buf, size_t size, const char *name, const arnn_tokenizer *tok, size_t T,
                          size_t limit, size_t V, arnn_padding padding, int truncate_post,
                          cli_empty_lines empty_lines, int quiet, inputs *in, size_t *rowT_out) {
  size_t n = 0, cap = 0, total = 0, total_cap = 0, longest = 0, line_no = 0, skipped = 0;
  size_t *start = NULL, *count = NULL; /* per text: into all[] */
  int *all = NULL, rc = 0;
  char err[256];
  for (const char *p = buf, *end = buf + size; p < end && rc == 0;) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    size_t len = (size_t)(eol - p);
    const char *line = p;
    p = eol < end ? eol + 1 : end;
    line_no++;
    if (len && line[len - 1] == '\r') len--;
    if (blank_text(line, len) && empty_lines != CLI_EMPTY_LINES_PREDICT) {
      if (empty_lines == CLI_EMPTY_LINES_SKIP) {
        skipped++;
        continue;
      }
      rc = cli_error("%s:%zu: blank line (no text); --empty-lines=skip drops blank lines, "
                     "--empty-lines=predict predicts them as empty sequences", name, line_no);
      break;
    }
    if (n == cap) {
      cap = cap ? 2 * cap : 256;
      size_t *s2 = realloc(start, cap * sizeof *s2);
      if (s2) start = s2;
      size_t *c2 = s2 ? realloc(count, cap * sizeof *c2) : NULL;
      if (c2) count = c2;
      if (!s2 || !c2) {
        rc = cli_error("out of memory after %zu texts", n);
        break;
      }
    }
    /* at most arnn_tokenizer_max_ids ids (arnn.h) */
    const size_t most = arnn_tokenizer_max_ids(tok, len);
    if (!most) {
      rc = cli_error("%s:%zu: line too long", name, line_no);
      break;
    }
    if (total_cap - total < most) {
      size_t ncap = total_cap ? total_cap : 4096;
      while (ncap - total < most) ncap *= 2;
      int *a2 = realloc(all, ncap * sizeof *a2);
      if (!a2) {
        rc = cli_error("out of memory after %zu texts", n);
        break;
      }
      all = a2;
      total_cap = ncap;
    }
    size_t got = 0;
    const arnn_status st = arnn_tokenizer_encode(tok, line, len, all + total, most, &got, err, sizeof err);
    if (st != ARNN_OK) {
      rc = cli_error("%s:%zu: %s", name, line_no, err);
      break;
    }
    for (size_t i = 0; i < got; i++)
      if (V && (size_t)all[total + i] >= V) {
        rc = cli_error("%s:%zu: the tokenizer gives id %d, outside the model's vocabulary [0, %zu) "
                       "(a tokenizer of another model, or one without num_words?)",
                       name, line_no, all[total + i], V);
        break;
      }
    start[n] = total;
    count[n] = got;
    total += got;
    if (got > longest) longest = got;
    n++;
  }
  size_t truncated = 0;
  const size_t rowT = T ? T : (longest < 1 ? 1 : longest > limit ? limit : longest);
  if (rc == 0 && n > SIZE_MAX / sizeof(int) / rowT) rc = cli_error("%s: too many texts", name);
  if (rc == 0) {
    in->n = n;
    in->ids = calloc(n * rowT + 1, sizeof *in->ids);
    in->lengths = malloc((n + 1) * sizeof *in->lengths);
    if (!in->ids || !in->lengths) rc = cli_error("out of memory");
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    const size_t kept = count[i] < limit ? count[i] : limit;
    if (kept < count[i]) truncated++;
    /* pad_sequences: truncating='pre' drops from the front */
    const int *from = all + start[i] + (truncate_post ? 0 : count[i] - kept);
    int *row = in->ids + i * rowT;
    if (T && padding == ARNN_PADDING_PRE) row += rowT - kept;
    memcpy(row, from, kept * sizeof *row);
    in->lengths[i] = kept;
  }
  if (rc == 0 && skipped) fprintf(stderr, "arnn: %s: skipped %zu blank line%s\n", name, skipped, skipped == 1 ? "" : "s");
  if (rc == 0 && truncated && !quiet)
    fprintf(stderr, "arnn: %s: %zu of %zu texts longer than %zu tokens, truncated (truncating=%s: kept the %s %zu)\n",
            name, truncated, n, limit, truncate_post ? "post" : "pre", truncate_post ? "first" : "last", limit);
  free(start);
  free(count);
  free(all);
  *rowT_out = rowT;
  return rc;
}

/* ---- progress on a terminal ---- */

/* Progress is shown for more than this many sequences, only when stderr is
 * a terminal (a log file or a pipe never gets '\r' lines). */
#define CLI_PROGRESS_MIN 2000

typedef struct {
  int on, shown;
  size_t total;
  double start, last;
} progress;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress_start(progress *p, size_t total, int quiet) {
  p->on = !quiet && total > CLI_PROGRESS_MIN && isatty(STDERR_FILENO);
  p->shown = 0;
  p->total = total;
  p->start = p->last = now_seconds();
}

/* One line rewritten in place (\r), at most 5 times a second, and always at
 * the end. */
static void progress_update(progress *p, size_t done) {
  if (!p->on) return;
  const double t = now_seconds();
  if (done < p->total && t - p->last < 0.2) return;
  p->last = t;
  const double elapsed = t - p->start, rate = elapsed > 0 ? (double)done / elapsed : 0;
  const double left = rate > 0 ? (double)(p->total - done) / rate : 0;
  const unsigned long secs = (unsigned long)(left + 0.5);
  fprintf(stderr, "\rarnn: %zu/%zu sequences, %.0f/s, %lu:%02lu:%02lu left ", done, p->total, rate, secs / 3600,
          secs / 60 % 60, secs % 60);
  p->shown = 1;
  if (done == p->total) fputc('\n', stderr);
  fflush(stderr);
}

/* Ends the line after a failure, so a message starts on its own line. */
static void progress_abort(progress *p) {
  if (p->on && p->shown && p->last != 0) fputc('\n', stderr);
}

/* ---- output ---- */

typedef struct {
  const arnn_model *model;
  const arnn_model_info *mi;
  arnn_threadpool *pool;
  int json, attention;
  size_t rowT, E;
  int per_call_steps; /* the model has no fixed T: rows of ids hold their tokens first */
  void *unused;
} predict_ctx;

static int has_attention_layer(const arnn_model *m) {
  arnn_layer_info li = {.struct_size = sizeof li};
  for (size_t i = 0; i < arnn_model_num_layers(m); i++)
    if (arnn_model_layer_info(m, i, &li) == ARNN_OK && !strcmp(li.op, "attention_pool")) return 1;
  return 0;
}

/* Tokens of the longest line (bounded by max + 1, so a too-long line is
 * reported by the parser), at least 1. */
static size_t longest_line_tokens(const char *buf, size_t size, size_t max) {
  size_t best = 1, cur = 0;
  int in_tok = 0;
  for (size_t i = 0; i < size; i++) {
    const char c = buf[i];
    if (c == '\n') {
      if (cur > best) best = cur;
      cur = 0;
      in_tok = 0;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      in_tok = 0;
    } else if (!in_tok) {
      in_tok = 1;
      cur++;
    }
  }
  if (cur > best) best = cur;
  return best > max + 1 ? max + 1 : best;
}

static void print_floats(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++) printf(i ? ",%.9g" : "%.9g", (double)v[i]);
}

/* One line per sequence: output 0's values (text), or a JSON object with
 * "probs" (output 0), "label", the other outputs by name, and the attention
 * weights on request. */
static void print_result(const predict_ctx *pc, float *const *outs, const size_t *sizes, size_t n_out,
                         size_t row, const float *att, size_t att_len) {
  const arnn_model *model = pc->model;
  const float *probs = outs[0] + row * sizes[0];
  const size_t C = sizes[0];
  if (!pc->json) {
    for (size_t c = 0; c < C; c++) printf(c ? " %.9g" : "%.9g", (double)probs[c]);
    putchar('\n');
    return;
  }
  fputs("{\"probs\":[", stdout);
  print_floats(probs, C);
  size_t best = 0;
  for (size_t c = 0; c < C; c++)
    if (probs[c] > probs[best]) best = c;
  fputs("],\"label\":", stdout);
  /* one sigmoid output: the label applies when its probability is >= 0.5 */
  if (C != pc->mi->C || (C == 1 && !(probs[0] >= 0.5f))) fputs("null", stdout);
  else cli_json_string(stdout, arnn_model_label(model, best));
  if (n_out > 1) {
    fputs(",\"outputs\":{", stdout);
    for (size_t k = 1; k < n_out; k++) {
      arnn_tensor_info oi = {.struct_size = sizeof oi};
      arnn_model_output_info(model, k, &oi);
      if (k > 1) putchar(',');
      cli_json_string(stdout, oi.name);
      fputs(":[", stdout);
      print_floats(outs[k] + row * sizes[k], sizes[k]);
      putchar(']');
    }
    putchar('}');
  }
  if (att) {
    fputs(",\"attention\":[", stdout);
    print_floats(att + row * att_len, att_len);
    putchar(']');
  }
  fputs("}\n", stdout);
}

/* Runs b sequences starting at sequence `first` with `steps` steps and
 * prints them; 0 or 1 after a message. */
static int run_rows(const predict_ctx *pc, size_t first, size_t b, size_t steps, const void *x,
                    const size_t *lengths) {
  const size_t n_out = arnn_model_num_outputs(pc->model);
  float *outs[64] = {0};
  size_t sizes[64] = {0};
  int rc = 0;
  void *packed = NULL;
  if (pc->per_call_steps && pc->rowT != steps) {
    /* rows of rowT slots, tokens first: the call takes [b][steps] */
    const int *ids = x;
    int *p = malloc(b * steps * sizeof *p + 1);
    if (!p) return cli_error("out of memory");
    for (size_t i = 0; i < b; i++) memcpy(p + i * steps, ids + i * pc->rowT, steps * sizeof *p);
    packed = p;
    x = p;
  }
  for (size_t k = 0; k < n_out && k < 64; k++) {
    arnn_tensor_info oi = {.struct_size = sizeof oi};
    if (arnn_model_output_shape(pc->model, k, steps, &oi) != ARNN_OK) {
      rc = cli_error("sequences %zu..%zu: the model cannot take %zu steps", first, first + b - 1, steps);
      break;
    }
    sizes[k] = oi.rank == 2 ? oi.dims[0] * oi.dims[1] : oi.dims[0];
    if (!pc->json && k > 0) continue; /* text prints output 0 only */
    outs[k] = malloc(b * sizes[k] * sizeof(float) + 1);
    if (!outs[k]) rc = cli_error("out of memory");
  }
  float *att = NULL;
  if (rc == 0 && pc->attention) {
    att = malloc(b * steps * sizeof *att + 1);
    if (!att) rc = cli_error("out of memory");
  }
  if (rc == 0) {
    arnn_predict_options opt;
    arnn_predict_options_init(&opt);
    opt.pool = pc->pool;
    opt.lengths = lengths;
    opt.attention = att;
    const void *in1[1] = {x};
    const arnn_status st = arnn_model_run(pc->model, b, steps, in1, &opt, outs);
    if (st != ARNN_OK)
      rc = cli_error("prediction failed for sequences %zu..%zu: %s", first, first + b - 1, arnn_status_str(st));
    for (size_t i = 0; i < b && rc == 0; i++) print_result(pc, outs, sizes, pc->json ? n_out : 1, i, att, steps);
  }
  for (size_t k = 0; k < 64; k++) free(outs[k]);
  free(att);
  free(packed);
  return rc;
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

enum {
  OPT_IDS = CLI_LONG_OPTION,
  OPT_DENSE,
  OPT_THREADS,
  OPT_BATCH,
  OPT_JSON,
  OPT_ATTENTION,
  OPT_NO_PIN,
  OPT_EMPTY_LINES,
  OPT_TEXT,
  OPT_TOKENIZER,
  OPT_TRUNCATING,
  OPT_QUIET,
  OPT_BF16
};

static const struct option predict_options[] = {
    {"ids", required_argument, NULL, OPT_IDS},
    {"dense", required_argument, NULL, OPT_DENSE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"json", no_argument, NULL, OPT_JSON},
    {"attention", no_argument, NULL, OPT_ATTENTION},
    {"no-pin", no_argument, NULL, OPT_NO_PIN},
    {"empty-lines", required_argument, NULL, OPT_EMPTY_LINES},
    {"text", required_argument, NULL, OPT_TEXT},
    {"tokenizer", required_argument, NULL, OPT_TOKENIZER},
    {"truncating", required_argument, NULL, OPT_TRUNCATING},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"bf16", no_argument, NULL, OPT_BF16},
    {"help", no_argument, NULL, 'h'},
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
    case OPT_TEXT: return "a file of texts, one per line, or - for stdin";
    case OPT_TOKENIZER: return "a Keras Tokenizer.to_json() file or a TextVectorization tokenizer JSON";
    case OPT_TRUNCATING: return "pre or post";
  }
  return "a value";
}

static const char *option_name(int opt) {
  for (const struct option *o = predict_options; o->name; o++)
    if (o->val == opt) return o->name;
  return "?";
}

int cli_predict(int argc, char **argv) {
  const char *model_path = NULL, *ids_path = NULL, *dense_path = NULL, *text_path = NULL, *tokenizer_path = NULL;
  size_t threads = 0, batch = 32;
  int json = 0, attention = 0, pin = 1, truncate_post = 0, truncating_given = 0, quiet = 0;
  unsigned load_flags = 0;
  cli_empty_lines empty_lines = CLI_EMPTY_LINES_ERROR;
  char msg[320], shown[200];
  /* "-:": arguments that are not options come back in order as 1, so options
   * may follow MODEL even with POSIXLY_CORRECT set; a missing value comes back
   * as ':' and getopt prints nothing, so every usage error has one form */
  opterr = 0;
  optind = 1;
  int o;
  while ((o = getopt_long(argc, argv, "-:h", predict_options, NULL)) != -1) {
    if (o == 1) {
      if (model_path)
        return cli_usage_error("predict", "unexpected argument %s (MODEL is given once)",
                               cli_quote(shown, sizeof shown, optarg, strlen(optarg), 0));
      model_path = optarg;
      continue;
    }
    if (o == 'h') return cli_print_usage("predict");
    if (o == '?' || o == ':') return cli_option_error("predict", o, argv, predict_options, value_hint);
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
      case OPT_TEXT: text_path = optarg; break;
      case OPT_TOKENIZER: tokenizer_path = optarg; break;
      case OPT_QUIET: quiet = 1; break;
      case OPT_BF16: load_flags |= ARNN_LOAD_BF16_WEIGHTS; break;
      case OPT_TRUNCATING:
        truncating_given = 1;
        if (!strcmp(optarg, "pre")) truncate_post = 0;
        else if (!strcmp(optarg, "post")) truncate_post = 1;
        else {
          snprintf(msg, sizeof msg, "bad value for --truncating: %s (pre or post)",
                   cli_quote(shown, sizeof shown, optarg, strlen(optarg), 1));
          return cli_usage_error("predict", "%s", msg);
        }
        break;
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
      return cli_usage_error("predict", "unexpected argument %s (MODEL is given once)",
                             cli_quote(shown, sizeof shown, argv[i], strlen(argv[i]), 0));
  }
  if (!model_path) return cli_usage_error("predict", "missing MODEL%s", "");
  if ((ids_path != NULL) + (dense_path != NULL) + (text_path != NULL) > 1)
    return cli_usage_error("predict", "give one of --ids, --dense and --text%s", "");
  if (tokenizer_path && !text_path) return cli_usage_error("predict", "--tokenizer goes with --text%s", "");
  if (attention && !json) return cli_usage_error("predict", "--attention needs --json%s", "");

  char err[512];
  arnn_model *model = NULL;
  arnn_status st = arnn_model_load_ex(model_path, load_flags, &model, err, sizeof err);
  if (st != ARNN_OK) return cli_error("%s: %s", model_path, err);
  arnn_model_info mi = {.struct_size = sizeof mi};
  arnn_model_get_info(model, &mi);
  arnn_tensor_info ti = {.struct_size = sizeof ti};
  inputs in = {0};
  int rc = 1;
  if (arnn_model_num_inputs(model) != 1) {
    cli_error("%s has %zu inputs; arnn predict feeds one (use the C API's arnn_model_run)", model_path,
              arnn_model_num_inputs(model));
    goto out;
  }
  arnn_model_input_info(model, 0, &ti);
  /* T: the fixed sequence length, or 0 when each call chooses it */
  const size_t T = ti.dtype == ARNN_DTYPE_IDS || ti.rank == 2 ? ti.dims[0] : 1;
  const size_t E = ti.dtype == ARNN_DTYPE_F32 ? ti.dims[ti.rank - 1] : 1;
  const size_t max_steps = arnn_model_max_steps(model);
  size_t rowT = T; /* slots per row of in.ids / in.dense */
  if (ti.dtype == ARNN_DTYPE_IDS) {
    if (dense_path) {
      cli_error("%s takes token ids (--ids or --text), not --dense", model_path);
      goto out;
    }
    const char *path = text_path ? text_path : ids_path ? ids_path : "-";
    arnn_tokenizer *tok = NULL;
    if (text_path && tokenizer_path) {
      st = arnn_tokenizer_load(tokenizer_path, &tok, err, sizeof err);
      if (st != ARNN_OK) {
        char shown_path[200];
        cli_error("%s: %s", cli_quote(shown_path, sizeof shown_path, tokenizer_path, strlen(tokenizer_path), 0), err);
        goto out;
      }
    } else if (text_path) {
      /* the model's own tokenizer (a converted TextVectorization layer) */
      st = arnn_tokenizer_load_model(model_path, &tok, err, sizeof err);
      if (st != ARNN_OK) {
        cli_error("%s: %s", model_path, err);
        goto out;
      }
      if (!tok) {
        cli_error("%s carries no tokenizer: --text needs --tokenizer (the Keras Tokenizer.to_json() file)",
                  model_path);
        goto out;
      }
    }
    /* TextVectorization pads and truncates at the end (RaggedTensor.to_tensor
     * with shape [N, output_sequence_length]) unless --truncating says otherwise */
    const int tv = arnn_tokenizer_is_text_vectorization(tok);
    if (tv && !truncating_given) truncate_post = 1;
    size_t size = 0;
    unsigned char *buf = slurp_path(path, &size);
    if (!buf) {
      arnn_tokenizer_free(tok);
      goto out;
    }
    int bad;
    if (text_path) {
      const char *shown_name = strcmp(path, "-") ? path : "<stdin>";
      int trc = tokenize_texts((const char *)buf, size, shown_name, tok, T, T ? T : max_steps, mi.V,
                               T && !tv ? mi.padding : ARNN_PADDING_POST, truncate_post, empty_lines, quiet, &in,
                               &rowT);
      arnn_tokenizer_free(tok);
      free(buf);
      if (trc) goto out;
      bad = 0;
      buf = NULL;
    } else if (ends_with(path, ".npy")) {
      size_t shape[3];
      const unsigned char *data = NULL;
      bad = cli_parse_npy(buf, size, path, "<i4", 2, shape, &data, err, sizeof err);
      if (!bad && T && shape[1] != T) {
        snprintf(err, sizeof err, "%s: sequences of %zu steps, the model takes T=%zu", path, shape[1], T);
        bad = 1;
      }
      if (!bad && (shape[1] == 0 || shape[1] > max_steps)) {
        snprintf(err, sizeof err, "%s: sequences of %zu steps, the model takes 1 to %zu", path, shape[1], max_steps);
        bad = 1;
      }
      if (!bad) {
        rowT = shape[1];
        in.n = shape[0];
        in.ids = malloc(in.n * rowT * sizeof *in.ids + 1);
        if (!in.ids) {
          snprintf(err, sizeof err, "out of memory");
          bad = 1;
        } else {
          memcpy(in.ids, data, in.n * rowT * sizeof *in.ids);
          for (size_t i = 0; i < in.n * rowT && !bad; i++)
            if (in.ids[i] < 0 || (mi.V && (size_t)in.ids[i] >= mi.V)) {
              snprintf(err, sizeof err, "%s: sequence %zu: token id %d is outside the vocabulary [0, %zu)", path,
                       i / rowT, in.ids[i], mi.V);
              bad = 1;
            }
        }
      }
    } else {
      cli_ids parsed;
      const char *shown_name = strcmp(path, "-") ? path : "<stdin>";
      /* a model without a fixed T: rows as long as the longest line (each
       * sequence then runs with its own length, see below) */
      if (!T) rowT = longest_line_tokens((const char *)buf, size, max_steps);
      bad = cli_parse_ids_text((const char *)buf, size, shown_name, rowT, mi.V ? mi.V : (size_t)INT32_MAX + 1,
                               T ? mi.padding : ARNN_PADDING_POST, empty_lines, &parsed, err, sizeof err);
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
    if (text_path) {
      cli_error("%s takes dense vectors, not token ids: --text does not apply", model_path);
      goto out;
    }
    if (!dense_path) {
      if (ti.rank == 2)
        cli_error("%s takes dense vectors: give --dense FILE.npy (float32 [N,T=%zu,E=%zu])", model_path, T, E);
      else
        cli_error("%s takes vectors: give --dense FILE.npy (float32 [N,F=%zu])", model_path, E);
      goto out;
    }
    size_t size = 0, shape[3];
    const unsigned char *data = NULL;
    unsigned char *buf = slurp_path(dense_path, &size);
    if (!buf) goto out;
    const size_t ndim = ti.rank + 1;
    int bad = cli_parse_npy(buf, size, dense_path, "<f4", ndim, shape, &data, err, sizeof err);
    if (!bad && ndim == 3 && ((T && shape[1] != T) || shape[1] == 0 || shape[1] > max_steps || shape[2] != E)) {
      snprintf(err, sizeof err, "%s: array [%zu,%zu,%zu], the model takes [N,T=%s,E=%zu]", dense_path, shape[0],
               shape[1], shape[2], T ? "" : "1..", E);
      if (T) snprintf(err, sizeof err, "%s: array [%zu,%zu,%zu], the model takes [N,T=%zu,E=%zu]", dense_path,
                      shape[0], shape[1], shape[2], T, E);
      bad = 1;
    }
    if (!bad && ndim == 2 && shape[1] != E) {
      snprintf(err, sizeof err, "%s: array [%zu,%zu], the model takes [N,F=%zu]", dense_path, shape[0], shape[1], E);
      bad = 1;
    }
    if (!bad) {
      rowT = ndim == 3 ? shape[1] : 1;
      in.n = shape[0];
      in.dense = malloc(in.n * rowT * E * sizeof *in.dense + 1);
      if (in.dense) memcpy(in.dense, data, in.n * rowT * E * sizeof *in.dense);
      else bad = 1, snprintf(err, sizeof err, "out of memory");
    }
    free(buf);
    if (bad) {
      cli_error("%s", err);
      goto out;
    }
  }
  if (attention && mi.attention_bias == 0 && !has_attention_layer(model)) {
    cli_error("%s has no attention pooling layer: --attention has nothing to show", model_path);
    goto out;
  }

  arnn_threadpool *pool = NULL;
  st = cli_make_pool(threads, pin, &pool);
  if (st != ARNN_OK) {
    cli_error("cannot start %zu threads: %s", threads, arnn_status_str(st));
    goto out;
  }
  rc = 0;
  predict_ctx pc = {model, &mi, pool, json, attention, rowT, E, T == 0, NULL};
  progress prog;
  progress_start(&prog, in.n, quiet);
  if (in.ids && !T) {
    /* each line runs with its own length: consecutive lines of equal length
     * share a call */
    for (size_t s = 0; s < in.n && rc == 0;) {
      size_t b = 1;
      while (s + b < in.n && b < batch && in.lengths[s + b] == in.lengths[s]) b++;
      rc = run_rows(&pc, s, b, in.lengths[s] ? in.lengths[s] : 1, in.ids + s * rowT, NULL);
      s += b;
      if (rc == 0) progress_update(&prog, s);
    }
  } else {
    for (size_t s = 0; s < in.n && rc == 0; s += batch) {
      const size_t b = in.n - s < batch ? in.n - s : batch;
      const void *x = in.ids ? (const void *)(in.ids + s * rowT) : (const void *)(in.dense + s * rowT * E);
      rc = run_rows(&pc, s, b, rowT, x, in.lengths ? in.lengths + s : NULL);
      if (rc == 0) progress_update(&prog, s + b);
    }
  }
  if (rc != 0) progress_abort(&prog);
  if (rc == 0 && fflush(stdout) != 0) rc = cli_error("cannot write the output");
  arnn_threadpool_destroy(pool);
out:
  inputs_free(&in);
  arnn_model_free(model);
  return rc;
}
