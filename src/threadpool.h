/* Persistent thread pool (internal side of the public arnn_threadpool). */
#ifndef ARNN_SRC_THREADPOOL_H
#define ARNN_SRC_THREADPOOL_H

#include <stddef.h>

#include "arnn/arnn.h"

/* fn(ctx, item) for item in [0, items), spread over the pool's threads and
 * the calling thread (which always takes part); returns when all are done.
 * pool == NULL runs everything on the calling thread. Concurrent calls on one
 * pool are serialised. Items are handed out dynamically, in increasing order. */
typedef void (*arnn_parallel_fn)(void *ctx, size_t item);
void arnn_threadpool_run(arnn_threadpool *pool, size_t items, arnn_parallel_fn fn, void *ctx);

#endif
