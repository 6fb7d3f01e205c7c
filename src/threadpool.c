/* A persistent pool: threads - 1 workers created once, the caller of
 * arnn_threadpool_run() is the last thread. A run publishes (fn, ctx, items)
 * under the mutex and bumps a generation counter; workers wake, take items
 * from an atomic counter, and the last one to finish signals the caller. One
 * run at a time per pool (run_lock), so concurrent callers queue up. Both
 * sides spin briefly before sleeping (SPIN_ITERATIONS).
 * Workers are pinned, one per core (hwloc when the library was built with it,
 * else sched affinity on logical CPU ids), unless ARNN_THREADPOOL_NO_PIN. */
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(ARNN_HAVE_HWLOC)
#include <hwloc.h>
#endif

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
  int pin;
#if defined(ARNN_HAVE_HWLOC)
  hwloc_topology_t topology; /* NULL when hwloc could not load it */
#endif
};

/* Cores of the machine: hwloc's physical cores, else the online logical CPUs. */
static size_t count_cores(void) {
#if defined(ARNN_HAVE_HWLOC)
  hwloc_topology_t t;
  if (hwloc_topology_init(&t) == 0) {
    int n = -1;
    if (hwloc_topology_load(t) == 0) n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    hwloc_topology_destroy(t);
    if (n > 0) return (size_t)n;
  }
#endif
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (size_t)n : 1;
}

typedef struct {
  arnn_threadpool *pool;
  size_t index; /* worker number, 0-based */
} worker_arg;

/* Worker k runs on core (k + 1) mod cores: the calling thread, which takes
 * part in every run and is left where its owner put it, usually starts on
 * core 0. Failure to pin is not an error (containers may forbid it). */
static void pin_worker(arnn_threadpool *p, size_t k) {
  if (!p->pin) return;
#if defined(ARNN_HAVE_HWLOC)
  if (p->topology) {
    const int cores = hwloc_get_nbobjs_by_type(p->topology, HWLOC_OBJ_CORE);
    if (cores > 0) {
      hwloc_obj_t core = hwloc_get_obj_by_type(p->topology, HWLOC_OBJ_CORE, (unsigned)((k + 1) % (size_t)cores));
      if (core && core->cpuset) {
        hwloc_cpuset_t set = hwloc_bitmap_dup(core->cpuset);
        if (set) {
          hwloc_bitmap_singlify(set); /* one hardware thread of the core */
          hwloc_set_cpubind(p->topology, set, HWLOC_CPUBIND_THREAD);
          hwloc_bitmap_free(set);
        }
      }
      return;
    }
  }
#endif
#if defined(__linux__)
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)((k + 1) % (size_t)n), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
#endif
}

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
  worker_arg *wa = arg;
  arnn_threadpool *p = wa->pool;
  pin_worker(p, wa->index);
  free(wa);
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
  return arnn_threadpool_create_ex(threads, 0, pool);
}

arnn_status arnn_threadpool_create_ex(size_t threads, unsigned flags, arnn_threadpool **pool) {
  if (pool == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *pool = NULL;
  if (flags & ~(unsigned)ARNN_THREADPOOL_NO_PIN) return ARNN_ERR_INVALID_ARGUMENT;
  if (threads == 0) threads = count_cores();
  if (threads > ARNN_THREADPOOL_MAX_THREADS) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_threadpool *p = calloc(1, sizeof *p);
  if (p == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  p->threads = threads;
  p->pin = !(flags & ARNN_THREADPOOL_NO_PIN);
#if defined(ARNN_HAVE_HWLOC)
  if (p->pin && threads > 1) {
    if (hwloc_topology_init(&p->topology) != 0) p->topology = NULL;
    else if (hwloc_topology_load(p->topology) != 0) {
      hwloc_topology_destroy(p->topology);
      p->topology = NULL;
    }
  }
#endif
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
    for (; p->started < threads - 1; p->started++) {
      worker_arg *wa = malloc(sizeof *wa);
      if (wa) *wa = (worker_arg){p, p->started};
      if (wa == NULL || pthread_create(&p->workers[p->started], NULL, worker_main, wa) != 0) {
        free(wa);
        arnn_threadpool_destroy(p);
        return ARNN_ERR_OUT_OF_MEMORY;
      }
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
#if defined(ARNN_HAVE_HWLOC)
  if (p->topology) hwloc_topology_destroy(p->topology);
#endif
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
