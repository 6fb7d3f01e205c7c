/* Used only when pthreadpool's development header is not installed (Debian
 * ships libxnnpack-dev without libpthreadpool-dev): xnnpack.h needs just the
 * opaque handle type. The benchmark always passes a NULL thread pool. */
#ifndef ARNN_BENCH_COMPAT_PTHREADPOOL_H
#define ARNN_BENCH_COMPAT_PTHREADPOOL_H
typedef struct pthreadpool *pthreadpool_t;
#endif
