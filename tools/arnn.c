/* arnn: command-line front end of the library.
 *
 *   arnn info MODEL      what a model file holds, and which CPU kernels run it
 *   arnn predict MODEL   classify sequences (arnn-predict.c)
 *   arnn version         library version and ISA
 *   arnn help [COMMAND]
 *
 * Subcommands live in one table (name, one-line summary, usage text, handler).
 * Errors go to stderr with a non-zero exit
 * status: 1 for a failed operation, 2 for a usage error. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "arnn-cli.h"
#include "arnn-inputs.h"

typedef int (*command_fn)(int argc, char **argv);

typedef struct {
  const char *name;
  const char *summary;
  const char *usage; /* full help text of the command */
  command_fn run;
} command;

static int cmd_info(int argc, char **argv);
static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"info", "show a model file's architecture, sizes, labels and the kernels in use",
     "usage: arnn info MODEL [--json] [--bf16]\n"
     "\n"
     "Loads MODEL (an arnn model file written by tools/arnn-convert, see\n"
     "docs/model-format.md), checks it completely, and prints its architecture:\n"
     "input kind, sequence length T, embedding size E, vocabulary V, hidden units H\n"
     "per direction, classes C and their labels, the cell, activations, attention\n"
     "form, and the CPU instruction set and kernels arnn will use on this machine.\n"
     "Each layer shows the type its weights are kept in (f32, or bf16 for LSTM/GRU\n"
     "kernels stored as BF16 by arnn-convert --weights bf16).\n"
     "\n"
     "Options:\n"
     "  --json      print one JSON object instead of text\n"
     "  --bf16      load as arnn predict --bf16 does (LSTM/GRU kernels rounded to bf16)\n"
     "  -h, --help  this help\n"
     "\n"
     "Exit status 0 if the model loads, 1 if it is unreadable or malformed (the\n"
     "reason is printed on stderr).\n",
     cmd_info},
    {"predict", "classify token-id sequences (or dense vectors) with a model",
     "usage: arnn predict MODEL [--ids FILE|-] [--dense FILE.npy] [--threads N] [--batch N]\n"
     "                          [--text FILE|- [--tokenizer tokenizer.json] [--truncating pre|post]]\n"
     "                          [--json] [--attention] [--no-pin] [--empty-lines=MODE] [--quiet]\n"
     "                          [--bf16]\n"
     "\n"
     "Runs the model on every input sequence and prints one line per sequence, in\n"
     "input order: the C class probabilities separated by spaces (%.9g).\n"
     "\n"
     "Input (models with token ids):\n"
     "  --ids FILE     one sequence per line, space-separated token ids; a shorter\n"
     "                 line is padded with id 0 where the model was padded in\n"
     "                 training (in front unless the file says padding = post), a\n"
     "                 longer one than T is an error. FILE may be - (stdin, the\n"
     "                 default) or an int32 .npy array [N,T] used as it is.\n"
     "  --empty-lines=MODE  what a blank (empty or whitespace-only) line of a text\n"
     "                 --ids file means: error (the default: exit 1 naming the\n"
     "                 line, since a stray blank line would shift every later\n"
     "                 output line), skip (drop it, the count on stderr), or\n"
     "                 predict (a sequence of no tokens, all padding).\n"
     "  --text FILE    one UTF-8 text per line (or - for stdin), tokenized as Keras'\n"
     "                 Tokenizer.texts_to_sequences does with the Tokenizer.to_json()\n"
     "                 file given by --tokenizer FILE; a text with more than T ids\n"
     "                 is cut as Keras' pad_sequences does: --truncating pre (the\n"
     "                 default) keeps the last T ids, post the first T; the count\n"
     "                 of truncated texts goes to stderr. --empty-lines applies to\n"
     "                 blank lines; a text with no known word is all padding.\n"
     "                 Without --tokenizer, the tokenizer the model file carries (a\n"
     "                 Keras TextVectorization layer arnn-convert kept, see arnn\n"
     "                 info): its ids are padded and cut at the end as the layer\n"
     "                 does (--truncating post unless given).\n"
     "Input (models with dense vectors, e.g. ELMo):\n"
     "  --dense FILE   a float32 .npy array [N,T,E]\n"
     "\n"
     "Options:\n"
     "  --threads N    worker threads, at most 1024 (default and 0: the physical\n"
     "                 cores; 1 = no pool)\n"
     "  --batch N      sequences per library call, 1 to 4096 (default 32)\n"
     "  --json         one JSON object per line: {\"probs\":[...],\"label\":\"...\"}\n"
     "                 (label: the most probable class; with one sigmoid output,\n"
     "                 the label when p >= 0.5, else null)\n"
     "  --attention    with --json: add \"attention\":[T weights], which steps the\n"
     "                 prediction looked at\n"
     "  --no-pin       do not pin the worker threads to cores\n"
     "  --quiet        no progress line and no truncation count on stderr (progress\n"
     "                 is shown only when stderr is a terminal and there are more\n"
     "                 than 2000 sequences)\n"
     "  --bf16         round the LSTM/GRU kernels of a float32 model to bfloat16 at\n"
     "                 load: the same results as the model converted with\n"
     "                 arnn-convert --weights bf16 (half the recurrent bytes per step)\n"
     "  -h, --help     this help\n"
     "\n"
     "Example:  arnn predict examples/imdb-mini.safetensors --ids examples/imdb-mini.ids\n"
     "\n"
     "Exit status 0 on success, 1 on a bad input or model (reason on stderr), 2 on\n"
     "a usage error.\n",
     cli_predict},
    {"version", "print the library version and the instruction set in use", "usage: arnn version\n", cmd_version},
    {"help", "show help for a command", "usage: arnn help [COMMAND]\n", cmd_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_main_help(FILE *out) {
  fprintf(out,
          "arnn %s - fast inference for Keras attention-BiRNN text classifiers\n"
          "\n"
          "usage: arnn COMMAND [ARGS]      (arnn help COMMAND, or arnn COMMAND --help)\n"
          "\n"
          "Commands:\n",
          arnn_version());
  for (size_t i = 0; i < N_COMMANDS; i++) fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n"
          "Getting started: convert your Keras model once, then inspect it:\n"
          "  tools/arnn-convert model.h5 -o model.safetensors --labels neg,pos\n"
          "  arnn info model.safetensors\n"
          "  arnn predict model.safetensors --ids reviews.txt\n"
          "Try it on the shipped example:\n"
          "  arnn predict examples/imdb-mini.safetensors --ids examples/imdb-mini.ids\n"
          "\n"
          "Environment: ARNN_ISA=scalar|avx2|avx512 caps the instruction set arnn uses.\n");
}

static const command *find_command(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "arnn %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", find_command(cmd)->usage);
  return 2;
}

int cli_print_usage(const char *cmd) {
  fputs(find_command(cmd)->usage, stdout);
  return 0;
}

static const char *long_option_name(const struct option *options, int val) {
  for (const struct option *o = options; o->name; o++)
    if (o->val == val) return o->name;
  return NULL;
}

int cli_option_error(const char *cmd, int opt, char **argv, const struct option *options,
                     const char *(*hint)(int opt)) {
  char msg[320], shown[200];
  const char *name = long_option_name(options, optopt);
  if (opt == ':') {
    snprintf(msg, sizeof msg, "--%s needs a value (%s)", name ? name : "?", hint ? hint(optopt) : "a value");
  } else if (optopt != 0 && name != NULL) {
    snprintf(msg, sizeof msg, "--%s takes no value", name);
  } else {
    /* optopt: an unknown short option (perhaps inside a group like -xy);
     * 0: an unknown or ambiguous long one, the last argument read */
    char short_opt[3] = {'-', (char)optopt, '\0'};
    const char *a = optopt ? short_opt : argv[optind - 1];
    snprintf(msg, sizeof msg, "unknown option %s", cli_quote(shown, sizeof shown, a, strlen(a), 0));
  }
  return cli_usage_error(cmd, "%s", msg);
}

int cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("arnn: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* ---- info ---- */

static const char *input_str(arnn_input_kind k) { return k == ARNN_INPUT_IDS ? "ids" : "dense"; }
static const char *cell_str(arnn_rnn_cell c) { return c == ARNN_RNN_LSTM ? "lstm" : "gru"; }
static const char *ract_str(arnn_rnn_activation a) {
  switch (a) {
    case ARNN_RNN_SIGMOID: return "sigmoid";
    case ARNN_RNN_HARD_SIGMOID_KERAS2: return "hard_sigmoid_keras2";
    case ARNN_RNN_HARD_SIGMOID_KERAS3: return "hard_sigmoid_keras3";
  }
  return "?";
}
static const char *att_str(arnn_attention_form a) { return a == ARNN_ATTENTION_EPSILON ? "eps" : "softmax"; }
static const char *head_str(arnn_dense_activation h) { return h == ARNN_DENSE_SIGMOID ? "sigmoid" : "softmax"; }
static const char *pad_str(arnn_padding p) {
  return p == ARNN_PADDING_PRE ? "pre" : p == ARNN_PADDING_POST ? "post" : "unknown";
}

void cli_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

enum { OPT_INFO_JSON = CLI_LONG_OPTION, OPT_INFO_BF16 };

static int cmd_info(int argc, char **argv) {
  static const struct option options[] = {
      {"json", no_argument, NULL, OPT_INFO_JSON},
      {"bf16", no_argument, NULL, OPT_INFO_BF16},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *path = NULL;
  int json = 0, opt;
  unsigned load_flags = 0;
  char shown[200];
  opterr = 0; /* usage errors are reported by cli_option_error, with the usage */
  optind = 1;
  while ((opt = getopt_long(argc, argv, "-:h", options, NULL)) != -1) {
    if (opt == 1) {
      if (path)
        return cli_usage_error("info", "unexpected argument %s (MODEL is given once)",
                               cli_quote(shown, sizeof shown, optarg, strlen(optarg), 0));
      path = optarg;
    } else if (opt == OPT_INFO_JSON) {
      json = 1;
    } else if (opt == OPT_INFO_BF16) {
      load_flags |= ARNN_LOAD_BF16_WEIGHTS;
    } else if (opt == 'h') {
      return cli_print_usage("info");
    } else {
      return cli_option_error("info", opt, argv, options, NULL);
    }
  }
  for (int i = optind; i < argc; i++) { /* after "--" */
    if (path)
      return cli_usage_error("info", "unexpected argument %s (MODEL is given once)",
                             cli_quote(shown, sizeof shown, argv[i], strlen(argv[i]), 0));
    path = argv[i];
  }
  if (!path) return cli_usage_error("info", "missing MODEL%s", "");
  char err[512];
  arnn_model *model;
  arnn_status s = arnn_model_load_ex(path, load_flags, &model, err, sizeof err);
  if (s != ARNN_OK) {
    fprintf(stderr, "arnn info: %s: %s: %s\n", path, arnn_status_str(s), err);
    return 1;
  }
  /* the tokenizer the file carries (a converted TextVectorization), if any */
  arnn_tokenizer *tok = NULL;
  s = arnn_tokenizer_load_model(path, &tok, err, sizeof err);
  if (s != ARNN_OK && s != ARNN_ERR_UNSUPPORTED) {
    fprintf(stderr, "arnn info: %s: %s: %s\n", path, arnn_status_str(s), err);
    arnn_model_free(model);
    return 1;
  }
  char tok_desc[256] = "";
  if (tok) arnn_tokenizer_describe(tok, tok_desc, sizeof tok_desc);
  arnn_tokenizer_free(tok);
  arnn_model_info mi = {.struct_size = sizeof mi};
  arnn_model_get_info(model, &mi);
  const char *const ops[] = {"gemm", mi.cell == ARNN_RNN_LSTM ? "lstm_step" : "gru_step", "attention_pool",
                             "dense_head", "vtanh", "vexp", "vsigmoid"};
  const size_t n_layers = arnn_model_num_layers(model), n_out = arnn_model_num_outputs(model);
  if (json) {
    printf("{\"file\":");
    cli_json_string(stdout, path);
    printf(",\"format_version\":%u,\"input\":\"%s\",\"T\":%zu,\"max_steps\":%zu,\"E\":%zu,\"V\":%zu,\"H\":%zu,\"C\":%zu",
           mi.format_version, input_str(mi.input), mi.T, arnn_model_max_steps(model), mi.E, mi.V, mi.H, mi.C);
    if (mi.format_version == 1) {
      printf(",\"cell\":\"%s\",\"gru_reset_after\":%s,\"recurrent_activation\":\"%s\",\"mask_zero\":%s",
             cell_str(mi.cell), mi.gru_reset_after ? "true" : "false", ract_str(mi.recurrent_activation),
             mi.mask_zero ? "true" : "false");
      printf(",\"attention\":\"%s\",\"attention_bias\":%s,\"head\":\"%s\"", att_str(mi.attention),
             mi.attention_bias ? "true" : "false", head_str(mi.head));
    }
    printf(",\"padding\":\"%s\",\"labels\":[", pad_str(mi.padding));
    for (size_t c = 0; c < mi.C; c++) {
      if (c) putchar(',');
      cli_json_string(stdout, arnn_model_label(model, c));
    }
    printf("],\"outputs\":[");
    for (size_t k = 0; k < n_out; k++) {
      arnn_tensor_info oi = {.struct_size = sizeof oi};
      arnn_model_output_info(model, k, &oi);
      printf("%s{\"name\":", k ? "," : "");
      cli_json_string(stdout, oi.name);
      printf(",\"shape\":[%zu%s", oi.dims[0], oi.rank == 2 ? "," : "");
      if (oi.rank == 2) printf("%zu", oi.dims[1]);
      printf("]}");
    }
    printf("],\"layers\":[");
    for (size_t i = 0; i < n_layers; i++) {
      arnn_layer_info li = {.struct_size = sizeof li};
      arnn_model_layer_info(model, i, &li);
      printf("%s{\"name\":", i ? "," : "");
      cli_json_string(stdout, li.name);
      printf(",\"op\":\"%s\",\"inputs\":", li.op);
      cli_json_string(stdout, li.inputs);
      printf(",\"shape\":[%zu%s", li.dims[0], li.rank == 2 ? "," : "");
      if (li.rank == 2) printf("%zu", li.dims[1]);
      printf("],\"mask\":%s,\"kernel\":", li.has_mask ? "true" : "false");
      cli_json_string(stdout, li.kernel);
      printf(",\"weights\":\"%s\"}", li.weights);
    }
    printf("],\"tokenizer\":");
    if (tok_desc[0]) cli_json_string(stdout, tok_desc);
    else printf("null");
    printf(",\"isa\":\"%s\",\"kernels\":{", arnn_isa());
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
      printf("%s\"%s\":\"%s\"", k ? "," : "", ops[k], arnn_kernel_name(ops[k]));
    printf("}}\n");
  } else {
    printf("model          %s (format version %u)\n", path, mi.format_version);
    if (mi.format_version == 1) {
      const size_t G = mi.cell == ARNN_RNN_LSTM ? 4 : 3;
      const size_t params = mi.V * mi.E + 2 * (mi.E + mi.H + (mi.cell == ARNN_RNN_GRU && mi.gru_reset_after ? 2 : 1)) * G * mi.H +
                            2 * mi.H + (mi.attention_bias ? mi.T : 0) + 2 * mi.H * mi.C + mi.C;
      if (mi.input == ARNN_INPUT_IDS)
        printf("input          token ids [T=%zu], vocabulary V=%zu, Embedding E=%zu%s\n", mi.T, mi.V, mi.E,
               mi.mask_zero ? ", id 0 = padding (masked)" : "");
      else
        printf("input          dense vectors [T=%zu, E=%zu]\n", mi.T, mi.E);
      printf("padding        %s\n", pad_str(mi.padding));
      printf("recurrent      Bidirectional %s, H=%zu per direction (output 2H=%zu)", mi.cell == ARNN_RNN_LSTM ? "LSTM" : "GRU",
             mi.H, 2 * mi.H);
      if (mi.cell == ARNN_RNN_GRU) printf(", reset_after=%s", mi.gru_reset_after ? "true" : "false");
      printf(", recurrent activation %s\n", ract_str(mi.recurrent_activation));
      printf("attention      %s%s\n",
             mi.attention == ARNN_ATTENTION_EPSILON ? "exp(e) / (sum + 1e-7) (TextAttBiRNN)" : "softmax(e)",
             mi.attention_bias ? ", per-step bias" : ", no bias");
      printf("head           Dense C=%zu, %s\n", mi.C, head_str(mi.head));
      printf("parameters     %zu (%.1f KiB of float32)\n", params, (double)params * 4.0 / 1024.0);
    } else {
      for (size_t k = 0; k < arnn_model_num_inputs(model); k++) {
        arnn_tensor_info ii = {.struct_size = sizeof ii};
        arnn_model_input_info(model, k, &ii);
        char t[32];
        if (ii.dims[0]) snprintf(t, sizeof t, "%zu", ii.dims[0]);
        else snprintf(t, sizeof t, "T<=%zu", arnn_model_max_steps(model));
        if (ii.dtype == ARNN_DTYPE_IDS) printf("input          %s: token ids [%s]\n", ii.name, t);
        else if (ii.rank == 2) printf("input          %s: float32 [%s, %zu]\n", ii.name, t, ii.dims[1]);
        else printf("input          %s: float32 [%zu]\n", ii.name, ii.dims[0]);
      }
      for (size_t k = 0; k < n_out; k++) {
        arnn_tensor_info oi = {.struct_size = sizeof oi};
        arnn_model_output_info(model, k, &oi);
        if (oi.rank == 1) printf("output         %s [%zu]\n", oi.name, oi.dims[0]);
        else printf("output         %s [%zu, %zu] (0: follows the steps)\n", oi.name, oi.dims[0], oi.dims[1]);
      }
      printf("padding        %s\n", pad_str(mi.padding));
    }
    if (tok_desc[0]) printf("tokenizer      %s\n", tok_desc);
    printf("labels        ");
    for (size_t c = 0; c < mi.C; c++) printf(" %s", arnn_model_label(model, c));
    printf("\nisa            %s%s%s\n", arnn_isa(), arnn_isa_note()[0] ? " - " : "", arnn_isa_note());
    printf("layers         %zu (name, op, output shape per sample (T: steps of the call), mask, weights, kernel, "
           "inputs)\n",
           n_layers);
    for (size_t i = 0; i < n_layers; i++) {
      arnn_layer_info li = {.struct_size = sizeof li};
      arnn_model_layer_info(model, i, &li);
      char shape[64], d0[24], d1[24];
      if (li.dims[0]) snprintf(d0, sizeof d0, "%zu", li.dims[0]);
      else snprintf(d0, sizeof d0, "T");
      if (li.dims[1]) snprintf(d1, sizeof d1, "%zu", li.dims[1]);
      else snprintf(d1, sizeof d1, "T");
      if (li.rank == 1) snprintf(shape, sizeof shape, "[%s]", d0);
      else snprintf(shape, sizeof shape, "[%s, %s]", d0, d1);
      printf("  %-24s %-14s %-14s %-5s %-4s %-34s <- %s\n", li.name, li.op, shape, li.has_mask ? "mask" : "-",
             li.weights[0] ? li.weights : "-", li.kernel, li.inputs[0] ? li.inputs : "(model input)");
    }
    printf("kernels       ");
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) printf(" %s", arnn_kernel_name(ops[k]));
    printf("\n");
  }
  arnn_model_free(model);
  return 0;
}

static int cmd_version(int argc, char **argv) {
  static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  char shown[200];
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "-:h", options, NULL)) != -1) {
    if (opt == 1)
      return cli_usage_error("version", "unexpected argument %s",
                             cli_quote(shown, sizeof shown, optarg, strlen(optarg), 0));
    if (opt == 'h') return cli_print_usage("version");
    return cli_option_error("version", opt, argv, options, NULL);
  }
  if (optind < argc) /* after "--" */
    return cli_usage_error("version", "unexpected argument %s",
                           cli_quote(shown, sizeof shown, argv[optind], strlen(argv[optind]), 0));
  printf("arnn %s (isa %s)\n", arnn_version(), arnn_isa());
  return 0;
}

static int cmd_help(int argc, char **argv) {
  static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  const char *name = NULL;
  char shown[200];
  int opt;
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "-:h", options, NULL)) != -1) {
    if (opt == 'h') return cli_print_usage("help");
    if (opt != 1) return cli_option_error("help", opt, argv, options, NULL);
    if (name)
      return cli_usage_error("help", "unexpected argument %s (COMMAND is given once)",
                             cli_quote(shown, sizeof shown, optarg, strlen(optarg), 0));
    name = optarg;
  }
  if (optind < argc) { /* after "--" */
    if (name)
      return cli_usage_error("help", "unexpected argument %s (COMMAND is given once)",
                             cli_quote(shown, sizeof shown, argv[optind], strlen(argv[optind]), 0));
    name = argv[optind];
  }
  if (!name) {
    print_main_help(stdout);
    return 0;
  }
  const command *c = find_command(name);
  if (!c) {
    fprintf(stderr, "arnn help: unknown command '%s'\n", cli_quote(shown, sizeof shown, name, strlen(name), 0));
    return 2;
  }
  return cli_print_usage(c->name);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_main_help(stderr);
    return 2;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    print_main_help(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) return cmd_version(1, argv + 1);
  const command *c = find_command(argv[1]);
  if (!c) {
    char shown[200];
    fprintf(stderr, "arnn: unknown command '%s' (arnn --help lists the commands)\n",
            cli_quote(shown, sizeof shown, argv[1], strlen(argv[1]), 0));
    return 2;
  }
  return c->run(argc - 1, argv + 1);
}
