#include "test-util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dispatch/dispatch.h"
#include "kernels/gru/gru.h"
#include "kernels/lstm/lstm.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#define ARNN_KERNEL(op, isa, arch) {"arnn_f32_" #op "__" #isa, #op, #isa, arnn_f32_##op##__##isa},
const test_vunary_kernel test_vunary_kernels[] = {
#include "kernels/vmath/f32-vunary.inc"
};
#undef ARNN_KERNEL
const size_t test_vunary_kernel_count = sizeof test_vunary_kernels / sizeof test_vunary_kernels[0];

#define ARNN_KERNEL(op, isa, arch) {#isa, arnn_f32_##op##__##isa},
const test_lstm_step_kernel test_lstm_steps[] = {
#include "kernels/lstm/f32-lstm-step.inc"
};
const test_lstm_step_kernel test_lstm_steps_bf16[] = {
#include "kernels/lstm/f32-lstm-step-bf16.inc"
};
const test_gru_step_kernel test_gru_steps[] = {
#include "kernels/gru/f32-gru-step.inc"
};
const test_gru_step_kernel test_gru_steps_bf16[] = {
#include "kernels/gru/f32-gru-step-bf16.inc"
};
#undef ARNN_KERNEL
const size_t test_lstm_step_count = sizeof test_lstm_steps / sizeof test_lstm_steps[0];
const size_t test_lstm_step_bf16_count = sizeof test_lstm_steps_bf16 / sizeof test_lstm_steps_bf16[0];
const size_t test_gru_step_count = sizeof test_gru_steps / sizeof test_gru_steps[0];
const size_t test_gru_step_bf16_count = sizeof test_gru_steps_bf16 / sizeof test_gru_steps_bf16[0];

int test_isa_available(const char *isa) {
  const int level = arnn_isa_level_from_name(isa);
  if (level < 0 || !arnn_isa_level_on_this_arch((arnn_isa_level)level)) return 0;
  return (arnn_isa_level)level <= arnn_dispatch()->isa;
}

int test_ftz_supported(void) {
#if defined(__x86_64__) || defined(__aarch64__)
  return 1;
#else
  return 0;
#endif
}

void test_set_ftz(int on) {
#if defined(__x86_64__)
  const unsigned ftz_daz = 0x8040; /* MXCSR.FTZ (bit 15) | MXCSR.DAZ (bit 6) */
  unsigned csr = _mm_getcsr();
  _mm_setcsr(on ? (csr | ftz_daz) : (csr & ~ftz_daz));
#elif defined(__aarch64__)
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  fpcr = on ? (fpcr | (UINT64_C(1) << 24)) : (fpcr & ~(UINT64_C(1) << 24)); /* FPCR.FZ */
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#else
  (void)on;
#endif
}

uint64_t test_rand_u64(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * UINT64_C(0x2545F4914F6CDD1D);
}

float test_rand_uniform(uint64_t *state, float lo, float hi) {
  const double u = (double)(test_rand_u64(state) >> 11) * (1.0 / 9007199254740992.0);
  return (float)(lo + (hi - lo) * u);
}

int test_same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

void test_step_bufs_init(test_step_bufs *s, size_t nb, size_t G, size_t H, size_t Hp, float xr, float hr,
                         uint64_t *rng) {
  s->xp = calloc(nb * G * Hp + 1, sizeof(float));
  s->h = calloc(nb * Hp + 1, sizeof(float));
  s->c = calloc(nb * Hp + 1, sizeof(float));
  s->ho = calloc(nb * Hp + 1, sizeof(float));
  s->scr = calloc(nb * Hp + 1, sizeof(float));
  for (size_t q = 0; q < nb; q++) {
    for (size_t j = 0; j < Hp / 16; j++)
      for (size_t g = 0; g < G; g++)
        for (size_t l = 0; l < 16; l++)
          if (j * 16 + l < H) s->xp[1 + q * G * Hp + (j * G + g) * 16 + l] = test_rand_uniform(rng, -xr, xr);
    for (size_t u = 0; u < H; u++) {
      s->h[1 + q * Hp + u] = test_rand_uniform(rng, -hr, hr);
      s->c[1 + q * Hp + u] = test_rand_uniform(rng, -3 * hr, 3 * hr);
    }
    s->xpp[q] = s->xp + 1 + q * G * Hp;
    s->hp[q] = s->h + 1 + q * Hp;
    s->cp[q] = s->c + 1 + q * Hp;
    s->hop[q] = s->ho + 1 + q * Hp;
    s->sp[q] = s->scr + 1 + q * Hp;
  }
}

void test_step_bufs_free(test_step_bufs *s) {
  free(s->xp);
  free(s->h);
  free(s->c);
  free(s->ho);
  free(s->scr);
}

void *test_guard_place(test_guarded *g, size_t bytes, int at_end) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t span = (bytes + page - 1) / page * page;
  g->bytes = span + 2 * page;
  g->base = mmap(NULL, g->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->base == MAP_FAILED) {
    g->base = NULL;
    return NULL;
  }
  mprotect(g->base, page, PROT_NONE);
  mprotect(g->base + page + span, page, PROT_NONE);
  return at_end ? g->base + page + span - bytes : g->base + page;
}

void test_guard_release(test_guarded *g) {
  if (g->base != NULL) munmap(g->base, g->bytes);
  g->base = NULL;
}
