/* The kernel table (internal): filled once, then read-only. */
#ifndef ARNN_DISPATCH_DISPATCH_H
#define ARNN_DISPATCH_DISPATCH_H

#include "cpu-features.h"
#include "../kernels/vmath/vmath.h"
/* ---- attention pooling and dense head ---- */
#include "../kernels/attention/attention.h"
#include "../kernels/dense/dense.h"
/* ---- end attention pooling and dense head ---- */
/* ---- recurrent layers ---- */
#include "../kernels/gemm/gemm.h"
#include "../kernels/lstm/rnn-step.h"
/* ---- end recurrent layers ---- */
#include "../kernels/sdpa/sdpa.h"

typedef struct {
  arnn_f32_vunary_fn fn;
  const char *name; /* e.g. "arnn_f32_vtanh__avx512" */
} arnn_vunary_entry;

/* ---- attention pooling and dense head ---- */
typedef struct {
  arnn_f32_attention_pool_fn fn;
  const char *name; /* e.g. "arnn_f32_attention_pool__avx512" */
} arnn_attention_pool_entry;

typedef struct {
  arnn_f32_dense_head_fn fn;
  const char *name; /* e.g. "arnn_f32_dense_head__avx512" */
} arnn_dense_head_entry;
/* ---- end attention pooling and dense head ---- */

typedef struct {
  arnn_f32_sdpa_fn fn;
  const char *name; /* e.g. "arnn_f32_sdpa__avx512" */
} arnn_sdpa_entry;

typedef struct {
  arnn_isa_level isa;      /* active level: min(CPU best, ARNN_ISA cap) */
  arnn_isa_level cpu_best; /* what the CPU and OS support */
  char note[160];          /* why ARNN_ISA was ignored or what it capped; "" if unset */
  arnn_vunary_entry vtanh, vexp, vsigmoid;
  /* ---- attention pooling and dense head ---- */
  arnn_attention_pool_entry attention_pool;
  arnn_dense_head_entry dense_head;
  /* ---- end attention pooling and dense head ---- */
  /* ---- recurrent layers ---- */
  struct { arnn_f32_gemm_fn fn; const char *name; } gemm;
  struct { arnn_f32_lstm_step_fn fn; const char *name; } lstm_step;
  struct { arnn_f32_gru_step_fn fn; const char *name; } gru_step;
  /* ---- end recurrent layers ---- */
  arnn_sdpa_entry sdpa; /* fused Keras attention (kernels/sdpa) */
} arnn_dispatch_table;

/* The table, resolved on first use (thread-safe, never fails). */
const arnn_dispatch_table *arnn_dispatch(void);

/* Resolves an ISA cap request as the dispatcher does, without touching the
 * process environment; exposed for tests. `request` may be NULL (no cap). */
arnn_isa_level arnn_dispatch_resolve_cap(arnn_isa_level cpu_best, const char *request, char *note, size_t note_size);

#endif
