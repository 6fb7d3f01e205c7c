/* libFuzzer target over the Keras tokenizer: the input is a Tokenizer.to_json()
 * document, then (after a NUL byte, which JSON text never holds raw) texts
 * one per line. Loading must give a tokenizer or a printable-ASCII message,
 * never a crash, a read outside the buffer or a leak; every text must encode
 * to ids within [0, 2^31) and at most arnn_tokenizer_max_ids of them (the
 * documented bound; TextVectorization descriptions too),
 * or be refused as invalid UTF-8; a short buffer must give
 * ARNN_ERR_OUT_OF_RANGE with the same count and the same first ids.
 *   clang-14 build: -DARNN_BUILD_FUZZ=ON, then build-fuzz/fuzz-tokenizer DIR
 * Built with ARNN_FUZZ_REPLAY_MAIN (the normal build) it is a ctest that runs
 * every file of tests/fuzz/corpus-tokenizer through the same function; files
 * named valid-* must load, bad-* must be refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int last_load_ok;

static void check_message(const char *err, size_t cap) {
  if (memchr(err, '\0', cap) == NULL) abort();
  for (const unsigned char *p = (const unsigned char *)err; *p; p++)
    if (*p < 0x20 || *p > 0x7e) abort();
}

static void check_text(const arnn_tokenizer *tok, const char *text, size_t len) {
  char err[256];
  size_t n = 0, n2 = 0;
  const size_t most = arnn_tokenizer_max_ids(tok, len);
  if (!most) abort();
  int *ids = malloc(most * sizeof *ids);
  if (!ids) return;
  arnn_status st = arnn_tokenizer_encode(tok, text, len, ids, most, &n, err, sizeof err);
  check_message(err, sizeof err);
  if (st == ARNN_ERR_INVALID_ARGUMENT) {
    if (!err[0] || n != 0) abort();
  } else if (st == ARNN_OK) {
    if (n > most) abort();
    for (size_t i = 0; i < n; i++)
      if (ids[i] < 0) abort();
    if (n > 0) {
      int *few = malloc((n - 1 + 1) * sizeof *few);
      if (few) {
        st = arnn_tokenizer_encode(tok, text, len, few, n - 1, &n2, err, sizeof err);
        if (st != ARNN_ERR_OUT_OF_RANGE || n2 != n) abort();
        if (n > 1 && memcmp(few, ids, (n - 1) * sizeof *ids) != 0) abort();
        free(few);
      }
    }
  } else if (st != ARNN_ERR_OUT_OF_MEMORY) {
    abort();
  }
  free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, '\0', size);
  const size_t json_len = nul ? (size_t)(nul - data) : size;
  /* private copies, so a read past either end is caught by ASan */
  char *json = malloc(json_len ? json_len : 1);
  const size_t text_len = nul ? size - json_len - 1 : 0;
  char *texts = malloc(text_len ? text_len : 1);
  if (!json || !texts) {
    free(json);
    free(texts);
    return 0;
  }
  memcpy(json, data, json_len);
  if (text_len) memcpy(texts, nul + 1, text_len);
  char err[256];
  arnn_tokenizer *tok = NULL;
  const arnn_status st = arnn_tokenizer_load_memory(json, json_len, &tok, err, sizeof err);
  check_message(err, sizeof err);
  last_load_ok = st == ARNN_OK;
  if (st != ARNN_OK) {
    if (tok || !err[0]) abort();
  } else {
    if (!tok) abort();
    static const char *fixed[] = {"", "Hello, World!", "ΣΑΣ İstanbul straße ẞ 東京 😀 a\tb\nc"};
    for (size_t i = 0; i < 3; i++) check_text(tok, fixed[i], strlen(fixed[i]));
    size_t start = 0;
    for (size_t i = 0; i <= text_len; i++)
      if (i == text_len || texts[i] == '\n') {
        check_text(tok, texts + start, i - start);
        start = i + 1;
      }
    arnn_tokenizer_free(tok);
  }
  free(json);
  free(texts);
  return 0;
}

#ifdef ARNN_FUZZ_REPLAY_MAIN
#include "replay-dir.h"

/* valid-* must load, bad-* must be refused. */
static int replay_one(const char *name, const uint8_t *data, size_t size, void *ctx) {
  (void)ctx;
  LLVMFuzzerTestOneInput(data, size);
  if ((!strncmp(name, "valid-", 6) && !last_load_ok) || (!strncmp(name, "bad-", 4) && last_load_ok)) {
    printf("FAIL: %s: %s\n", name, last_load_ok ? "loaded, expected a refusal" : "refused, expected to load");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) { return arnn_replay_dir_main(argc, argv, replay_one, NULL); }
#endif
