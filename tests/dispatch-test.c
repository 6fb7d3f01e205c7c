/* The dispatcher: thread-safe first use, ARNN_ISA cap resolution (never above
 * the CPU, unknown values ignored with a reason), and the kernel each op
 * resolved to.
 *   dispatch-test                       checks for the current environment
 *   dispatch-test --expect-isa LEVEL    also requires arnn_isa() == LEVEL
 *   dispatch-test --expect-note TEXT    also requires TEXT in arnn_isa_note() */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "dispatch/dispatch.h"

static int failures;
#include "check.h"

/* Every kernel of every list, in list order, as the dispatcher sees them. */
typedef struct {
  const char *op, *isa, *name;
} listed_kernel;
#define ARNN_KERNEL(op, isa, arch) {#op, #isa, "arnn_f32_" #op "__" #isa},
static const listed_kernel listed[] = {
#include "kernels/attention/f32-attention-pool.inc"
#include "kernels/dense/f32-dense-head.inc"
#include "kernels/gemm/f32-gemm.inc"
#include "kernels/gru/f32-gru-step.inc"
#include "kernels/gru/f32-gru-step-bf16.inc"
#include "kernels/lstm/f32-lstm-step.inc"
#include "kernels/lstm/f32-lstm-step-bf16.inc"
#include "kernels/sdpa/f32-sdpa.inc"
#include "kernels/vmath/f32-vunary.inc"
};
#undef ARNN_KERNEL

/* The rule, spelled out independently of dispatch.c: the first listed kernel
 * of the op whose ISA this architecture has, at or below the active level. */
static const char *expected_kernel(const char *op, arnn_isa_level active) {
  for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
    const int level = arnn_isa_level_from_name(listed[i].isa);
    if (strcmp(listed[i].op, op) == 0 && level >= 0 && arnn_isa_level_on_this_arch((arnn_isa_level)level) &&
        level <= (int)active)
      return listed[i].name;
  }
  return NULL;
}

static void *first_use(void *out) {
  *(const arnn_dispatch_table **)out = arnn_dispatch();
  return NULL;
}

int main(int argc, char **argv) {
  /* 1. Many threads race to the first use; all see the same filled table. */
  enum { THREADS = 8 };
  pthread_t th[THREADS];
  const arnn_dispatch_table *seen[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, first_use, &seen[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (int i = 1; i < THREADS; i++) CHECK(seen[i] == seen[0], "threads saw different tables");
  const arnn_dispatch_table *t = seen[0];
#define EVERY_OP_RESOLVED(op, type) CHECK(t->op.fn != NULL && t->op.name != NULL, "%s resolved", #op);
  ARNN_DISPATCH_OPS(EVERY_OP_RESOLVED)
#undef EVERY_OP_RESOLVED

  /* 2. The active level never exceeds the CPU's, and the names agree. */
  const arnn_isa_level best = arnn_cpu_best_isa();
  CHECK(t->isa <= best, "active level above the CPU's");
  CHECK(t->cpu_best == best, "cached CPU level");
  CHECK(strcmp(arnn_isa(), arnn_isa_level_name(t->isa)) == 0, "arnn_isa() = %s", arnn_isa());
#define OP_NAME(op, type) #op,
  const char *ops[] = {ARNN_DISPATCH_OPS(OP_NAME)};
#undef OP_NAME
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const char *name = arnn_kernel_name(ops[i]);
    CHECK(name != NULL, "kernel name for %s", ops[i]);
    if (!name) continue;
    const char *isa = strstr(name, "__");
    CHECK(isa && arnn_isa_level_from_name(isa + 2) >= 0 && arnn_isa_level_from_name(isa + 2) <= (int)t->isa,
          "%s resolved to %s, above %s", ops[i], name, arnn_isa());
    const char *want = expected_kernel(ops[i], t->isa);
    CHECK(want != NULL && strcmp(name, want) == 0, "%s resolved to %s, the lists say %s", ops[i], name,
          want ? want : "(none)");
    printf("%s -> %s\n", ops[i], name);
  }
  /* every listed op is in the table */
  for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
    CHECK(arnn_kernel_name(listed[i].op) != NULL, "listed op %s missing from the table", listed[i].op);
  CHECK(arnn_kernel_name("nope") == NULL && arnn_kernel_name(NULL) == NULL, "unknown op gives NULL");

  /* 3. Cap resolution, for every request against every possible CPU level. */
  char note[160];
  for (int cpu = 0; cpu < ARNN_ISA_COUNT; cpu++) {
    if (!arnn_isa_level_on_this_arch((arnn_isa_level)cpu)) continue;
    CHECK((int)arnn_dispatch_resolve_cap((arnn_isa_level)cpu, NULL, note, sizeof note) == cpu && note[0] == 0, "no cap");
    CHECK((int)arnn_dispatch_resolve_cap((arnn_isa_level)cpu, "", note, sizeof note) == cpu && note[0] == 0, "empty cap");
    CHECK((int)arnn_dispatch_resolve_cap((arnn_isa_level)cpu, "AVX2x", note, sizeof note) == cpu && strstr(note, "unknown"),
          "unknown value ignored with a reason: %s", note);
    for (int req = 0; req < ARNN_ISA_COUNT; req++) {
      const int got = (int)arnn_dispatch_resolve_cap((arnn_isa_level)cpu, arnn_isa_level_name((arnn_isa_level)req), note, sizeof note);
      if (!arnn_isa_level_on_this_arch((arnn_isa_level)req))
        CHECK(got == cpu && strstr(note, "not an ISA of this architecture"), "foreign ISA %d ignored", req);
      else if (req > cpu)
        CHECK(got == cpu && strstr(note, "at most"), "cap %d above CPU %d ignored: %s", req, cpu, note);
      else
        CHECK(got == req && strstr(note, "caps"), "cap %d on CPU %d", req, cpu);
    }
  }

  /* 4. What this process's environment asked for. */
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--expect-isa"))
      CHECK(strcmp(arnn_isa(), argv[i + 1]) == 0, "expected ISA %s, got %s", argv[i + 1], arnn_isa());
    else if (!strcmp(argv[i], "--expect-note"))
      CHECK(strstr(arnn_isa_note(), argv[i + 1]) != NULL, "expected note containing '%s', got '%s'", argv[i + 1], arnn_isa_note());
  }
  printf("active ISA %s (CPU best %s)%s%s\n", arnn_isa(), arnn_isa_level_name(best), arnn_isa_note()[0] ? "; " : "",
         arnn_isa_note());
  return failures != 0;
}
