/* One error context for every loading stage (container, graph schema, layer
 * creation): the first failure's status and message are kept, so a low stage
 * reports the root cause and never has to call back up. */
#ifndef ARNN_SRC_LOAD_ERROR_H
#define ARNN_SRC_LOAD_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "arnn/arnn.h"

typedef struct {
  char *buf;
  size_t size;
  arnn_status status;
} arnn_load_error;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline arnn_status arnn_load_fail(arnn_load_error *e, arnn_status status, const char *fmt, ...) {
  if (e->status == ARNN_OK) {
    e->status = status;
    if (e->buf && e->size > 0) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(e->buf, e->size, fmt, ap);
      va_end(ap);
    }
  }
  return e->status;
}

#endif
