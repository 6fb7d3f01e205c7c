/* libFuzzer target over the input parsers of `arnn predict`
 * (tools/arnn-inputs.c): byte 0 picks the parser (and for ids text what a
 * blank line means), bytes 1-2 its limits, the rest is the file. Every input
 * must give a result or an error message, never a crash, a read outside the
 * buffer, or a leak; a parsed result is checked against the limits it was
 * given, and a message must be printable ASCII (input bytes quoted escaped,
 * so none reaches a terminal raw).
 *   clang-14 build: -DARNN_BUILD_FUZZ=ON, then build-fuzz/fuzz-cli-inputs DIR
 * Built with ARNN_FUZZ_REPLAY_MAIN (the normal build) it is a ctest that runs
 * every file of a corpus directory through the same function. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn-inputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error message: not empty, every byte printable ASCII. */
static void check_message(const char *err) {
  if (err[0] == '\0') abort(); /* an error always says why */
  for (const unsigned char *p = (const unsigned char *)err; *p; p++)
    if (*p < 0x20 || *p > 0x7e) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  const unsigned kind = data[0] % 4;
  const size_t T = 1 + data[1] % 64, V = 1 + (size_t)data[2] * 97;
  const uint8_t *body = data + 3;
  const size_t n = size - 3;
  /* a private copy, so a read past the end is caught by ASan */
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy) return 0;
  memcpy(copy, body, n);
  char err[256];
  if (kind < 2) {
    cli_ids ids;
    const arnn_padding padding = kind == 0 ? ARNN_PADDING_PRE : ARNN_PADDING_POST;
    const cli_empty_lines empty = (cli_empty_lines)(data[0] / 4 % 3);
    if (cli_parse_ids_text((const char *)copy, n, "fuzz", T, V, padding, empty, &ids, err, sizeof err) == 0) {
      for (size_t s = 0; s < ids.n; s++) {
        if (ids.lengths[s] > T) abort();
        if (ids.lengths[s] == 0 && empty != CLI_EMPTY_LINES_PREDICT) abort();
        for (size_t t = 0; t < T; t++)
          if (ids.ids[s * T + t] < 0 || (size_t)ids.ids[s * T + t] >= V) abort();
      }
      cli_ids_free(&ids);
    } else {
      check_message(err);
    }
  } else {
    size_t shape[3];
    const unsigned char *p = NULL;
    const size_t ndim = kind == 2 ? 2 : 3;
    if (cli_parse_npy(copy, n, "fuzz", kind == 2 ? "<i4" : "<f4", ndim, shape, &p, err, sizeof err) == 0) {
      size_t count = 1;
      for (size_t d = 0; d < ndim; d++) count *= shape[d];
      if (p < copy || (size_t)(p - copy) + count * 4 > n) abort();
      volatile unsigned char sink = 0;
      for (size_t i = 0; i < count * 4; i++) sink ^= p[i]; /* every byte of the array is inside the buffer */
      (void)sink;
    } else {
      check_message(err);
    }
  }
  free(copy);
  return 0;
}

#if defined(ARNN_FUZZ_REPLAY_MAIN)
#include "replay-dir.h"

static int replay_one(const char *name, const uint8_t *data, size_t size, void *ctx) {
  (void)name, (void)ctx;
  LLVMFuzzerTestOneInput(data, size);
  return 0;
}

int main(int argc, char **argv) { return arnn_replay_dir_main(argc, argv, replay_one, NULL); }
#endif
