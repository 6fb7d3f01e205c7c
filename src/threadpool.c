/* A persistent pool: threads - 1 workers created once, the caller of
 * arnn_threadpool_run() is the last thread. A run publishes (fn, ctx, items)
 * under the mutex and bumps a generation counter; workers wake, take items
 * from an atomic counter, and the last one to finish signals the caller. One
 * run at a time per pool (run_lock), so concurrent callers queue up. Both
 * sides spin briefly before sleeping (SPIN_ITERATIONS).
 * Pinning (hwloc, issue 5) would go in worker_main() before the loop. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct arnn_threadpool {
  size_t threads; /* including the calling thread */
  pthread_t *workers;
  size_t started;
  pthread_mutex_t run_lock; /* serialises runs */
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  atomic_ulong generation; /* written under lock; also read by spinning workers */
  atomic_int stop;
  arnn_parallel_fn fn;
  void *ctx;
  size_t items;
  atomic_size_t next;
  atomic_size_t busy; /* workers still inside the current run (written under lock) */
};

/* Before sleeping on a condition variable, a thread spins this many times
 * with a CPU pause hint: back-to-back runs (a model's layers, a batch-1
 * loop) then start without a futex wake-up on each side. */
#define SPIN_ITERATIONS 4000

static inline void cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

static void take_items(arnn_threadpool *p) {
  for (;;) {
    const size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= p->items) break;
    p->fn(p->ctx, i);
  }
}

static void *worker_main(void *arg) {
  arnn_threadpool *p = arg;
  unsigned long seen = 0;
  for (;;) {
    for (int i = 0; i < SPIN_ITERATIONS && atomic_load(&p->generation) == seen && !atomic_load(&p->stop); i++)
      cpu_pause();
    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->stop) && atomic_load(&p->generation) == seen) pthread_cond_wait(&p->wake, &p->lock);
    if (atomic_load(&p->stop)) {
      pthread_mutex_unlock(&p->lock);
      break;
    }
    seen = atomic_load(&p->generation);
    pthread_mutex_unlock(&p->lock);
    take_items(p);
    pthread_mutex_lock(&p->lock);
    if (atomic_fetch_sub(&p->busy, 1) == 1) pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->lock);
  }
  return NULL;
}

arnn_status arnn_threadpool_create(size_t threads, arnn_threadpool **pool) {
  if (pool == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *pool = NULL;
  if (threads == 0) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (size_t)n : 1;
  }
  if (threads > 1024) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_threadpool *p = calloc(1, sizeof *p);
  if (p == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  p->threads = threads;
  atomic_init(&p->next, 0);
  atomic_init(&p->busy, 0);
  atomic_init(&p->generation, 0);
  atomic_init(&p->stop, 0);
  pthread_mutex_init(&p->run_lock, NULL);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  if (threads > 1) {
    p->workers = calloc(threads - 1, sizeof *p->workers);
    if (p->workers == NULL) {
      arnn_threadpool_destroy(p);
      return ARNN_ERR_OUT_OF_MEMORY;
    }
    for (; p->started < threads - 1; p->started++)
      if (pthread_create(&p->workers[p->started], NULL, worker_main, p) != 0) {
        arnn_threadpool_destroy(p);
        return ARNN_ERR_OUT_OF_MEMORY;
      }
  }
  *pool = p;
  return ARNN_OK;
}

void arnn_threadpool_destroy(arnn_threadpool *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->stop, 1);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (size_t i = 0; i < p->started; i++) pthread_join(p->workers[i], NULL);
  free(p->workers);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->lock);
  pthread_mutex_destroy(&p->run_lock);
  free(p);
}

size_t arnn_threadpool_size(const arnn_threadpool *pool) { return pool ? pool->threads : 1; }

void arnn_threadpool_run(arnn_threadpool *p, size_t items, arnn_parallel_fn fn, void *ctx) {
  if (items == 0) return;
  if (p == NULL || p->threads == 1 || items == 1) {
    for (size_t i = 0; i < items; i++) fn(ctx, i);
    return;
  }
  pthread_mutex_lock(&p->run_lock);
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->items = items;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store(&p->busy, p->threads - 1);
  atomic_fetch_add(&p->generation, 1);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  take_items(p);
  for (int i = 0; i < SPIN_ITERATIONS && atomic_load(&p->busy) != 0; i++) cpu_pause();
  pthread_mutex_lock(&p->lock);
  while (atomic_load(&p->busy) != 0) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
  pthread_mutex_unlock(&p->run_lock);
}
