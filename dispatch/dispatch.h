/* The kernel table (internal): filled once, then read-only. */
#ifndef ARNN_DISPATCH_DISPATCH_H
#define ARNN_DISPATCH_DISPATCH_H

#include "cpu-features.h"
#include "../kernels/vmath/vmath.h"
/* ---- recurrent layers ---- */
#include "../kernels/gemm/gemm.h"
#include "../kernels/lstm/rnn-step.h"
/* ---- end recurrent layers ---- */

typedef struct {
  arnn_f32_vunary_fn fn;
  const char *name; /* e.g. "arnn_f32_vtanh__avx512" */
} arnn_vunary_entry;

typedef struct {
  arnn_isa_level isa;      /* active level: min(CPU best, ARNN_ISA cap) */
  arnn_isa_level cpu_best; /* what the CPU and OS support */
  char note[160];          /* why ARNN_ISA was ignored or what it capped; "" if unset */
  arnn_vunary_entry vtanh, vexp, vsigmoid;
  /* ---- recurrent layers ---- */
  struct { arnn_f32_gemm_fn fn; const char *name; } gemm;
  struct { arnn_f32_lstm_step_fn fn; const char *name; } lstm_step;
  struct { arnn_f32_gru_step_fn fn; const char *name; } gru_step;
  /* ---- end recurrent layers ---- */
} arnn_dispatch_table;

/* The table, resolved on first use (thread-safe, never fails). */
const arnn_dispatch_table *arnn_dispatch(void);

/* Resolves an ISA cap request as the dispatcher does, without touching the
 * process environment; exposed for tests. `request` may be NULL (no cap). */
arnn_isa_level arnn_dispatch_resolve_cap(arnn_isa_level cpu_best, const char *request, char *note, size_t note_size);

#endif
