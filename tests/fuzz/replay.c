/* Replays a fuzz corpus directory through the loader in the normal build:
 * every file goes through LLVMFuzzerTestOneInput (the fuzz target's checks),
 * and files named valid-* must load while files named bad-* must be refused.
 * A file named bad-tokenizer-* is refused for its tokenizer entry, which only
 * a build with the tokenizer (utf8proc) checks; a build without it loads it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int tokenizer_built_in(void) {
  char err[256];
  arnn_tokenizer *t = NULL;
  const arnn_status s = arnn_tokenizer_load_memory("{}", 2, &t, err, sizeof err);
  arnn_tokenizer_free(t);
  return !(s == ARNN_ERR_UNSUPPORTED && strstr(err, "utf8proc"));
}

static unsigned char *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      unsigned char *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  fclose(f);
  *size = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: model-corpus-replay CORPUS_DIR\n");
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  const int has_tokenizer = tokenizer_built_in();
  int files = 0, failures = 0, valid = 0, bad = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    size_t size;
    unsigned char *buf = slurp(path, &size);
    if (!buf) {
      printf("FAIL: cannot read %s\n", path);
      failures++;
      continue;
    }
    files++;
    LLVMFuzzerTestOneInput(buf, size);
    char err[512];
    arnn_model *m = NULL;
    arnn_status s = arnn_model_load_memory(buf, size, &m, err, sizeof err);
    if (strncmp(e->d_name, "valid-", 6) == 0) {
      valid++;
      if (s != ARNN_OK) {
        printf("FAIL: %s should load: %s: %s\n", e->d_name, arnn_status_str(s), err);
        failures++;
      }
    } else if (strncmp(e->d_name, "bad-", 4) == 0) {
      bad++;
      const int needs_tokenizer = strncmp(e->d_name, "bad-tokenizer-", 14) == 0;
      if (s == ARNN_OK && (has_tokenizer || !needs_tokenizer)) {
        printf("FAIL: %s should be refused\n", e->d_name);
        failures++;
      }
    }
    arnn_model_free(m);
    free(buf);
  }
  closedir(d);
  printf("%d files (%d valid, %d bad, %d other), %d failures\n", files, valid, bad, files - valid - bad, failures);
  if (files == 0) return 1;
  return failures != 0;
}
