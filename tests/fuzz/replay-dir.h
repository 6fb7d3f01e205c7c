/* Replays a fuzz corpus directory in the normal build: each file (hidden ones
 * skipped) is read whole and handed to a callback, which runs the fuzz target
 * and may check the outcome against the file's name. Shared by the replay
 * programs of every fuzz target. */
#ifndef ARNN_TESTS_FUZZ_REPLAY_DIR_H
#define ARNN_TESTS_FUZZ_REPLAY_DIR_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Returns nonzero when the file failed its check (the callback prints why). */
typedef int (*arnn_replay_fn)(const char *name, const uint8_t *data, size_t size, void *ctx);

static uint8_t *arnn_replay_slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0, r;
  uint8_t *buf = malloc(cap);
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      uint8_t *bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  fclose(f);
  *size = n;
  return buf;
}

/* main(argc, argv) of a replay program: argv[1] is the corpus directory.
 * Exit status 0 when at least one file was replayed and none failed. */
static int arnn_replay_dir_main(int argc, char **argv, arnn_replay_fn each, void *ctx) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  size_t files = 0, failures = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    size_t size = 0;
    uint8_t *buf = arnn_replay_slurp(path, &size);
    if (!buf) {
      printf("FAIL: cannot read %s\n", path);
      failures++;
      continue;
    }
    files++;
    if (each(e->d_name, buf, size, ctx)) failures++;
    free(buf);
  }
  closedir(d);
  printf("%zu inputs replayed, %zu failures\n", files, failures);
  return files == 0 || failures != 0;
}

#endif
