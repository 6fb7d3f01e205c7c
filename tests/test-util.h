/* Helpers shared by the tests: the kernel list (from the same .inc as the
 * dispatcher), ISA availability under the active ARNN_ISA cap, FTZ/DAZ,
 * bitwise comparison and page-guarded buffers. */
#ifndef ARNN_TESTS_TEST_UTIL_H
#define ARNN_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/vmath/vmath.h"

typedef struct {
  const char *name; /* "arnn_f32_vtanh__avx512" */
  const char *op;   /* "vtanh" */
  const char *isa;  /* "avx512" */
  arnn_f32_vunary_fn fn;
} test_vunary_kernel;

extern const test_vunary_kernel test_vunary_kernels[];
extern const size_t test_vunary_kernel_count;

/* True when kernels of `isa` may run here: the CPU supports the level and the
 * ARNN_ISA cap allows it (so CI's per-cap runs behave like smaller CPUs). */
int test_isa_available(const char *isa);

/* Sets (1) or clears (0) flush-to-zero and denormals-are-zero for the calling
 * thread. test_ftz_supported() is 0 where the tests cannot control it. */
int test_ftz_supported(void);
void test_set_ftz(int on);

/* Deterministic PRNG (xorshift64*); failures print the seed. */
uint64_t test_rand_u64(uint64_t *state);
float test_rand_uniform(uint64_t *state, float lo, float hi);

/* 1 when the n floats of a and b are the same bits. */
int test_same_bits(const float *a, const float *b, size_t n);

/* A buffer flush against a PROT_NONE page on each side, placed at its end
 * (at_end = 1) or at its start (0), so that a kernel reading or writing one
 * byte too far faults. NULL when mmap fails. */
typedef struct {
  unsigned char *base;
  size_t bytes;
} test_guarded;
void *test_guard_place(test_guarded *g, size_t bytes, int at_end);
void test_guard_release(test_guarded *g);

#endif
