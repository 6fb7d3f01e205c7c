/* Helpers shared by the arnn command-line tool's source files. */
#ifndef ARNN_TOOLS_ARNN_CLI_H
#define ARNN_TOOLS_ARNN_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "arnn/arnn.h"

/* "arnn: <message>" on stderr; returns 1 (the exit status of a failed run). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "arnn CMD: <message>" and the command's usage on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* s as a JSON string literal. */
void cli_json_string(FILE *out, const char *s);
/* A pool of `threads` threads (0: the physical cores), pinned unless pin == 0;
 * *pool = NULL (run on the calling thread) when that is one thread. */
arnn_status cli_make_pool(size_t threads, int pin, arnn_threadpool **pool);

int cli_predict(int argc, char **argv);

#endif
