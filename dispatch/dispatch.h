/* The kernel table (internal): filled once, then read-only. */
#ifndef ARNN_DISPATCH_DISPATCH_H
#define ARNN_DISPATCH_DISPATCH_H

#include "cpu-features.h"
#include "../kernels/attention/attention.h"
#include "../kernels/dense/dense.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/gru/gru.h"
#include "../kernels/lstm/lstm.h"
#include "../kernels/sdpa/sdpa.h"
#include "../kernels/vmath/vmath.h"

/* Every op the kernel lists name, with its function type: X(op, type). The
 * table has one entry per op, named after it; dispatch.c fills all of them
 * with one loop. */
#define ARNN_DISPATCH_OPS(X)                     \
  X(vtanh, arnn_f32_vunary_fn)                   \
  X(vexp, arnn_f32_vunary_fn)                    \
  X(vsigmoid, arnn_f32_vunary_fn)                \
  X(attention_pool, arnn_f32_attention_pool_fn)  \
  X(dense_head, arnn_f32_dense_head_fn)          \
  X(gemm, arnn_f32_gemm_fn)                      \
  X(lstm_step, arnn_f32_lstm_step_fn)            \
  X(gru_step, arnn_f32_gru_step_fn)              \
  X(lstm_step_bf16, arnn_f32_lstm_step_fn)       \
  X(gru_step_bf16, arnn_f32_gru_step_fn)         \
  X(sdpa, arnn_f32_sdpa_fn)

typedef struct {
  arnn_isa_level isa;      /* active level: min(CPU best, ARNN_ISA cap) */
  arnn_isa_level cpu_best; /* what the CPU and OS support */
  char note[160];          /* why ARNN_ISA was ignored or what it capped; "" if unset */
  /* per op: the kernel and its name, e.g. vtanh.name = "arnn_f32_vtanh__avx512" */
#define ARNN_DISPATCH_ENTRY(op, type) \
  struct {                            \
    type fn;                          \
    const char *name;                 \
  } op;
  ARNN_DISPATCH_OPS(ARNN_DISPATCH_ENTRY)
#undef ARNN_DISPATCH_ENTRY
} arnn_dispatch_table;

/* The table, resolved on first use (thread-safe, never fails). */
const arnn_dispatch_table *arnn_dispatch(void);

/* Resolves an ISA cap request as the dispatcher does, without touching the
 * process environment; exposed for tests. `request` may be NULL (no cap). */
arnn_isa_level arnn_dispatch_resolve_cap(arnn_isa_level cpu_best, const char *request, char *note, size_t note_size);

#endif
