/* The Keras tokenizer (arnn_tokenizer_*): Keras' tokenization on hand-picked
 * cases whose expected ids come from tests/tokenizer/reference.py (written from
 * keras_preprocessing/text.py), refused files, and the encode contract.
 *   tokenizer-test                       the cases below
 *   tokenizer-test --encode TOK TEXTS    ids of each '\n'-ended line of TEXTS,
 *                                        one line of space-separated ids each
 *                                        (what reference.py compares) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

static int failures;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);      \
      fprintf(stderr, __VA_ARGS__);                        \
      fputc('\n', stderr);                                 \
      failures++;                                          \
    }                                                      \
  } while (0)

/* A Tokenizer.to_json() document: config members (JSON text, may be empty)
 * and word_index as JSON, embedded as a string the way to_json() does. */
static char *tokenizer_json(const char *config, const char *word_index) {
  size_t n = strlen(word_index), k = 0;
  char *esc = malloc(2 * n + 1), *out = malloc(2 * n + strlen(config) + 256);
  for (size_t i = 0; i < n; i++) {
    if (word_index[i] == '"' || word_index[i] == '\\') esc[k++] = '\\';
    esc[k++] = word_index[i];
  }
  esc[k] = '\0';
  sprintf(out, "{\"class_name\": \"Tokenizer\", \"config\": {%s%s\"word_index\": \"%s\"}}", config, *config ? ", " : "",
          esc);
  free(esc);
  return out;
}

static arnn_tokenizer *load(const char *config, const char *word_index) {
  char *json = tokenizer_json(config, word_index), err[256];
  arnn_tokenizer *t = NULL;
  const arnn_status st = arnn_tokenizer_load_memory(json, strlen(json), &t, err, sizeof err);
  CHECK(st == ARNN_OK, "load {%s}: %s", config, err);
  free(json);
  return t;
}

/* A TextVectorization description: the vocabulary below and extra config
 * members (JSON text, may be empty). Expected ids: tests/tokenizer/
 * reference_textvec.py (vectorize) on the same vocabulary. */
#define TV_VOCAB                                                                                                     \
  "[\"\", \"[UNK]\", \"\\u00e9cole\", \"ecole\", \"\\u0130stanbul\", \"istanbul\", \"stra\\u00dfe\", \"s\\u00ed\", "   \
  "\"qu\\u00e9\", \"no\\u2026\", \"\\u00abs\\u00ed\\u00bb\", \"a\\u00a0b\", \"a\\u3000b\", \"unk\", \"[unk]\", \"[UNK]\", "    \
  "\"dont\", \"email\", \"\\u6771\\u4eac\", \"\\ud83d\\ude00\", \"c\"]"
static arnn_tokenizer *load_tv(const char *config) {
  char json[2048], err[256];
  snprintf(json, sizeof json, "{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": %s%s%s}}", TV_VOCAB,
           *config ? ", " : "", config);
  arnn_tokenizer *t = NULL;
  const arnn_status st = arnn_tokenizer_load_memory(json, strlen(json), &t, err, sizeof err);
  CHECK(st == ARNN_OK, "load TextVectorization {%s}: %s", config, err);
  return t;
}

static void expect_ids(const arnn_tokenizer *t, const char *text, const int *want, size_t n_want) {
  int ids[64];
  size_t n = 99;
  char err[256];
  const arnn_status st = arnn_tokenizer_encode(t, text, strlen(text), ids, 64, &n, err, sizeof err);
  CHECK(st == ARNN_OK, "encode \"%s\": %s", text, err);
  int same = st == ARNN_OK && n == n_want;
  for (size_t i = 0; same && i < n; i++) same = ids[i] == want[i];
  if (!same) {
    fprintf(stderr, "encode \"%s\": got", text);
    for (size_t i = 0; i < n && i < 64; i++) fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, ", want");
    for (size_t i = 0; i < n_want; i++) fprintf(stderr, " %d", want[i]);
    fputc('\n', stderr);
    failures++;
  }
}

#define IDS(...) ((const int[]){__VA_ARGS__}), sizeof((const int[]){__VA_ARGS__}) / sizeof(int)
#define NONE NULL, 0

static void refused(const char *config, const char *word_index, arnn_status want, const char *msg_part) {
  char *json = tokenizer_json(config, word_index), err[256];
  arnn_tokenizer *t = (arnn_tokenizer *)1;
  const arnn_status st = arnn_tokenizer_load_memory(json, strlen(json), &t, err, sizeof err);
  CHECK(st == want && t == NULL, "{%s}: status %d, want %d", config, (int)st, (int)want);
  CHECK(strstr(err, msg_part) != NULL, "{%s}: message \"%s\" lacks \"%s\"", config, err, msg_part);
  free(json);
}

static void refused_raw(const char *json, arnn_status want, const char *msg_part) {
  char err[256];
  arnn_tokenizer *t = NULL;
  const arnn_status st = arnn_tokenizer_load_memory(json, strlen(json), &t, err, sizeof err);
  CHECK(st == want && t == NULL, "%s: status %d, want %d", json, (int)st, (int)want);
  CHECK(strstr(err, msg_part) != NULL, "%s: message \"%s\" lacks \"%s\"", json, err, msg_part);
  for (const char *p = err; *p; p++) CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte in message");
}

static int encode_file(const char *tok_path, const char *texts_path) {
  char err[256];
  arnn_tokenizer *t = NULL;
  if (arnn_tokenizer_load(tok_path, &t, err, sizeof err) != ARNN_OK) {
    fprintf(stderr, "%s: %s\n", tok_path, err);
    return 1;
  }
  FILE *f = fopen(texts_path, "rb");
  if (!f) return 1;
  size_t cap = 1 << 16, len = 0;
  char *line = malloc(cap);
  int c, rc = 0;
  int *ids = NULL;
  while ((c = getc(f)) != EOF) {
    if (c != '\n') {
      if (len + 1 == cap) line = realloc(line, cap *= 2);
      line[len++] = (char)c;
      continue;
    }
    size_t n = 0;
    const size_t cap_ids = arnn_tokenizer_max_ids(t, len);
    ids = realloc(ids, cap_ids * sizeof *ids);
    if (arnn_tokenizer_encode(t, line, len, ids, cap_ids, &n, err, sizeof err) != ARNN_OK) {
      fprintf(stderr, "%s\n", err);
      rc = 1;
      break;
    }
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    putchar('\n');
    len = 0;
  }
  fclose(f);
  free(line);
  free(ids);
  arnn_tokenizer_free(t);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "--encode")) return encode_file(argv[2], argv[3]);
  char err[256];
  {
    arnn_tokenizer *t = NULL;
    const arnn_status st = arnn_tokenizer_load_memory("{}", 2, &t, err, sizeof err);
    if (st == ARNN_ERR_UNSUPPORTED && strstr(err, "utf8proc")) {
      printf("built without utf8proc: skipped\n");
      return 77;
    }
  }
  /* default filters, lower, split ' ' */
  arnn_tokenizer *a = load("\"num_words\": null, \"oov_token\": null",
                           "{\"straße\": 1, \"ß\": 2, \"i̇stanbul\": 3, \"σοφία\": 4, \"ας\": 5, \"ασ\": 6, "
                           "\"😀\": 7, \"東京\": 8, \"café\": 9, \"hello\": 10, \"world\": 11, \"σ\": 12, "
                           "\"ς\": 13, \"ss\": 14, \"e\": 15, \"mail\": 16, \"don't\": 17}");
  if (a) {
    CHECK(arnn_tokenizer_num_words(a) == 17, "17 words");
    expect_ids(a, "Hello, World!", IDS(10, 11));
    expect_ids(a, "STRAßE straße", IDS(1, 1));         /* lower() keeps ß */
    expect_ids(a, "ẞ", IDS(2));                        /* ẞ -> ß */
    expect_ids(a, "İSTANBUL", IDS(3));                 /* İ -> i + U+0307 */
    expect_ids(a, "ΣΟΦΊΑ", IDS(4));
    expect_ids(a, "ΑΣ ΑΣ.", IDS(5, 5));                /* final sigma, '.' is case-ignorable */
    expect_ids(a, "ΑΣΑ", NONE);
    expect_ids(a, "Σ", IDS(12));                       /* no cased letter before: σ */
    expect_ids(a, "ΑΣ\xcc\x81 Σ", IDS(12));            /* Σ + combining acute: ς́, unknown */
    expect_ids(a, "ΑΣ:Σ", IDS(6, 13));                 /* ':' ignorable then cased: σ; ':' then a filter */
    expect_ids(a, "😀東京", NONE);                     /* no spaces: one unknown word */
    expect_ids(a, "😀 東京", IDS(7, 8));
    expect_ids(a, "", NONE);
    expect_ids(a, "e-mail", IDS(15, 16));
    expect_ids(a, "don't", IDS(17));                   /* ' is not a default filter */
    expect_ids(a, "\tHello\nworld\r", IDS(10));        /* \r is not a filter: "world\r" unknown */
    expect_ids(a, "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", NONE);
    expect_ids(a, "CAFÉ café", IDS(9, 9));
    /* the count and a short buffer */
    size_t n = 0;
    int two[2];
    CHECK(arnn_tokenizer_encode(a, "hello world hello", 17, NULL, 0, &n, NULL, 0) == ARNN_ERR_OUT_OF_RANGE && n == 3,
          "counting call");
    CHECK(arnn_tokenizer_encode(a, "hello world hello", 17, two, 2, &n, err, sizeof err) == ARNN_ERR_OUT_OF_RANGE &&
              n == 3 && two[0] == 10 && two[1] == 11,
          "short buffer");
    /* invalid UTF-8 is refused with the offset */
    CHECK(arnn_tokenizer_encode(a, "ok \xc3(", 5, two, 2, &n, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT &&
              strstr(err, "byte 3"),
          "invalid UTF-8: %s", err);
    CHECK(arnn_tokenizer_encode(a, "\xed\xa0\x80", 3, two, 2, &n, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT,
          "surrogate");
    CHECK(arnn_tokenizer_encode(NULL, "a", 1, two, 2, &n, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT, "NULL");
    /* NUL is an ordinary character */
    CHECK(arnn_tokenizer_encode(a, "hello\0world", 11, two, 2, &n, err, sizeof err) == ARNN_OK && n == 0, "NUL");
  }
  arnn_tokenizer_free(a);

  /* num_words and oov_token: an id >= num_words becomes the OOV id */
  arnn_tokenizer *b = load("\"num_words\": 3, \"oov_token\": \"<OOV>\"", "{\"<OOV>\": 1, \"a\": 2, \"b\": 3, \"c\": 4}");
  if (b) expect_ids(b, "a b c d", IDS(2, 1, 1, 1));
  arnn_tokenizer_free(b);
  /* without an oov_token they are dropped, as unknown words are */
  arnn_tokenizer *c = load("\"num_words\": 3", "{\"x\": 1, \"a\": 2, \"b\": 3, \"c\": 4}");
  if (c) expect_ids(c, "a b c d x", IDS(2, 1));
  arnn_tokenizer_free(c);
  /* num_words = 0 is no cutoff (Keras: `if num_words and ...`) */
  arnn_tokenizer *c0 = load("\"num_words\": 0", "{\"x\": 1, \"a\": 2, \"b\": 3, \"c\": 4}");
  if (c0) expect_ids(c0, "a b c d x", IDS(2, 3, 4, 1));
  arnn_tokenizer_free(c0);
  /* another split, no filters, case kept */
  arnn_tokenizer *d = load("\"split\": \"|\", \"lower\": false, \"filters\": \"\"", "{\"A\": 1, \"a\": 2, \"B b\": 3}");
  if (d) expect_ids(d, "A|a||B b|", IDS(1, 2, 3));
  arnn_tokenizer_free(d);
  /* a multi-character split; filters become it, then the text is split on it */
  arnn_tokenizer *e = load("\"split\": \"ab\", \"filters\": \"!\"", "{\"x\": 1, \"a\": 2, \"y\": 3}");
  if (e) expect_ids(e, "xaby!a!y a", IDS(1, 3, 2)); /* "xaby"+"ab"+"a"+"ab"+"y a": x, y, a, "y a" */
  arnn_tokenizer_free(e);

  /* TextVectorization: ASCII-only lower-casing and punctuation, ASCII whitespace */
  arnn_tokenizer *tv = load_tv("");
  if (tv) {
    CHECK(arnn_tokenizer_num_words(tv) == 21, "21 tokens");
    CHECK(arnn_tokenizer_is_text_vectorization(tv) && arnn_tokenizer_sequence_length(tv) == 0, "kind");
    expect_ids(tv, "\xc3\x89" "COLE \xc3\xa9" "cole ECOLE!", IDS(1, 2, 3));   /* ÉCOLE: É stays upper-case */
    expect_ids(tv, "\xc4\xb0STANBUL ISTANBUL", IDS(4, 5));            /* İ stays */
    expect_ids(tv, "\xc2\xbf" "Qu\xc3\xa9? \xc2\xab" "s\xc3\xad\xc2\xbb \xe2\x80\x94 no\xe2\x80\xa6", IDS(1, 10, 1, 9)); /* ¿ « » — … kept */
    expect_ids(tv, "a\xc2\xa0" "b a\xe3\x80\x80" "b\tc\vc\fc\rc", IDS(11, 12, 20, 20, 20, 20)); /* NBSP, U+3000 not spaces */
    expect_ids(tv, "[UNK] [unk] UNK", IDS(13, 13, 13));
    expect_ids(tv, "Don't e-mail", IDS(16, 17));
    expect_ids(tv, "", NONE);
    expect_ids(tv, " \t\n ", NONE);
    size_t n = 0;
    int one[1];
    CHECK(arnn_tokenizer_encode(tv, "ok \xc3(", 5, one, 1, &n, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT &&
              strstr(err, "byte 3"),
          "TextVectorization, invalid UTF-8: %s", err);
    char desc[256];
    arnn_tokenizer_describe(tv, desc, sizeof desc);
    CHECK(strstr(desc, "TextVectorization: 21 tokens") && strstr(desc, "output_sequence_length=null"), "%s", desc);
  }
  arnn_tokenizer_free(tv);
  tv = load_tv("\"standardize\": null, \"split\": \"whitespace\", \"output_sequence_length\": 7");
  if (tv) {
    expect_ids(tv, "[UNK] [unk] UNK", IDS(15, 14, 1)); /* a literal "[UNK]" past index 1 is a token */
    CHECK(arnn_tokenizer_sequence_length(tv) == 7, "output_sequence_length");
  }
  arnn_tokenizer_free(tv);
  tv = load_tv("\"standardize\": \"lower\"");
  if (tv) expect_ids(tv, "[UNK] [unk] UNK", IDS(14, 14, 13));
  arnn_tokenizer_free(tv);
  tv = load_tv("\"split\": null");
  if (tv) {
    expect_ids(tv, "", IDS(0)); /* one token, the mask token "" */
    expect_ids(tv, "a\xc2\xa0" "B", IDS(11));
  }
  arnn_tokenizer_free(tv);
  tv = load_tv("\"split\": \"character\"");
  if (tv) expect_ids(tv, "\xe6\x9d\xb1\xe4\xba\xac\xf0\x9f\x98\x80", IDS(1, 1, 19));
  arnn_tokenizer_free(tv);
  tv = load_tv("\"ngrams\": [1, 2]");
  if (tv) {
    expect_ids(tv, "a b c", IDS(1, 1, 20, 1, 1));
    /* more ids than len + 1: arnn_tokenizer_max_ids is the bound */
    size_t n = 0;
    CHECK(arnn_tokenizer_encode(tv, "c c c", 5, NULL, 0, &n, NULL, 0) == ARNN_ERR_OUT_OF_RANGE && n == 5, "ngram count");
    CHECK(arnn_tokenizer_max_ids(tv, 5) >= 5 + 1 && arnn_tokenizer_max_ids(tv, 5) == 12, "max_ids");
  }
  arnn_tokenizer_free(tv);
  /* TextVectorization refused */
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {}}", ARNN_ERR_MALFORMED_MODEL, "vocabulary");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"a\", \"b\"]}}",
              ARNN_ERR_MALFORMED_MODEL, "[UNK]");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\", \"a\", \"a\"]}}",
              ARNN_ERR_MALFORMED_MODEL, "vocabulary[3] repeats");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\", \"\"]}}",
              ARNN_ERR_MALFORMED_MODEL, "mask token");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\", 7]}}",
              ARNN_ERR_MALFORMED_MODEL, "not a string");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"], \"max_tokens\": 9}}",
              ARNN_ERR_MALFORMED_MODEL, "unknown key");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"], "
              "\"output_mode\": \"multi_hot\"}}",
              ARNN_ERR_UNSUPPORTED, "output_mode");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"], "
              "\"standardize\": \"upper\"}}",
              ARNN_ERR_MALFORMED_MODEL, "standardize");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"], "
              "\"split\": {\"class_name\": \"function\"}}}",
              ARNN_ERR_MALFORMED_MODEL, "custom function");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"], "
              "\"output_sequence_length\": 0}}",
              ARNN_ERR_MALFORMED_MODEL, "output_sequence_length");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"], "
              "\"ngrams\": [1, 65]}}",
              ARNN_ERR_MALFORMED_MODEL, "ngrams");
  refused_raw("{\"class_name\": \"TextVectorization\", \"config\": {\"vocabulary\": [\"\", \"[UNK]\"]}, \"x\": 1}",
              ARNN_ERR_MALFORMED_MODEL, "unknown key");
  /* the tokenizer of a model file: from its safetensors header */
  {
    static const char tv_json[] =
        "{\\\"class_name\\\":\\\"TextVectorization\\\",\\\"config\\\":{\\\"vocabulary\\\":[\\\"\\\",\\\"[UNK]\\\",\\\"hi\\\"]}}";
    char file[512];
    const int hl = snprintf(file + 8, sizeof file - 8, "{\"__metadata__\":{\"format\":\"arnn\",\"tokenizer\":\"%s\"}}", tv_json);
    for (int i = 0; i < 8; i++) file[i] = (char)(((unsigned long long)hl >> (8 * i)) & 0xff);
    arnn_tokenizer *t = NULL;
    CHECK(arnn_tokenizer_load_model_memory(file, 8 + (size_t)hl, &t, err, sizeof err) == ARNN_OK && t, "model: %s", err);
    if (t) expect_ids(t, "Hi there", IDS(2, 1));
    arnn_tokenizer_free(t);
    const int hl2 = snprintf(file + 8, sizeof file - 8, "{\"__metadata__\":{\"format\":\"arnn\"}}");
    for (int i = 0; i < 8; i++) file[i] = (char)(((unsigned long long)hl2 >> (8 * i)) & 0xff);
    t = (arnn_tokenizer *)1;
    CHECK(arnn_tokenizer_load_model_memory(file, 8 + (size_t)hl2, &t, err, sizeof err) == ARNN_OK && !t, "no tokenizer");
    CHECK(arnn_tokenizer_load_model_memory(file, 7, &t, err, sizeof err) == ARNN_ERR_MALFORMED_MODEL, "short");
    const int hl3 = snprintf(file + 8, sizeof file - 8, "{\"__metadata__\":{\"tokenizer\":\"{}\"}}");
    for (int i = 0; i < 8; i++) file[i] = (char)(((unsigned long long)hl3 >> (8 * i)) & 0xff);
    CHECK(arnn_tokenizer_load_model_memory(file, 8 + (size_t)hl3, &t, err, sizeof err) == ARNN_ERR_MALFORMED_MODEL &&
              strstr(err, "model's tokenizer"),
          "bad tokenizer in the model: %s", err);
    CHECK(arnn_tokenizer_load_model("/nonexistent/m.safetensors", &t, err, sizeof err) == ARNN_ERR_IO, "missing");
  }

  /* refused */
  refused("\"char_level\": true", "{}", ARNN_ERR_UNSUPPORTED, "char_level");
  refused("\"split\": \"\"", "{}", ARNN_ERR_MALFORMED_MODEL, "split");
  refused("\"oov_token\": \"<OOV>\"", "{\"a\": 1}", ARNN_ERR_MALFORMED_MODEL, "oov_token");
  refused("", "{\"a\": -1}", ARNN_ERR_MALFORMED_MODEL, "integer");
  refused("", "{\"a\": 1.5}", ARNN_ERR_MALFORMED_MODEL, "integer");
  refused("", "{\"a\": 1, \"a\": 2}", ARNN_ERR_MALFORMED_MODEL, "word_index");
  refused("", "[1, 2]", ARNN_ERR_MALFORMED_MODEL, "object");
  refused("", "{\"a\": 1", ARNN_ERR_MALFORMED_MODEL, "word_index");
  refused("\"num_words\": \"ten\"", "{}", ARNN_ERR_MALFORMED_MODEL, "num_words");
  refused_raw("{\"class_name\": \"TextVectorizer\", \"config\": {}}", ARNN_ERR_MALFORMED_MODEL, "class_name");
  refused_raw("{\"class_name\": \"Tokenizer\", \"config\": {}}", ARNN_ERR_MALFORMED_MODEL, "word_index");
  refused_raw("{\"class_name\": \"Tokenizer\", \"config\": {\"word_index\": {\"a\": 1}}}", ARNN_ERR_MALFORMED_MODEL,
              "word_index");
  refused_raw("not json", ARNN_ERR_MALFORMED_MODEL, "JSON");
  refused_raw("{\"\xc3\xa9\": 1, \"\xc3\xa9\": 2}", ARNN_ERR_MALFORMED_MODEL, "duplicate");
  refused_raw("", ARNN_ERR_MALFORMED_MODEL, "JSON");
  {
    arnn_tokenizer *t = (arnn_tokenizer *)1;
    CHECK(arnn_tokenizer_load("/nonexistent/tokenizer.json", &t, err, sizeof err) == ARNN_ERR_IO && t == NULL,
          "missing file");
    CHECK(arnn_tokenizer_load_memory("{}", 2, NULL, err, sizeof err) == ARNN_ERR_INVALID_ARGUMENT, "NULL out");
  }
  /* a large vocabulary (more members than the model reader's objects) */
  {
    size_t words = 70000, cap = words * 24 + 64, k = 0;
    char *wi = malloc(cap);
    k += (size_t)sprintf(wi + k, "{");
    for (size_t i = 0; i < words; i++) k += (size_t)sprintf(wi + k, "%s\"w%zu\": %zu", i ? ", " : "", i, i + 1);
    sprintf(wi + k, "}");
    arnn_tokenizer *big = load("", wi);
    if (big) {
      CHECK(arnn_tokenizer_num_words(big) == words, "large vocabulary");
      expect_ids(big, "w0 W69999 w70000", IDS(1, 70000));
    }
    arnn_tokenizer_free(big);
    /* a duplicate beyond the first members is still found */
    sprintf(wi + k - 0, ", \"w5\": 3}");
    char *json = tokenizer_json("", wi);
    arnn_tokenizer *t = NULL;
    CHECK(arnn_tokenizer_load_memory(json, strlen(json), &t, err, sizeof err) == ARNN_ERR_MALFORMED_MODEL &&
              strstr(err, "twice"),
          "late duplicate: %s", err);
    free(json);
    free(wi);
  }
  if (failures) {
    fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  printf("tokenizer: all cases pass\n");
  return 0;
}
