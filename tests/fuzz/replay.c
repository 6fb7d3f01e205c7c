/* Replays the loader's fuzz corpus in the normal build: every file goes
 * through LLVMFuzzerTestOneInput (the fuzz target's checks), and files named
 * valid-* must load while files named bad-* must be refused. A file named
 * bad-tokenizer-* is refused for its tokenizer entry, which only a build with
 * the tokenizer (utf8proc) checks; a build without it loads it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arnn/arnn.h"
#include "replay-dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int tokenizer_built_in(void) {
  char err[256];
  arnn_tokenizer *t = NULL;
  const arnn_status s = arnn_tokenizer_load_memory("{}", 2, &t, err, sizeof err);
  arnn_tokenizer_free(t);
  return !(s == ARNN_ERR_UNSUPPORTED && strstr(err, "utf8proc"));
}

typedef struct {
  int has_tokenizer;
  size_t valid, bad;
} corpus_counts;

static int replay_one(const char *name, const uint8_t *data, size_t size, void *ctx) {
  corpus_counts *c = ctx;
  LLVMFuzzerTestOneInput(data, size);
  char err[512];
  arnn_model *m = NULL;
  const arnn_status s = arnn_model_load_memory(data, size, &m, err, sizeof err);
  arnn_model_free(m);
  if (strncmp(name, "valid-", 6) == 0) {
    c->valid++;
    if (s != ARNN_OK) {
      printf("FAIL: %s should load: %s: %s\n", name, arnn_status_str(s), err);
      return 1;
    }
  } else if (strncmp(name, "bad-", 4) == 0) {
    c->bad++;
    const int needs_tokenizer = strncmp(name, "bad-tokenizer-", 14) == 0;
    if (s == ARNN_OK && (c->has_tokenizer || !needs_tokenizer)) {
      printf("FAIL: %s should be refused\n", name);
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  corpus_counts c = {tokenizer_built_in(), 0, 0};
  const int status = arnn_replay_dir_main(argc, argv, replay_one, &c);
  printf("of which %zu valid-*, %zu bad-*\n", c.valid, c.bad);
  return status;
}
