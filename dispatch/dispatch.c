/* The dispatcher: one rule for every kernel.
 *
 * Each kernel family has one list, kernels/<family>/f32-<op>.inc, with one line
 * per kernel, ARNN_KERNEL(op, isa, arch), best ISA first within an op and
 * ending in scalar. Below, every list is expanded into one array of
 * candidates (op, ISA level, function, name), in list order. Once per process
 * (pthread_once) the active level is fixed: the best the CPU and OS support
 * (cpu-features.c), lowered by an ARNN_ISA=scalar|neon|avx2|avx512 cap, which
 * never raises it. Then one loop picks, for each op of ARNN_DISPATCH_OPS
 * (dispatch.h), the first candidate of that op whose ISA belongs to this
 * architecture and is at or below the active level. Scalar is always last and
 * always eligible, so every op resolves. So adding a kernel is one line in
 * its family's list plus its source file; nothing here changes. Nothing
 * outside dispatch/ and kernels/ names an ISA. */
#include "dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

/* Kernels of different ops have different types: a candidate holds its
 * function as the generic function pointer type and the table converts it
 * back to the op's own type (C11 6.3.2.3: a round trip through another
 * function pointer type is exact). */
typedef void (*arnn_any_kernel_fn)(void);

typedef struct {
  const char *op;
  arnn_isa_level isa;
  arnn_any_kernel_fn fn;
  const char *name;
} kernel_candidate;

#define ARNN_ISA_LEVEL_scalar ARNN_ISA_SCALAR
#define ARNN_ISA_LEVEL_neon ARNN_ISA_NEON
#define ARNN_ISA_LEVEL_avx2 ARNN_ISA_AVX2
#define ARNN_ISA_LEVEL_avx512 ARNN_ISA_AVX512
#define ARNN_KERNEL(op, isa, arch) \
  {#op, ARNN_ISA_LEVEL_##isa, (arnn_any_kernel_fn)arnn_f32_##op##__##isa, "arnn_f32_" #op "__" #isa},
static const kernel_candidate candidates[] = {
#include "../kernels/vmath/f32-vunary.inc"
#include "../kernels/attention/f32-attention-pool.inc"
#include "../kernels/dense/f32-dense-head.inc"
#include "../kernels/gemm/f32-gemm.inc"
#include "../kernels/lstm/f32-lstm-step.inc"
#include "../kernels/gru/f32-gru-step.inc"
#include "../kernels/lstm/f32-lstm-step-bf16.inc"
#include "../kernels/gru/f32-gru-step-bf16.inc"
#include "../kernels/sdpa/f32-sdpa.inc"
};
#undef ARNN_KERNEL

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

/* The one pick loop: the first candidate of `op` that this architecture has
 * and the active level allows (list order is best first). */
static const kernel_candidate *pick(const char *op, arnn_isa_level level) {
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
    const kernel_candidate *c = &candidates[i];
    if (strcmp(c->op, op) == 0 && c->isa <= level && arnn_isa_level_on_this_arch(c->isa)) return c;
  }
  return NULL; /* not reached: every op's list ends in scalar */
}

static void fill_table(void) {
  table.cpu_best = arnn_cpu_best_isa();
  table.isa = arnn_dispatch_resolve_cap(table.cpu_best, getenv("ARNN_ISA"), table.note, sizeof table.note);
#define ARNN_DISPATCH_FILL(op, type)                    \
  {                                                     \
    const kernel_candidate *c = pick(#op, table.isa);   \
    table.op.fn = c ? (type)c->fn : NULL;               \
    table.op.name = c ? c->name : NULL;                 \
  }
  ARNN_DISPATCH_OPS(ARNN_DISPATCH_FILL)
#undef ARNN_DISPATCH_FILL
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
#define ARNN_DISPATCH_NAME(op_name, type) \
  if (strcmp(op, #op_name) == 0) return t->op_name.name;
  ARNN_DISPATCH_OPS(ARNN_DISPATCH_NAME)
#undef ARNN_DISPATCH_NAME
  return NULL;
}
