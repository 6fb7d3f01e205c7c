/* Helpers shared by the tests: the kernel lists (from the same .inc as the
 * dispatcher), the state buffers of a recurrent step, ISA availability under the active ARNN_ISA cap, FTZ/DAZ,
 * bitwise comparison and page-guarded buffers. */
#ifndef ARNN_TESTS_TEST_UTIL_H
#define ARNN_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rnn/rnn-step.h"
#include "kernels/vmath/vmath.h"

typedef struct {
  const char *name; /* "arnn_f32_vtanh__avx512" */
  const char *op;   /* "vtanh" */
  const char *isa;  /* "avx512" */
  arnn_f32_vunary_fn fn;
} test_vunary_kernel;

extern const test_vunary_kernel test_vunary_kernels[];
extern const size_t test_vunary_kernel_count;

/* The recurrent step kernels of each list (float32 and bf16 W_hh), best ISA
 * first, scalar last. */
typedef struct {
  const char *isa;
  arnn_f32_lstm_step_fn fn;
} test_lstm_step_kernel;
typedef struct {
  const char *isa;
  arnn_f32_gru_step_fn fn;
} test_gru_step_kernel;
extern const test_lstm_step_kernel test_lstm_steps[], test_lstm_steps_bf16[];
extern const size_t test_lstm_step_count, test_lstm_step_bf16_count;
extern const test_gru_step_kernel test_gru_steps[], test_gru_steps_bf16[];
extern const size_t test_gru_step_count, test_gru_step_bf16_count;

/* The state of nb <= 8 sequences for one LSTM or GRU step call: xp (G gate
 * columns of Hp per sequence, gate-interleaved per 16-unit block), h, c, the
 * output h and the GRU scratch, each one float past its allocation's start
 * (so no vector is aligned), padded lanes zero. xp, h and c take uniform
 * values in [-xr, xr], [-hr, hr], [-3 hr, 3 hr] drawn from *rng in a fixed
 * order. */
typedef struct {
  float *xp, *h, *c, *ho, *scr;
  const float *xpp[8], *hp[8];
  float *cp[8], *hop[8], *sp[8];
} test_step_bufs;
void test_step_bufs_init(test_step_bufs *s, size_t nb, size_t G, size_t H, size_t Hp, float xr, float hr,
                         uint64_t *rng);
void test_step_bufs_free(test_step_bufs *s);

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
