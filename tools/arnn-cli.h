/* Helpers shared by the arnn command-line tool's source files. */
#ifndef ARNN_TOOLS_ARNN_CLI_H
#define ARNN_TOOLS_ARNN_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "arnn/arnn.h"

/* "arnn: <message>" on stderr; returns 1 (the exit status of a failed run). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "arnn CMD: <message>" and the command's usage on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* Every subcommand parses its arguments with getopt_long, optstring "-:h"
 * (operands come back in order as 1; -h and --help, val 'h', print the usage;
 * long-only options have vals >= CLI_LONG_OPTION) and opterr = 0. This is the
 * usage error for what it returns as '?' or ':': an option given a value it
 * does not take, an unknown option, or an option missing its value (hint
 * says what the value is). Returns 2. */
#define CLI_LONG_OPTION 256
/* The command's usage on stdout (-h / --help); returns 0. */
int cli_print_usage(const char *cmd);
int cli_option_error(const char *cmd, int opt, char **argv, const struct option *options,
                     const char *(*hint)(int opt));
/* s as a JSON string literal. */
void cli_json_string(FILE *out, const char *s);
/* A pool of `threads` threads (0: the physical cores), pinned unless pin == 0;
 * *pool = NULL (run on the calling thread) when that is one thread. */
arnn_status cli_make_pool(size_t threads, int pin, arnn_threadpool **pool);

int cli_predict(int argc, char **argv);

#endif
