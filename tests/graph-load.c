/* The version-2 loader (graph schema + plan) on a valid graph and on
 * malformed ones built here: cycles and dangling edges, unknown ops and keys,
 * wrong types and ranges, duplicate names, shape mismatches between layers
 * and weights, missing and unused tensors, excessive fan-in, a steps count a
 * layer cannot take. Each must be refused with the expected status and a
 * message naming the problem. The valid ones must run and match a direct
 * computation. With --corpus DIR the cases are also written as fuzz seeds. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

static int failures;
#include "check.h"

static const char *corpus_dir;

typedef struct {
  const char *name;
  int rank;
  size_t shape[3];
} tdesc;

/* A version-2 file: graph JSON + tensors filled with a fixed pattern. */
static unsigned char *build(const char *graph, const tdesc *t, int nt, size_t *size) {
  size_t hcap = strlen(graph) * 2 + 4096 + (size_t)nt * 200;
  char *h = malloc(hcap);
  size_t o = (size_t)snprintf(h, hcap, "{\"__metadata__\":{\"format\":\"arnn\",\"format_version\":\"2\",\"graph\":\"");
  for (const char *p = graph; *p; p++) {
    if (*p == '"' || *p == '\\') h[o++] = '\\';
    h[o++] = *p;
  }
  o += (size_t)snprintf(h + o, hcap - o, "\"}");
  size_t off = 0;
  for (int i = 0; i < nt; i++) {
    size_t n = 1;
    for (int d = 0; d < t[i].rank; d++) n *= t[i].shape[d];
    o += (size_t)snprintf(h + o, hcap - o, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", t[i].name);
    for (int d = 0; d < t[i].rank; d++) o += (size_t)snprintf(h + o, hcap - o, "%s%zu", d ? "," : "", t[i].shape[d]);
    o += (size_t)snprintf(h + o, hcap - o, "],\"data_offsets\":[%zu,%zu]}", off, off + 4 * n);
    off += 4 * n;
  }
  o += (size_t)snprintf(h + o, hcap - o, "}");
  unsigned char *b = malloc(8 + o + off);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)o >> (8 * i));
  memcpy(b + 8, h, o);
  float *w = malloc(off + 4);
  for (size_t k = 0; k < off / 4; k++) w[k] = (float)((int)(k % 13) - 6) / 16.0f;
  memcpy(b + 8 + o, w, off);
  free(w);
  free(h);
  *size = 8 + o + off;
  return b;
}

static void write_seed(const char *name, const unsigned char *b, size_t size, int good) {
  if (!corpus_dir) return;
  char path[512];
  snprintf(path, sizeof path, "%s/%s-graph-%s.bin", corpus_dir, good ? "valid" : "bad", name);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(b, 1, size, f);
    fclose(f);
  }
}

static void expect(const char *name, const char *graph, const tdesc *t, int nt, arnn_status want, const char *needle) {
  size_t size;
  unsigned char *b = build(graph, t, nt, &size);
  write_seed(name, b, size, want == ARNN_OK);
  char err[512] = "";
  arnn_model *m = NULL;
  arnn_status st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  CHECK(st == want, "%s: status %d (%s), expected %d; message: %s", name, st, arnn_status_str(st), want, err);
  if (needle) CHECK(strstr(err, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", name, err, needle);
  CHECK((st == ARNN_OK) == (m != NULL), "%s: model pointer", name);
  arnn_model_free(m);
  free(b);
}

#define DENSE_IN "{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[4]}"
#define DENSE_L(n, in, u) \
  "{\"name\":\"" n "\",\"op\":\"dense\",\"inputs\":[\"" in "\"],\"units\":" #u ",\"activation\":{\"name\":\"linear\"},\"use_bias\":true}"

static const tdesc dense_t[] = {{"d1/kernel", 2, {4, 3}}, {"d1/bias", 1, {3}}};

static void test_malformed(void) {
  /* the valid base */
  expect("base", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_OK, NULL);
  /* edges */
  expect("cycle",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "d2", 3) "," DENSE_L("d2", "d1", 3)
         "],\"outputs\":[\"d2\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "dangling edge or cycle");
  expect("self-loop", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "d1", 3) "],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "dangling edge or cycle");
  expect("dangling", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "nope", 3) "],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "\"nope\"");
  expect("dangling-output", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[\"zz\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "\"zz\"");
  expect("output-index", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[\"d1:1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "no output 1");
  expect("duplicate-name",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("x", "x", 3) "],\"outputs\":[\"x\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "used twice");
  expect("bad-name",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("a/b", "x", 3) "],\"outputs\":[\"x\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "name must be");
  /* keys */
  expect("unknown-op",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"d1\",\"op\":\"lambda\",\"inputs\":[\"x\"]}],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_UNSUPPORTED, "unknown op \"lambda\"");
  expect("unknown-key",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"d1\",\"op\":\"dense\",\"inputs\":[\"x\"],\"units\":3,"
         "\"activation\":{\"name\":\"linear\"},\"use_bias\":true,\"extra\":1}],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "unknown key \"extra\"");
  expect("missing-key",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"d1\",\"op\":\"dense\",\"inputs\":[\"x\"],\"units\":3,"
         "\"activation\":{\"name\":\"linear\"}}],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "lacks the key \"use_bias\"");
  expect("bad-activation",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"d1\",\"op\":\"dense\",\"inputs\":[\"x\"],\"units\":3,"
         "\"activation\":{\"name\":\"mish2\"},\"use_bias\":true}],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "unknown activation");
  expect("units-type",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"d1\",\"op\":\"dense\",\"inputs\":[\"x\"],\"units\":3.5,"
         "\"activation\":{\"name\":\"linear\"},\"use_bias\":true}],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "\"units\" must be an integer");
  expect("no-outputs", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "outputs must be");
  expect("graph-not-json", "{\"inputs\":[", dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "graph JSON");
  expect("deep-json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", dense_t, 2,
         ARNN_ERR_MALFORMED_MODEL, "nesting deeper");
  /* tensors */
  static const tdesc wrong_k[] = {{"d1/kernel", 2, {5, 3}}, {"d1/bias", 1, {3}}};
  expect("kernel-shape", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[\"d1\"],\"max_steps\":1}",
         wrong_k, 2, ARNN_ERR_MALFORMED_MODEL, "kernel is [5, 3], needs [4, 3]");
  static const tdesc extra_t[] = {{"d1/kernel", 2, {4, 3}}, {"d1/bias", 1, {3}}, {"d9/kernel", 1, {2}}};
  expect("unused-tensor", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[\"d1\"],\"max_steps\":1}",
         extra_t, 3, ARNN_ERR_MALFORMED_MODEL, "d9/kernel is not used");
  expect("missing-tensor", "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "],\"outputs\":[\"d1\"],\"max_steps\":1}",
         dense_t, 1, ARNN_ERR_MALFORMED_MODEL, "needs the tensor d1/bias");
  /* shapes between layers */
  expect("chain-mismatch",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) "," DENSE_L("d2", "d1", 2)
         "],\"outputs\":[\"d2\"],\"max_steps\":1}",
         (const tdesc[]){{"d1/kernel", 2, {4, 3}}, {"d1/bias", 1, {3}}, {"d2/kernel", 2, {4, 2}}, {"d2/bias", 1, {2}}}, 4,
         ARNN_ERR_MALFORMED_MODEL, "layer 'd2' (dense): kernel is [4, 2], needs [3, 2]");
  expect("merge-mismatch",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[" DENSE_L("d1", "x", 3) ",{\"name\":\"m\",\"op\":\"merge\",\"inputs\":[\"x\",\"d1\"],"
         "\"mode\":\"add\",\"axis\":null}],\"outputs\":[\"m\"],\"max_steps\":1}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "shape differs");
  expect("rnn-on-vector",
         "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"r\",\"op\":\"rnn\",\"inputs\":[\"x\"],\"cell\":\"lstm\",\"units\":2,"
         "\"bidirectional\":false,\"merge_mode\":null,\"return_sequences\":false,\"go_backwards\":false,"
         "\"activation\":{\"name\":\"tanh\"},\"recurrent_activation\":{\"name\":\"sigmoid\"},\"reset_after\":false,"
         "\"use_bias\":false,\"zero_output_for_mask\":false}],\"outputs\":[\"r\"],\"max_steps\":1}",
         (const tdesc[]){{"r/forward/kernel", 2, {4, 8}}, {"r/forward/recurrent_kernel", 2, {2, 8}}}, 2,
         ARNN_ERR_MALFORMED_MODEL, "needs a [T, F] input");
  /* fan-in over the limit: 65 inputs to one merge */
  {
    char *g = malloc(8192);
    size_t o = (size_t)sprintf(g, "{\"inputs\":[" DENSE_IN "],\"layers\":[{\"name\":\"m\",\"op\":\"merge\",\"inputs\":[");
    for (int i = 0; i < 65; i++) o += (size_t)sprintf(g + o, "%s\"x\"", i ? "," : "");
    sprintf(g + o, "],\"mode\":\"add\",\"axis\":null}],\"outputs\":[\"m\"],\"max_steps\":1}");
    expect("fan-in", g, NULL, 0, ARNN_ERR_MALFORMED_MODEL, "at most 64");
    free(g);
  }
  /* a conv window longer than the fixed sequence */
  expect("conv-too-short",
         "{\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[3,2]}],\"layers\":[{\"name\":\"c\",\"op\":\"conv1d\","
         "\"inputs\":[\"x\"],\"filters\":2,\"kernel_size\":5,\"strides\":1,\"padding\":\"valid\",\"dilation_rate\":1,"
         "\"activation\":{\"name\":\"relu\",\"negative_slope\":0,\"max_value\":null,\"threshold\":0},\"use_bias\":false}],"
         "\"outputs\":[\"c\"],\"max_steps\":3}",
         (const tdesc[]){{"c/kernel", 3, {5, 2, 2}}}, 1, ARNN_ERR_MALFORMED_MODEL, "fewer than its window");
  expect("max-steps-vs-T",
         "{\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[3,4]}],\"layers\":[" DENSE_L("d1", "x", 3)
         "],\"outputs\":[\"d1\"],\"max_steps\":9}",
         dense_t, 2, ARNN_ERR_MALFORMED_MODEL, "max_steps 9 differs");
  expect("embedding-on-floats",
         "{\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[3,4]}],\"layers\":[{\"name\":\"e\",\"op\":\"embedding\","
         "\"inputs\":[\"x\"],\"mask_zero\":false}],\"outputs\":[\"e\"],\"max_steps\":3}",
         (const tdesc[]){{"e/embeddings", 2, {5, 2}}}, 1, ARNN_ERR_MALFORMED_MODEL, "must be an ids input");
}

/* A small valid model with variable steps, two outputs and a mask: ids ->
 * embedding(mask_zero) -> conv-free chain: LSTM(return_sequences) ->
 * global average pooling (masked) and the last-step Dense; checks shapes
 * per call and that out-of-range ids and too many steps are refused. */
static void test_variable_steps(void) {
  const char *g =
      "{\"inputs\":[{\"name\":\"ids\",\"dtype\":\"ids\",\"shape\":[null]}],\"layers\":["
      "{\"name\":\"e\",\"op\":\"embedding\",\"inputs\":[\"ids\"],\"mask_zero\":true},"
      "{\"name\":\"r\",\"op\":\"rnn\",\"inputs\":[\"e\"],\"cell\":\"gru\",\"units\":3,\"bidirectional\":true,"
      "\"merge_mode\":\"sum\",\"return_sequences\":true,\"go_backwards\":false,\"activation\":{\"name\":\"tanh\"},"
      "\"recurrent_activation\":{\"name\":\"sigmoid\"},\"reset_after\":true,\"use_bias\":true,\"zero_output_for_mask\":true},"
      "{\"name\":\"p\",\"op\":\"global_pool1d\",\"inputs\":[\"r\"],\"mode\":\"avg\",\"masked\":true},"
      "{\"name\":\"d\",\"op\":\"dense\",\"inputs\":[\"r\"],\"units\":2,\"activation\":{\"name\":\"softmax\",\"axis\":1},"
      "\"use_bias\":true}],\"outputs\":[\"p\",\"d\"],\"max_steps\":50}";
  const tdesc t[] = {{"e/embeddings", 2, {7, 4}},
                     {"r/forward/kernel", 2, {4, 9}},  {"r/forward/recurrent_kernel", 2, {3, 9}},
                     {"r/forward/bias", 2, {2, 9}},    {"r/backward/kernel", 2, {4, 9}},
                     {"r/backward/recurrent_kernel", 2, {3, 9}}, {"r/backward/bias", 2, {2, 9}},
                     {"d/kernel", 2, {3, 2}},          {"d/bias", 1, {2}}};
  size_t size;
  unsigned char *b = build(g, t, 9, &size);
  write_seed("variable-steps", b, size, 1);
  char err[512] = "";
  arnn_model *m = NULL;
  arnn_status st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  CHECK(st == ARNN_OK, "variable-steps model: %s", err);
  free(b);
  if (st != ARNN_OK) return;
  CHECK(arnn_model_num_inputs(m) == 1 && arnn_model_num_outputs(m) == 2, "counts");
  CHECK(arnn_model_max_steps(m) == 50, "max steps");
  arnn_tensor_info ti = {.struct_size = sizeof ti};
  CHECK(arnn_model_output_info(m, 1, &ti) == ARNN_OK && ti.rank == 2 && ti.dims[0] == 0 && ti.dims[1] == 2 &&
            strcmp(ti.name, "d") == 0,
        "output 1 info: rank %zu dims %zu %zu", ti.rank, ti.dims[0], ti.dims[1]);
  CHECK(arnn_model_output_shape(m, 1, 7, &ti) == ARNN_OK && ti.dims[0] == 7, "output 1 shape at 7 steps");
  CHECK(arnn_model_output_shape(m, 1, 51, &ti) == ARNN_ERR_OUT_OF_RANGE, "51 steps");
  CHECK(arnn_model_input_info(m, 1, &ti) == ARNN_ERR_INVALID_ARGUMENT, "input index 1");
  /* struct_size of the info structs: shorter than the first version is
   * refused; a longer one (a newer header) is filled up to this library's
   * size, which it reports back, and the rest is left alone */
  arnn_tensor_info short_ti = {.struct_size = offsetof(arnn_tensor_info, dims)};
  CHECK(arnn_model_input_info(m, 0, &short_ti) == ARNN_ERR_INVALID_ARGUMENT, "tensor_info struct_size short");
  CHECK(arnn_model_output_shape(m, 1, 7, &short_ti) == ARNN_ERR_INVALID_ARGUMENT, "output_shape struct_size short");
  struct {
    arnn_tensor_info known;
    unsigned newer_field;
  } newer_ti;
  memset(&newer_ti, 0, sizeof newer_ti);
  newer_ti.known.struct_size = sizeof newer_ti;
  newer_ti.newer_field = 0xA5A5A5A5u;
  CHECK(arnn_model_input_info(m, 0, &newer_ti.known) == ARNN_OK &&
            newer_ti.known.struct_size == sizeof(arnn_tensor_info) && newer_ti.known.dtype == ARNN_DTYPE_IDS &&
            newer_ti.known.rank == 1 && newer_ti.newer_field == 0xA5A5A5A5u,
        "tensor_info from a newer header: struct_size %zu", newer_ti.known.struct_size);
  arnn_layer_info li = {.struct_size = offsetof(arnn_layer_info, has_mask)};
  CHECK(arnn_model_layer_info(m, 0, &li) == ARNN_ERR_INVALID_ARGUMENT, "layer_info struct_size short");
  li.struct_size = sizeof li;
  st = arnn_model_layer_info(m, 1, &li);
  CHECK(st == ARNN_OK && li.struct_size == sizeof li, "layer_info: %s", arnn_status_str(st));
  if (st == ARNN_OK)
    CHECK(strcmp(li.name, "e") == 0 && strcmp(li.op, "embedding") == 0, "layer 1: %s (%s)", li.name, li.op);
  const int ids[2 * 6] = {0, 0, 3, 4, 5, 6, 1, 2, 3, 0, 0, 0};
  float pooled[2 * 3], probs[2 * 6 * 2], pooled1[3], probs1[6 * 2];
  const void *in[1] = {ids};
  float *out[2] = {pooled, probs};
  st = arnn_model_run(m, 2, 6, in, NULL, out);
  CHECK(st == ARNN_OK, "run: %s", arnn_status_str(st));
  for (int k = 0; k < 12; k++) CHECK(fabsf(probs[2 * k] + probs[2 * k + 1] - 1.0f) < 1e-6f, "softmax row %d", k);
  /* one sequence alone gives the same bits as inside the batch */
  const void *in1[1] = {ids + 6};
  float *out1[2] = {pooled1, probs1};
  CHECK(arnn_model_run(m, 1, 6, in1, NULL, out1) == ARNN_OK, "run 1");
  CHECK(memcmp(pooled1, pooled + 3, sizeof pooled1) == 0 && memcmp(probs1, probs + 12, sizeof probs1) == 0,
        "batch composition changes the bits");
  /* masked steps do not move the masked average: trailing padding removed */
  const int short_ids[3] = {1, 2, 3};
  const void *in2[1] = {short_ids};
  float pooled2[3], probs2[3 * 2];
  float *out2[2] = {pooled2, probs2};
  CHECK(arnn_model_run(m, 1, 3, in2, NULL, out2) == ARNN_OK, "run 3 steps");
  for (int f = 0; f < 3; f++)
    CHECK(fabsf(pooled2[f] - pooled1[f]) < 1e-6f, "padding changed the masked average: %g vs %g", pooled2[f],
          pooled1[f]);
  float keep = pooled[0];
  const int bad_ids[6] = {0, 1, 7, 2, 3, 4};
  const void *in3[1] = {bad_ids};
  CHECK(arnn_model_run(m, 1, 6, in3, NULL, out) == ARNN_ERR_OUT_OF_RANGE, "id 7 >= V");
  CHECK(pooled[0] == keep, "nothing written on error");
  CHECK(arnn_model_run(m, 1, 51, in, NULL, out) == ARNN_ERR_OUT_OF_RANGE, "51 steps");
  CHECK(arnn_model_run(m, 0, 6, in, NULL, out) == ARNN_ERR_INVALID_ARGUMENT, "batch 0");
  CHECK(arnn_model_run(NULL, 1, 6, in, NULL, out) == ARNN_ERR_INVALID_ARGUMENT, "NULL model");
  const void *nullin[1] = {NULL};
  CHECK(arnn_model_run(m, 1, 6, nullin, NULL, out) == ARNN_ERR_INVALID_ARGUMENT, "NULL input");
  float p0[1];
  CHECK(arnn_model_predict_ids(m, 1, ids, NULL, p0) == ARNN_ERR_INVALID_ARGUMENT, "predict_ids on variable steps");
  arnn_model_free(m);
}


/* ARNN_ERR_SHAPE_MISMATCH: a step count the graph cannot take although it is
 * within the model's maximum: a convolution window longer than the call's
 * steps (variable steps), and steps other than a fixed T. */
static void test_shape_mismatch(void) {
  const char *g =
      "{\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[null,2]}],\"layers\":[{\"name\":\"c\","
      "\"op\":\"conv1d\",\"inputs\":[\"x\"],\"filters\":2,\"kernel_size\":3,\"strides\":1,\"padding\":\"valid\","
      "\"dilation_rate\":1,\"activation\":{\"name\":\"relu\",\"negative_slope\":0,\"max_value\":null,"
      "\"threshold\":0},\"use_bias\":false}],\"outputs\":[\"c\"],\"max_steps\":10}";
  const tdesc t[] = {{"c/kernel", 3, {3, 2, 2}}};
  size_t size;
  unsigned char *b = build(g, t, 1, &size);
  char err[512] = "";
  arnn_model *m = NULL;
  arnn_status st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  free(b);
  CHECK(st == ARNN_OK, "conv model: %s", err);
  if (st != ARNN_OK) return;
  arnn_tensor_info ti = {.struct_size = sizeof ti};
  CHECK(arnn_model_output_shape(m, 0, 3, &ti) == ARNN_OK && ti.dims[0] == 1 && ti.dims[1] == 2, "3 steps: [1, 2]");
  st = arnn_model_output_shape(m, 0, 2, &ti);
  CHECK(st == ARNN_ERR_SHAPE_MISMATCH, "2 steps < window 3: %s", arnn_status_str(st));
  float x[2 * 2] = {1, 2, 3, 4}, y[2] = {-1, -1};
  const void *in[1] = {x};
  float *out[1] = {y};
  st = arnn_model_run(m, 1, 2, in, NULL, out);
  CHECK(st == ARNN_ERR_SHAPE_MISMATCH && y[0] == -1 && y[1] == -1, "run with 2 steps: %s", arnn_status_str(st));
  arnn_model_free(m);

  const char *fixed = "{\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[3,4]}],\"layers\":["
                      DENSE_L("d1", "x", 3) "],\"outputs\":[\"d1\"],\"max_steps\":3}";
  b = build(fixed, dense_t, 2, &size);
  st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  free(b);
  CHECK(st == ARNN_OK, "fixed-T model: %s", err);
  if (st != ARNN_OK) return;
  st = arnn_model_output_shape(m, 0, 2, &ti);
  CHECK(st == ARNN_ERR_SHAPE_MISMATCH, "output_shape, 2 steps for T = 3: %s", arnn_status_str(st));
  float xf[2 * 4] = {0}, yf[2 * 3];
  const void *inf_[1] = {xf};
  float *outf[1] = {yf};
  st = arnn_model_run(m, 1, 2, inf_, NULL, outf);
  CHECK(st == ARNN_ERR_SHAPE_MISMATCH, "run, 2 steps for T = 3: %s", arnn_status_str(st));
  arnn_model_free(m);
}

/* Attention layers on a pool: the same bits as on the calling thread alone,
 * with masks (a fully masked query row included) and scores outputs. */
static void test_attention_threads(void) {
  const char *g =
      "{\"inputs\":[{\"name\":\"ids\",\"dtype\":\"ids\",\"shape\":[9]}],\"layers\":["
      "{\"name\":\"e\",\"op\":\"embedding\",\"inputs\":[\"ids\"],\"mask_zero\":true},"
      "{\"name\":\"m\",\"op\":\"mha\",\"inputs\":[\"e\",\"e\"],\"num_heads\":3,\"key_dim\":5,\"value_dim\":4,"
      "\"use_bias\":true,\"output_dim\":6,\"causal\":false,\"return_scores\":true,\"empty_rows\":\"uniform\"},"
      "{\"name\":\"a\",\"op\":\"dot_attention\",\"inputs\":[\"m\",\"e\"],\"score_mode\":\"dot\",\"use_scale\":true,"
      "\"causal\":true,\"return_scores\":true},"
      "{\"name\":\"d\",\"op\":\"additive_attention\",\"inputs\":[\"e\",\"e\"],\"use_scale\":true,\"causal\":false,"
      "\"return_scores\":false}],"
      "\"outputs\":[\"m\",\"m:1\",\"a\",\"a:1\",\"d\"],\"max_steps\":9}";
  const tdesc t[] = {{"e/embeddings", 2, {11, 6}},           {"m/query/kernel", 3, {6, 3, 5}},
                     {"m/query/bias", 2, {3, 5}},            {"m/key/kernel", 3, {6, 3, 5}},
                     {"m/key/bias", 2, {3, 5}},              {"m/value/kernel", 3, {6, 3, 4}},
                     {"m/value/bias", 2, {3, 4}},            {"m/output/kernel", 3, {3, 4, 6}},
                     {"m/output/bias", 1, {6}},              {"a/scale", 1, {1}},
                     {"d/scale", 1, {6}}};
  size_t size;
  unsigned char *b = build(g, t, 11, &size);
  write_seed("attention", b, size, 1);
  char err[512] = "";
  arnn_model *m = NULL;
  arnn_status st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  free(b);
  CHECK(st == ARNN_OK, "attention model: %s", err);
  if (st != ARNN_OK) return;
  enum { B = 5, T = 9 };
  int ids[B * T];
  for (int i = 0; i < B * T; i++) ids[i] = (i * 7 + 3) % 11;
  for (int i = 0; i < T; i++) ids[2 * T + i] = 0; /* a sequence with every step masked */
  ids[T + 0] = ids[T + 4] = 0;
  const size_t sizes[5] = {B * T * 6, B * 3 * T * T, B * T * 6, B * T * T, B * T * 6};
  float *o1[5], *o2[5];
  for (int k = 0; k < 5; k++) {
    o1[k] = calloc(sizes[k], sizeof(float));
    o2[k] = calloc(sizes[k], sizeof(float));
  }
  const void *in[1] = {ids};
  CHECK(arnn_model_run(m, B, T, in, NULL, o1) == ARNN_OK, "run alone");
  arnn_threadpool *pool = NULL;
  CHECK(arnn_threadpool_create(2, &pool) == ARNN_OK, "pool");
  arnn_predict_options opt;
  arnn_predict_options_init(&opt);
  opt.pool = pool;
  CHECK(arnn_model_run(m, B, T, in, &opt, o2) == ARNN_OK, "run on 2 threads");
  for (int k = 0; k < 5; k++) {
    CHECK(memcmp(o1[k], o2[k], sizes[k] * sizeof(float)) == 0, "output %d differs on 2 threads", k);
    int finite = 1;
    for (size_t i = 0; i < sizes[k]; i++) finite &= isfinite(o1[k][i]) != 0;
    CHECK(finite, "output %d has a NaN or inf", k);
  }
  /* the weights of each MHA head row sum to 1 (uniform for masked rows) */
  for (int r = 0; r < B * 3 * T; r++) {
    float sum = 0;
    for (int j = 0; j < T; j++) sum += o1[1][r * T + j];
    CHECK(fabsf(sum - 1.0f) < 1e-5f, "mha weights row %d sums to %g", r, sum);
  }
  /* causal dot attention: no weight above the diagonal, except in a row
   * that sees no key at all (Keras: uniform over every key), here sequence
   * 2 (all masked) and row 0 of sequence 1 (its only visible key masked) */
  for (int bb = 0; bb < B; bb++)
    for (int i = 0; i < T; i++)
      for (int j = i + 1; j < T; j++)
        if (bb != 2 && !(bb == 1 && i == 0))
          CHECK(o1[3][(bb * T + i) * T + j] == 0.0f, "causal weight (%d, %d, %d)", bb, i, j);
  for (int j = 0; j < T; j++) CHECK(o1[3][(1 * T + 0) * T + j] == 1.0f / T, "row without a visible key: uniform");
  /* Keras Attention zeroes masked query rows */
  for (int f = 0; f < 6; f++) CHECK(o1[2][(2 * T + 3) * 6 + f] == 0.0f, "masked query row not zero");
  arnn_threadpool_destroy(pool);
  for (int k = 0; k < 5; k++) {
    free(o1[k]);
    free(o2[k]);
  }
  arnn_model_free(m);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--corpus") == 0) corpus_dir = argv[i + 1];
  test_malformed();
  test_variable_steps();
  test_shape_mismatch();
  test_attention_threads();
  if (failures) {
    printf("FAIL: %d failures\n", failures);
    return 1;
  }
  printf("graph-load: all passed\n");
  return 0;
}
