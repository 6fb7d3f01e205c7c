/* Parsers of `arnn predict`'s inputs (tools/arnn-inputs.c), on memory
 * buffers; fuzzed by tests/fuzz/fuzz-cli-inputs.c. */
#ifndef ARNN_TOOLS_ARNN_INPUTS_H
#define ARNN_TOOLS_ARNN_INPUTS_H

#include <stddef.h>

#include "arnn/arnn.h"

typedef struct {
  size_t n;        /* sequences */
  int *ids;        /* [n, T]: each line's ids placed as the model pads, other slots 0 */
  size_t *lengths; /* [n] ids per line */
  size_t skipped;  /* blank lines dropped (CLI_EMPTY_LINES_SKIP) */
} cli_ids;

/* What a blank (empty or whitespace-only) line of an ids file means. */
typedef enum {
  CLI_EMPTY_LINES_ERROR,   /* an error naming the line: usually a stray line, not a sequence */
  CLI_EMPTY_LINES_SKIP,    /* dropped, counted in cli_ids.skipped */
  CLI_EMPTY_LINES_PREDICT, /* a sequence of no tokens (all padding) */
} cli_empty_lines;

/* Text, one sequence per line of space-separated token ids in [0, V), at most
 * T per line; a final line without '\n' counts, the '\n' ending the last line
 * does not start another. 0 on success (*out owns its arrays: cli_ids_free),
 * else 1 with a message "NAME:LINE: ..." in err. */
int cli_parse_ids_text(const char *buf, size_t size, const char *name, size_t T, size_t V, arnn_padding padding,
                       cli_empty_lines empty_lines, cli_ids *out, char *err, size_t err_size);
void cli_ids_free(cli_ids *ids);

/* A .npy array (versions 1-3, C order) of dtype `descr` ("<i4", "<f4") with
 * `ndim` dimensions (at most 3): 0 with shape[] and *data pointing into buf
 * (4-byte elements, possibly unaligned), else 1 with a message. */
int cli_parse_npy(const unsigned char *buf, size_t size, const char *name, const char *descr, size_t ndim,
                  size_t shape[3], const unsigned char **data, char *err, size_t err_size);

/* n bytes of untrusted input as printable ASCII in dst (always terminated):
 * '\\', control and non-ASCII bytes escaped (\n, \t, \r, \xNN; NUL is \x00),
 * at most CLI_QUOTE_MAX bytes shown, then "..." and the total length in
 * bytes. quoted: inside double quotes (a '"' inside is escaped), as a message
 * quotes a token. A terminal never receives raw input bytes this way, and a
 * 10 MB token costs one short line. Returns dst. */
#define CLI_QUOTE_MAX 32
char *cli_quote(char *dst, size_t dst_size, const void *s, size_t n, int quoted);

#endif
