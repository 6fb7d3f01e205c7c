/* The model-file loader on a valid file and on a corpus of malformed and
 * hostile ones built here byte by byte: truncated files, header length
 * overflows, broken JSON, wrong offsets, overlapping tensors, gaps, missing
 * and unknown tensors, wrong dtypes and shapes, NaN/inf weights, bad metadata.
 * Each must be rejected with the expected status and a message naming the
 * problem; the valid one must load with every field and weight intact. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arnn/arnn.h"
#include "src/model-file.h"

static int failures;
#include "check.h"

/* ---- a small file builder ---- */

typedef struct {
  const char *name;
  char dtype[16];
  int rank;
  uint64_t shape[4];
  int omit;
  int set_off;
  uint64_t b, e;
} tdesc;

typedef struct {
  const char *key;
  const char *val;
} mdesc;

typedef struct {
  tdesc t[16];
  int nt;
  mdesc m[32];
  int nm;
  const char *extra; /* raw JSON members appended to the top-level object */
  size_t data_pad;   /* extra bytes after the tensors */
  float poison;      /* if nonzero, written as dense.bias[1] */
} spec;

enum { V = 4, E = 3, T = 5, H = 2, C = 2 };

static spec base_spec(void) {
  spec s = {0};
  const tdesc t[] = {
      {"embedding.weight", "F32", 2, {V, E}, 0, 0, 0, 0},
      {"rnn.forward.kernel", "F32", 2, {E, 4 * H}, 0, 0, 0, 0},
      {"rnn.forward.recurrent_kernel", "F32", 2, {H, 4 * H}, 0, 0, 0, 0},
      {"rnn.forward.bias", "F32", 1, {4 * H}, 0, 0, 0, 0},
      {"rnn.backward.kernel", "F32", 2, {E, 4 * H}, 0, 0, 0, 0},
      {"rnn.backward.recurrent_kernel", "F32", 2, {H, 4 * H}, 0, 0, 0, 0},
      {"rnn.backward.bias", "F32", 1, {4 * H}, 0, 0, 0, 0},
      {"attention.weight", "F32", 1, {2 * H}, 0, 0, 0, 0},
      {"attention.bias", "F32", 1, {T}, 0, 0, 0, 0},
      {"dense.kernel", "F32", 2, {2 * H, C}, 0, 0, 0, 0},
      {"dense.bias", "F32", 1, {C}, 0, 0, 0, 0},
  };
  memcpy(s.t, t, sizeof t);
  s.nt = (int)(sizeof t / sizeof t[0]);
  const mdesc m[] = {{"format", "arnn"},          {"format_version", "1"},  {"input", "ids"},
                     {"T", "5"},                  {"E", "3"},               {"V", "4"},
                     {"H", "2"},                  {"C", "2"},               {"cell", "lstm"},
                     {"recurrent_activation", "hard_sigmoid_keras2"},       {"mask_zero", "true"},
                     {"padding", "pre"},          {"attention", "eps"},     {"attention_bias", "true"},
                     {"head", "softmax"},         {"labels", "[\"neg\",\"pos \\u00e9\"]"},
                     {"source", "test"}};
  memcpy(s.m, m, sizeof m);
  s.nm = (int)(sizeof m / sizeof m[0]);
  return s;
}

static tdesc *find_t(spec *s, const char *name) {
  for (int i = 0; i < s->nt; i++)
    if (strcmp(s->t[i].name, name) == 0) return &s->t[i];
  return NULL;
}

static void set_m(spec *s, const char *key, const char *val) {
  for (int i = 0; i < s->nm; i++)
    if (strcmp(s->m[i].key, key) == 0) {
      if (val) s->m[i].val = val;
      else s->m[i] = s->m[--s->nm];
      return;
    }
  if (val) s->m[s->nm++] = (mdesc){key, val};
}

/* JSON-escapes a metadata value (only quotes and backslashes occur here). */
static size_t put_json_str(char *o, const char *v) {
  size_t n = 0;
  o[n++] = '"';
  for (; *v; v++) {
    if (*v == '"' || *v == '\\') o[n++] = '\\';
    o[n++] = *v;
  }
  o[n++] = '"';
  return n;
}

/* Value of element k of the whole data section: distinct, finite. */
static float value_at(size_t k) { return (float)((int)(k % 97) - 48) / 64.0f; }

static unsigned char *build(const spec *s, size_t *size) {
  static char hdr[1 << 16];
  size_t n = 0;
  uint64_t off = 0;
  n += (size_t)sprintf(hdr + n, "{\"__metadata__\":{");
  for (int i = 0; i < s->nm; i++) {
    n += (size_t)sprintf(hdr + n, "%s", i ? "," : "");
    n += put_json_str(hdr + n, s->m[i].key);
    hdr[n++] = ':';
    n += put_json_str(hdr + n, s->m[i].val);
  }
  hdr[n++] = '}';
  for (int i = 0; i < s->nt; i++) {
    const tdesc *t = &s->t[i];
    if (t->omit) continue;
    uint64_t bytes = 4;
    for (int k = 0; k < t->rank; k++) bytes *= t->shape[k];
    uint64_t b = t->set_off ? t->b : off, e = t->set_off ? t->e : off + bytes;
    n += (size_t)sprintf(hdr + n, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name, t->dtype);
    for (int k = 0; k < t->rank; k++) n += (size_t)sprintf(hdr + n, "%s%llu", k ? "," : "", (unsigned long long)t->shape[k]);
    n += (size_t)sprintf(hdr + n, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)b, (unsigned long long)e);
    if (!t->set_off) off += bytes;
  }
  if (s->extra) n += (size_t)sprintf(hdr + n, ",%s", s->extra);
  hdr[n++] = '}';
  while (n % 8) hdr[n++] = ' ';
  const size_t data = (size_t)off + s->data_pad;
  unsigned char *out = malloc(8 + n + data);
  for (int i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(out + 8, hdr, n);
  for (size_t k = 0; k < data / 4; k++) {
    float f = value_at(k);
    memcpy(out + 8 + n + 4 * k, &f, 4);
  }
  memset(out + 8 + n + data / 4 * 4, 0, data % 4);
  if (s->poison != 0.0f) { /* dense.bias is the last tensor: its element 1 */
    memcpy(out + 8 + n + off - 4, &s->poison, 4);
  }
  *size = 8 + n + data;
  return out;
}

/* A file from a raw header text and `data` zero bytes. */
static unsigned char *build_raw(const char *header, size_t data, size_t *size) {
  size_t n = strlen(header);
  unsigned char *out = calloc(1, 8 + n + data);
  for (int i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(out + 8, header, n);
  *size = 8 + n + data;
  return out;
}

/* With --write-corpus DIR every case is also written there, named valid-* or
 * bad-*, as the seed corpus of tests/fuzz (tests/fuzz/corpus). */
static const char *corpus_dir;
static int corpus_count;

static void write_case(const char *what, const unsigned char *bytes, size_t size, int ok) {
  char path[512], name[96];
  size_t n = 0;
  for (const char *p = what; *p && n + 1 < sizeof name; p++)
    name[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p
                : (*p >= 'A' && *p <= 'Z')                         ? (char)(*p - 'A' + 'a')
                                                                   : '-';
  name[n] = '\0';
  snprintf(path, sizeof path, "%s/%s-%03d-%s.bin", corpus_dir, ok ? "valid" : "bad", corpus_count++, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(bytes, 1, size, f) != size) failures++;
  if (f) fclose(f);
}

static void expect(const char *what, const unsigned char *bytes, size_t size, arnn_status want, const char *msg) {
  if (corpus_dir) write_case(what, bytes, size, want == ARNN_OK);
  char err[512];
  memset(err, 'x', sizeof err);
  arnn_model *m = (arnn_model *)1;
  arnn_status s = arnn_model_load_memory(bytes, size, &m, err, sizeof err);
  CHECK(s == want, "%s: status %d (%s), expected %d; message: %s", what, s, arnn_status_str(s), want, err);
  CHECK(memchr(err, '\0', sizeof err) != NULL, "%s: message not terminated", what);
  if (s != ARNN_OK) {
    CHECK(m == NULL, "%s: model not NULL on failure", what);
    CHECK(msg == NULL || strstr(err, msg) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err, msg);
    CHECK(err[0] != '\0', "%s: empty message", what);
  }
  arnn_model_free(s == ARNN_OK ? m : NULL);
}

static void expect_spec(const char *what, const spec *s, arnn_status want, const char *msg) {
  size_t size;
  unsigned char *b = build(s, &size);
  expect(what, b, size, want, msg);
  free(b);
}

static void test_valid(void) {
  spec s = base_spec();
  size_t size;
  unsigned char *b = build(&s, &size);
  char err[256];
  arnn_model *m = NULL;
  if (corpus_dir) write_case("base", b, size, 1);
  arnn_status st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  CHECK(st == ARNN_OK, "valid model: %s", err);
  if (st == ARNN_OK) {
    arnn_model_info info = {.struct_size = sizeof info};
    CHECK(arnn_model_get_info(m, &info) == ARNN_OK, "get_info");
    CHECK(info.input == ARNN_INPUT_IDS && info.T == T && info.E == E && info.V == V && info.H == H && info.C == C,
          "dims %zu %zu %zu %zu %zu", info.T, info.E, info.V, info.H, info.C);
    CHECK(info.cell == ARNN_RNN_LSTM && info.recurrent_activation == ARNN_RNN_HARD_SIGMOID_KERAS2 &&
              info.mask_zero == 1 && info.padding == ARNN_PADDING_PRE && info.attention == ARNN_ATTENTION_EPSILON &&
              info.attention_bias == 1 && info.head == ARNN_DENSE_SOFTMAX && info.format_version == 1,
          "architecture fields");
    CHECK(strcmp(arnn_model_label(m, 0), "neg") == 0, "label 0 = %s", arnn_model_label(m, 0));
    CHECK(strcmp(arnn_model_label(m, 1), "pos \xc3\xa9") == 0, "label 1 = %s", arnn_model_label(m, 1));
    CHECK(arnn_model_label(m, 2) == NULL, "label 2 is NULL");
    CHECK(m->gates == 4, "gates");
    arnn_model_info small = {.struct_size = 4};
    CHECK(arnn_model_get_info(m, &small) == ARNN_ERR_INVALID_ARGUMENT, "struct_size too small");
    struct {
      arnn_model_info known;
      int newer_field;
    } newer;
    memset(&newer, 0, sizeof newer);
    newer.known.struct_size = sizeof newer;
    newer.newer_field = 77;
    CHECK(arnn_model_get_info(m, &newer.known) == ARNN_OK && newer.known.struct_size == sizeof(arnn_model_info) &&
              newer.known.T == T && newer.newer_field == 77,
          "info for a newer header: filled up to this version, struct_size %zu", newer.known.struct_size);
    CHECK(arnn_model_get_info(NULL, &info) == ARNN_ERR_INVALID_ARGUMENT, "NULL model");
  }
  arnn_model_free(m);

  /* the same through a file */
  char path[] = "/tmp/arnn-model-load-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  if (fd >= 0) {
    CHECK(write(fd, b, size) == (ssize_t)size, "write");
    close(fd);
    m = NULL;
    st = arnn_model_load(path, &m, err, sizeof err);
    CHECK(st == ARNN_OK, "load from file: %s", err);
    arnn_model_free(m);
    /* truncated on disk */
    CHECK(truncate(path, (off_t)(size - 3)) == 0, "truncate");
    st = arnn_model_load(path, &m, err, sizeof err);
    CHECK(st == ARNN_ERR_MALFORMED_MODEL && m == NULL, "truncated file: %d %s", st, err);
    unlink(path);
  }
  st = arnn_model_load("/nonexistent/arnn.safetensors", &m, err, sizeof err);
  CHECK(st == ARNN_ERR_IO && strstr(err, "cannot open"), "missing file: %d %s", st, err);
  st = arnn_model_load("/tmp", &m, err, sizeof err);
  CHECK(st == ARNN_ERR_IO && strstr(err, "not a regular file"), "directory: %d %s", st, err);
  CHECK(arnn_model_load(NULL, &m, NULL, 0) == ARNN_ERR_INVALID_ARGUMENT, "NULL path");
  CHECK(arnn_model_load_memory(b, size, NULL, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT, "NULL out");
  CHECK(arnn_model_load_memory(NULL, 10, &m, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT, "NULL data");
  /* errbuf NULL or tiny is fine */
  spec bad = base_spec();
  set_m(&bad, "T", "0");
  size_t bsize;
  unsigned char *bb = build(&bad, &bsize);
  CHECK(arnn_model_load_memory(bb, bsize, &m, NULL, 0) == ARNN_ERR_MALFORMED_MODEL, "NULL errbuf");
  char tiny[1] = {'x'};
  CHECK(arnn_model_load_memory(bb, bsize, &m, tiny, 1) == ARNN_ERR_MALFORMED_MODEL && tiny[0] == '\0', "tiny errbuf");
  free(bb);
  arnn_model_free(NULL);

  /* dense-input GRU with reset_after and no attention bias, no labels */
  spec g = base_spec();
  find_t(&g, "embedding.weight")->omit = 1;
  find_t(&g, "attention.bias")->omit = 1;
  const char *rn[] = {"rnn.forward.kernel", "rnn.forward.recurrent_kernel", "rnn.backward.kernel",
                      "rnn.backward.recurrent_kernel"};
  for (int i = 0; i < 4; i++) find_t(&g, rn[i])->shape[1] = 3 * H;
  for (int d = 0; d < 2; d++) {
    tdesc *bt = find_t(&g, d ? "rnn.backward.bias" : "rnn.forward.bias");
    bt->rank = 2;
    bt->shape[0] = 2;
    bt->shape[1] = 3 * H;
  }
  set_m(&g, "input", "dense");
  set_m(&g, "V", NULL);
  set_m(&g, "mask_zero", NULL);
  set_m(&g, "cell", "gru");
  set_m(&g, "gru_reset_after", "true");
  set_m(&g, "attention_bias", "false");
  set_m(&g, "labels", NULL);
  set_m(&g, "padding", NULL);
  set_m(&g, "recurrent_activation", "sigmoid");
  free(b);
  b = build(&g, &size);
  if (corpus_dir) write_case("dense-gru", b, size, 1);
  m = NULL;
  st = arnn_model_load_memory(b, size, &m, err, sizeof err);
  CHECK(st == ARNN_OK, "dense GRU model: %s", err);
  if (st == ARNN_OK) {
    arnn_model_info info = {.struct_size = sizeof info};
    arnn_model_get_info(m, &info);
    CHECK(info.input == ARNN_INPUT_DENSE && info.V == 0 && info.cell == ARNN_RNN_GRU && info.gru_reset_after == 1 &&
              info.attention_bias == 0 && info.padding == ARNN_PADDING_UNKNOWN && info.mask_zero == 0,
          "dense GRU fields");
    CHECK(m->gates == 3, "dense GRU gates");
    CHECK(strcmp(arnn_model_label(m, 1), "1") == 0, "default label");
  }
  arnn_model_free(m);
  free(b);
}

static void test_malformed(void) {
  size_t size;
  unsigned char *b;
  spec s;

  /* ---- framing ---- */
  static const unsigned char few[7] = {1, 0, 0, 0, 0, 0, 0};
  for (size_t n = 0; n < 8; n++) expect("short file", few, n, ARNN_ERR_MALFORMED_MODEL, "fewer than the 8-byte");
  s = base_spec();
  b = build(&s, &size);
  unsigned char *c = malloc(size);
  memcpy(c, b, size);
  c[5] = 0x01; /* header length ~2^40 */
  expect("huge header length", c, size, ARNN_ERR_MALFORMED_MODEL, "exceeds the limit");
  memcpy(c, b, size);
  memset(c, 0xff, 8); /* 2^64 - 1: no wrap-around */
  expect("header length 2^64-1", c, size, ARNN_ERR_MALFORMED_MODEL, "exceeds the limit");
  memcpy(c, b, size);
  c[0] = 0;
  c[1] = 0;
  c[2] = 0x10; /* 1 MiB header in a small file */
  expect("header longer than file", c, size, ARNN_ERR_MALFORMED_MODEL, "exceeds the");
  for (size_t cut = 9; cut < size; cut += 37)
    expect("truncated", b, cut, ARNN_ERR_MALFORMED_MODEL, NULL);
  expect("truncated data", b, size - 1, ARNN_ERR_MALFORMED_MODEL, "data_offsets");
  free(c);
  free(b);

  /* ---- JSON syntax ---- */
  static const struct {
    const char *hdr, *msg;
  } js[] = {
      {"{", "too short for a JSON object"},
      {"{  ", "ends early"},
      {"[]", "expected '{'"},
      {"{\"__metadata__\":{}} x", "after the object"},
      {"{\"__metadata__\":{\"a\":\"b\\q\"}}", "invalid escape"},
      {"{\"__metadata__\":{\"a\":\"b\x01\"}}", "control character"},
      {"{\"__metadata__\":{\"a\":\"\xc0\xaf\"}}", "invalid UTF-8"},
      {"{\"__metadata__\":{\"a\":\"\xed\xa0\x80\"}}", "invalid UTF-8"},
      {"{\"__metadata__\":{\"a\":\"\\ud800\"}}", "invalid escape"},
      {"{\"__metadata__\":{\"a\":\"\\u0000\"}}", "\\u0000"},
      {"{\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"}}", "duplicate key"},
      {"{\"__metadata__\":{\"a\":1}}", "is not a string"},
      {"{\"__metadata__\":{},\"__metadata__\":{}}", "two __metadata__"},
      {"{\"__metadata__\":{\"a\":\"b\"", "ends early"},
      {"{\"__metadata__\":{\"a\":\"b", "unterminated string"},
      {"{\"foo\":{}}", "tensor foo: empty entry"},
      {"{\"dense.bias\":{}}", "empty entry"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", "unknown key"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}", "duplicate key"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[2]}}", "missing data_offsets"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "non-negative integer"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "non-negative integer"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", "non-negative integer"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[1e3],\"data_offsets\":[0,8]}}", "non-negative integer"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", "too large"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,8]}}", "more than 8"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", "more than 2"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "must have 2"},
      {"{\"dense.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"dense.bias\":{}}", "twice"},
      {"{\"dense.bias\":{\"dtype\":F32}}", "expected '\"'"},
      {"{}", "no __metadata__"},
      {"{\"__metadata__\":{}}", "lacks \"format\""},
  };
  for (size_t i = 0; i < sizeof js / sizeof js[0]; i++) {
    b = build_raw(js[i].hdr, 8, &size);
    char what[64];
    snprintf(what, sizeof what, "json case %zu", i);
    expect(what, b, size, ARNN_ERR_MALFORMED_MODEL, js[i].msg);
    free(b);
  }

  /* ---- metadata ---- */
  static const struct {
    const char *key, *val, *msg;
    arnn_status st;
  } md[] = {
      {"format", "pytorch", "expected \"arnn\"", ARNN_ERR_MALFORMED_MODEL},
      {"format", NULL, "lacks \"format\"", ARNN_ERR_MALFORMED_MODEL},
      {"format_version", "3", "newer than this library", ARNN_ERR_UNSUPPORTED},
      {"format_version", "0", "outside", ARNN_ERR_MALFORMED_MODEL},
      {"T", NULL, "lacks \"T\"", ARNN_ERR_MALFORMED_MODEL},
      {"T", "0", "T = 0 is outside", ARNN_ERR_MALFORMED_MODEL},
      {"T", "65537", "outside [1, 65536]", ARNN_ERR_MALFORMED_MODEL},
      {"T", "abc", "not a decimal integer", ARNN_ERR_MALFORMED_MODEL},
      {"T", "05", "not a decimal integer", ARNN_ERR_MALFORMED_MODEL},
      {"T", "-5", "not a decimal integer", ARNN_ERR_MALFORMED_MODEL},
      {"T", "", "not a decimal integer", ARNN_ERR_MALFORMED_MODEL},
      {"T", "99999999999999999999", "not a decimal integer", ARNN_ERR_MALFORMED_MODEL},
      {"H", "16385", "outside", ARNN_ERR_MALFORMED_MODEL},
      {"V", "16777217", "outside", ARNN_ERR_MALFORMED_MODEL},
      {"C", "0", "outside", ARNN_ERR_MALFORMED_MODEL},
      {"E", "70000", "outside", ARNN_ERR_MALFORMED_MODEL},
      {"cell", "rnn", "not one of lstm | gru", ARNN_ERR_MALFORMED_MODEL},
      {"input", "audio", "not one of ids | dense", ARNN_ERR_MALFORMED_MODEL},
      {"recurrent_activation", "relu", "not one of", ARNN_ERR_MALFORMED_MODEL},
      {"attention", "dot", "not one of eps | softmax", ARNN_ERR_MALFORMED_MODEL},
      {"attention_bias", "yes", "not one of false | true", ARNN_ERR_MALFORMED_MODEL},
      {"head", "linear", "not one of", ARNN_ERR_MALFORMED_MODEL},
      {"mask_zero", NULL, "lacks \"mask_zero\"", ARNN_ERR_MALFORMED_MODEL},
      {"padding", "middle", "not one of", ARNN_ERR_MALFORMED_MODEL},
      {"labels", "[\"a\"]", "has 1 entries, C = 2", ARNN_ERR_MALFORMED_MODEL},
      {"labels", "[\"a\",\"b\",\"c\"]", "more than C = 2", ARNN_ERR_MALFORMED_MODEL},
      {"labels", "a,b", "expected '['", ARNN_ERR_MALFORMED_MODEL},
      {"labels", "[\"a\",\"b\"] x", "after the array", ARNN_ERR_MALFORMED_MODEL},
      {"labels", "[\"a\",2]", "expected '\"'", ARNN_ERR_MALFORMED_MODEL},
  };
  for (size_t i = 0; i < sizeof md / sizeof md[0]; i++) {
    s = base_spec();
    set_m(&s, md[i].key, md[i].val);
    char what[96];
    snprintf(what, sizeof what, "metadata %s=%s", md[i].key, md[i].val ? md[i].val : "(absent)");
    expect_spec(what, &s, md[i].st, md[i].msg);
  }
  s = base_spec();
  static char longlab[2 * ARNN_MODEL_MAX_LABEL];
  memset(longlab, 'a', sizeof longlab);
  longlab[0] = '[';
  longlab[1] = '"';
  strcpy(longlab + sizeof longlab - 8, "\",\"b\"]");
  set_m(&s, "labels", longlab);
  expect_spec("label too long", &s, ARNN_ERR_MALFORMED_MODEL, "longer than");
  s = base_spec();
  set_m(&s, "input", "dense");
  find_t(&s, "embedding.weight")->omit = 1;
  expect_spec("dense with V", &s, ARNN_ERR_MALFORMED_MODEL, "has V but input = dense");
  set_m(&s, "V", NULL);
  expect_spec("dense with mask_zero", &s, ARNN_ERR_MALFORMED_MODEL, "mask_zero = true needs input = ids");
  set_m(&s, "mask_zero", "false");
  expect_spec("dense ok", &s, ARNN_OK, NULL);
  find_t(&s, "embedding.weight")->omit = 0;
  expect_spec("dense with embedding", &s, ARNN_ERR_MALFORMED_MODEL, "embedding.weight is present");
  s = base_spec();
  set_m(&s, "cell", "gru");
  expect_spec("gru without reset_after", &s, ARNN_ERR_MALFORMED_MODEL, "lacks \"gru_reset_after\"");
  set_m(&s, "gru_reset_after", "false");
  expect_spec("gru with LSTM shapes", &s, ARNN_ERR_MALFORMED_MODEL,
              "tensor rnn.forward.kernel: shape [3,8] does not match E=3, 3H=6");

  /* ---- tensors ---- */
  s = base_spec();
  find_t(&s, "dense.bias")->omit = 1;
  expect_spec("missing tensor", &s, ARNN_ERR_MALFORMED_MODEL, "tensor dense.bias is missing");
  s = base_spec();
  find_t(&s, "rnn.backward.recurrent_kernel")->omit = 1;
  expect_spec("missing recurrent", &s, ARNN_ERR_MALFORMED_MODEL, "rnn.backward.recurrent_kernel is missing");
  s = base_spec();
  set_m(&s, "attention_bias", "false");
  expect_spec("unexpected attention.bias", &s, ARNN_ERR_MALFORMED_MODEL, "attention.bias is present");
  s = base_spec();
  s.extra = "\"rnn.forward.bias_hh\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}";
  expect_spec("unknown tensor", &s, ARNN_ERR_MALFORMED_MODEL, "unknown tensor \"rnn.forward.bias_hh\"");
  s = base_spec();
  strcpy(find_t(&s, "rnn.forward.kernel")->dtype, "F16");
  expect_spec("dtype F16", &s, ARNN_ERR_MALFORMED_MODEL, "tensor rnn.forward.kernel: dtype F16 is not supported");
  s = base_spec();
  strcpy(find_t(&s, "dense.bias")->dtype, "I32");
  expect_spec("dtype I32", &s, ARNN_ERR_MALFORMED_MODEL, "dtype I32");
  s = base_spec();
  strcpy(find_t(&s, "dense.bias")->dtype, "F32_VERY_LONG_X");
  expect_spec("dtype long", &s, ARNN_ERR_MALFORMED_MODEL, "is not supported");
  s = base_spec();
  find_t(&s, "rnn.forward.kernel")->shape[1] = 7;
  expect_spec("wrong shape", &s, ARNN_ERR_MALFORMED_MODEL,
              "tensor rnn.forward.kernel: shape [3,7] does not match E=3, 4H=8");
  s = base_spec();
  find_t(&s, "attention.bias")->shape[0] = 6;
  expect_spec("attention bias length", &s, ARNN_ERR_MALFORMED_MODEL, "shape [6] does not match T=5");
  s = base_spec();
  find_t(&s, "dense.kernel")->rank = 1;
  expect_spec("wrong rank", &s, ARNN_ERR_MALFORMED_MODEL, "shape [4] does not match 2H=4, C=2");
  s = base_spec();
  find_t(&s, "embedding.weight")->rank = 0;
  expect_spec("rank 0", &s, ARNN_ERR_MALFORMED_MODEL, "shape [] does not match V=4, E=3");

  /* ---- offsets ---- */
  s = base_spec();
  *find_t(&s, "dense.bias") = (tdesc){"dense.bias", "F32", 1, {C}, 0, 1, 400, 392};
  expect_spec("end < begin", &s, ARNN_ERR_MALFORMED_MODEL, "are not a range inside");
  s = base_spec();
  *find_t(&s, "dense.bias") = (tdesc){"dense.bias", "F32", 1, {C}, 0, 1, UINT64_C(1) << 62, (UINT64_C(1) << 62) + 8};
  expect_spec("far offsets", &s, ARNN_ERR_MALFORMED_MODEL, "are not a range inside");
  s = base_spec();
  *find_t(&s, "dense.bias") = (tdesc){"dense.bias", "F32", 1, {C}, 0, 1, 0, 12};
  expect_spec("length mismatch", &s, ARNN_ERR_MALFORMED_MODEL, "hold 12 bytes, shape needs 8");
  s = base_spec();
  *find_t(&s, "dense.bias") = (tdesc){"dense.bias", "F32", 1, {C}, 0, 1, 0, 8};
  s.data_pad = 8;
  expect_spec("overlap", &s, ARNN_ERR_MALFORMED_MODEL, "overlap");
  s = base_spec();
  find_t(&s, "embedding.weight")->set_off = 1; /* [8, 56): a gap of 8 at the start, overlap later */
  find_t(&s, "embedding.weight")->b = 8;
  find_t(&s, "embedding.weight")->e = 56;
  expect_spec("moved tensor", &s, ARNN_ERR_MALFORMED_MODEL, NULL);
  s = base_spec();
  s.data_pad = 4;
  expect_spec("trailing bytes", &s, ARNN_ERR_MALFORMED_MODEL, "4 unused bytes after the last tensor");
  s = base_spec();
  *find_t(&s, "dense.bias") = (tdesc){"dense.bias", "F32", 1, {C}, 0, 1, 0, 8};
  find_t(&s, "embedding.weight")->omit = 1; /* dense.bias at [0,8), others shifted: overlap with rnn */
  set_m(&s, "input", "dense");
  set_m(&s, "V", NULL);
  set_m(&s, "mask_zero", NULL);
  expect_spec("overlap at start", &s, ARNN_ERR_MALFORMED_MODEL, "overlap");

  /* ---- values ---- */
  s = base_spec();
  s.poison = NAN;
  expect_spec("NaN weight", &s, ARNN_ERR_MALFORMED_MODEL, "tensor dense.bias: element 1 is NaN");
  s.poison = INFINITY;
  expect_spec("inf weight", &s, ARNN_ERR_MALFORMED_MODEL, "tensor dense.bias: element 1 is infinite");
  s.poison = -INFINITY;
  expect_spec("-inf weight", &s, ARNN_ERR_MALFORMED_MODEL, "infinite");
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) corpus_dir = argv[2];
  test_valid();
  test_malformed();
  printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
  return failures != 0;
}
