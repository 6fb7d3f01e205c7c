/* Fills the one kernel table, once (pthread_once), from the kernel list in
 * kernels/vmath/f32-vunary.inc: for each op, the first (best) kernel whose ISA
 * is at or below the active level. The list always ends with scalar, so every
 * op resolves. Nothing outside dispatch/ and kernels/ names an ISA. */
#include "dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

typedef struct {
  const char *op;
  arnn_isa_level isa;
  arnn_f32_vunary_fn fn;
  const char *name;
} vunary_candidate;

#define ARNN_VUNARY_KERNEL(op, isa_name, arch) \
  {#op, ARNN_ISA_##isa_name##_LEVEL, arnn_f32_##op##__##isa_name, "arnn_f32_" #op "__" #isa_name},
#define ARNN_ISA_scalar_LEVEL ARNN_ISA_SCALAR
#define ARNN_ISA_neon_LEVEL ARNN_ISA_NEON
#define ARNN_ISA_avx2_LEVEL ARNN_ISA_AVX2
#define ARNN_ISA_avx512_LEVEL ARNN_ISA_AVX512
static const vunary_candidate vunary_candidates[] = {
#include "../kernels/vmath/f32-vunary.inc"
};
#undef ARNN_VUNARY_KERNEL

/* ---- attention pooling and dense head ---- */
/* Same rule as the elementwise list: first (best) kernel at or below the
 * active level, from kernels/attention/f32-attention-pool.inc and
 * kernels/dense/f32-dense-head.inc (both end in scalar). */
#define ARNN_ATTENTION_KERNEL(op, isa_name, arch) \
  {ARNN_ISA_##isa_name##_LEVEL, {arnn_f32_##op##__##isa_name, "arnn_f32_" #op "__" #isa_name}},
static const struct {
  arnn_isa_level isa;
  arnn_attention_pool_entry entry;
} attention_pool_candidates[] = {
#include "../kernels/attention/f32-attention-pool.inc"
};
#undef ARNN_ATTENTION_KERNEL
#define ARNN_DENSE_KERNEL(op, isa_name, arch) \
  {ARNN_ISA_##isa_name##_LEVEL, {arnn_f32_##op##__##isa_name, "arnn_f32_" #op "__" #isa_name}},
static const struct {
  arnn_isa_level isa;
  arnn_dense_head_entry entry;
} dense_head_candidates[] = {
#include "../kernels/dense/f32-dense-head.inc"
};
#undef ARNN_DENSE_KERNEL
/* kernels/sdpa/f32-sdpa.inc, same rule */
#define ARNN_SDPA_KERNEL(op, isa_name, arch) \
  {ARNN_ISA_##isa_name##_LEVEL, {arnn_f32_##op##__##isa_name, "arnn_f32_" #op "__" #isa_name}},
static const struct {
  arnn_isa_level isa;
  arnn_sdpa_entry entry;
} sdpa_candidates[] = {
#include "../kernels/sdpa/f32-sdpa.inc"
};
#undef ARNN_SDPA_KERNEL

#define ARNN_PICK_FIRST(candidates, level, out)                                         \
  do {                                                                                  \
    for (size_t i_ = 0; i_ < sizeof candidates / sizeof candidates[0]; i_++)           \
      if (candidates[i_].isa <= (level) && arnn_isa_level_on_this_arch(candidates[i_].isa)) { \
        (out) = candidates[i_].entry;                                                   \
        break;                                                                          \
      }                                                                                 \
  } while (0)
/* ---- end attention pooling and dense head ---- */
/* ---- recurrent layers: GEMM and fused step lists (best first, scalar last) ---- */
#define ARNN_RNN_CANDIDATES(family, fntype)                                                               \
  typedef struct {                                                                                       \
    arnn_isa_level isa;                                                                                  \
    fntype fn;                                                                                           \
    const char *name;                                                                                    \
  } family##_candidate;
ARNN_RNN_CANDIDATES(gemm, arnn_f32_gemm_fn)
ARNN_RNN_CANDIDATES(lstm_step, arnn_f32_lstm_step_fn)
ARNN_RNN_CANDIDATES(gru_step, arnn_f32_gru_step_fn)
#undef ARNN_RNN_CANDIDATES
#define ARNN_GEMM_KERNEL(isa_name, arch) {ARNN_ISA_##isa_name##_LEVEL, arnn_f32_gemm__##isa_name, "arnn_f32_gemm__" #isa_name},
static const gemm_candidate gemm_candidates[] = {
#include "../kernels/gemm/f32-gemm.inc"
};
#undef ARNN_GEMM_KERNEL
#define ARNN_LSTM_STEP_KERNEL(isa_name, arch) \
  {ARNN_ISA_##isa_name##_LEVEL, arnn_f32_lstm_step__##isa_name, "arnn_f32_lstm_step__" #isa_name},
static const lstm_step_candidate lstm_step_candidates[] = {
#include "../kernels/lstm/f32-lstm-step.inc"
};
#undef ARNN_LSTM_STEP_KERNEL
#define ARNN_GRU_STEP_KERNEL(isa_name, arch) \
  {ARNN_ISA_##isa_name##_LEVEL, arnn_f32_gru_step__##isa_name, "arnn_f32_gru_step__" #isa_name},
static const gru_step_candidate gru_step_candidates[] = {
#include "../kernels/gru/f32-gru-step.inc"
};
#undef ARNN_GRU_STEP_KERNEL
#define ARNN_PICK_RNN(family, level)                                                               \
  do {                                                                                             \
    for (size_t i = 0; i < sizeof family##_candidates / sizeof family##_candidates[0]; i++) {      \
      const family##_candidate *c = &family##_candidates[i];                                       \
      if (c->isa <= (level) && arnn_isa_level_on_this_arch(c->isa)) {                              \
        table.family.fn = c->fn;                                                                   \
        table.family.name = c->name;                                                               \
        break;                                                                                     \
      }                                                                                            \
    }                                                                                              \
  } while (0)
/* ---- end recurrent layers ---- */

static arnn_dispatch_table table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

arnn_isa_level arnn_dispatch_resolve_cap(arnn_isa_level cpu_best, const char *request, char *note, size_t note_size) {
  if (note_size) note[0] = '\0';
  if (request == NULL || request[0] == '\0') return cpu_best;
  const int level = arnn_isa_level_from_name(request);
  if (level < 0) {
    snprintf(note, note_size, "ARNN_ISA=%.32s ignored: unknown value (use scalar, avx2, avx512 or neon)", request);
    return cpu_best;
  }
  if (!arnn_isa_level_on_this_arch((arnn_isa_level)level)) {
    snprintf(note, note_size, "ARNN_ISA=%s ignored: not an ISA of this architecture", request);
    return cpu_best;
  }
  if ((arnn_isa_level)level > cpu_best) {
    snprintf(note, note_size, "ARNN_ISA=%s ignored: this CPU supports at most %s", request,
             arnn_isa_level_name(cpu_best));
    return cpu_best;
  }
  snprintf(note, note_size, "ARNN_ISA=%s caps the CPU's %s", request, arnn_isa_level_name(cpu_best));
  return (arnn_isa_level)level;
}

static arnn_vunary_entry pick(const char *op, arnn_isa_level level) {
  for (size_t i = 0; i < sizeof vunary_candidates / sizeof vunary_candidates[0]; i++) {
    const vunary_candidate *c = &vunary_candidates[i];
    if (strcmp(c->op, op) == 0 && c->isa <= level && arnn_isa_level_on_this_arch(c->isa))
      return (arnn_vunary_entry){c->fn, c->name};
  }
  return (arnn_vunary_entry){NULL, NULL}; /* unreachable: every op has a scalar kernel */
}

static void fill_table(void) {
  table.cpu_best = arnn_cpu_best_isa();
  table.isa = arnn_dispatch_resolve_cap(table.cpu_best, getenv("ARNN_ISA"), table.note, sizeof table.note);
  table.vtanh = pick("vtanh", table.isa);
  table.vexp = pick("vexp", table.isa);
  table.vsigmoid = pick("vsigmoid", table.isa);
  /* ---- attention pooling and dense head ---- */
  ARNN_PICK_FIRST(attention_pool_candidates, table.isa, table.attention_pool);
  ARNN_PICK_FIRST(dense_head_candidates, table.isa, table.dense_head);
  /* ---- end attention pooling and dense head ---- */
  /* ---- recurrent layers ---- */
  ARNN_PICK_RNN(gemm, table.isa);
  ARNN_PICK_RNN(lstm_step, table.isa);
  ARNN_PICK_RNN(gru_step, table.isa);
  /* ---- end recurrent layers ---- */
  ARNN_PICK_FIRST(sdpa_candidates, table.isa, table.sdpa);
}

const arnn_dispatch_table *arnn_dispatch(void) {
  pthread_once(&table_once, fill_table);
  return &table;
}

const char *arnn_isa(void) { return arnn_isa_level_name(arnn_dispatch()->isa); }

const char *arnn_isa_note(void) { return arnn_dispatch()->note; }

const char *arnn_kernel_name(const char *op) {
  if (op == NULL) return NULL;
  const arnn_dispatch_table *t = arnn_dispatch();
  if (strcmp(op, "vtanh") == 0) return t->vtanh.name;
  if (strcmp(op, "vexp") == 0) return t->vexp.name;
  if (strcmp(op, "vsigmoid") == 0) return t->vsigmoid.name;
  /* ---- attention pooling and dense head ---- */
  if (strcmp(op, "attention_pool") == 0) return t->attention_pool.name;
  if (strcmp(op, "dense_head") == 0) return t->dense_head.name;
  /* ---- end attention pooling and dense head ---- */
  /* ---- recurrent layers ---- */
  if (strcmp(op, "gemm") == 0) return t->gemm.name;
  if (strcmp(op, "lstm_step") == 0) return t->lstm_step.name;
  if (strcmp(op, "gru_step") == 0) return t->gru_step.name;
  /* ---- end recurrent layers ---- */
  if (strcmp(op, "sdpa") == 0) return t->sdpa.name;
  return NULL;
}
