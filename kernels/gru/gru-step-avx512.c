/* Fused GRU step, AVX-512; scalar twin gru-step-scalar.c (same equations and
 * per-output order, bit-identical). Tiles as in lstm-step-avx512.c: four
 * 16-unit blocks x G gates for one sequence (then two, then one for the
 * rest), one block x G gates x up to 7 sequences otherwise (weights loaded
 * once per k for the whole tile, the k range in chunks:
 * ../rnn/rnn-step-batch-inl.h). Four blocks at batch 1: H = 128, 400 steps
 * of each of two directions (one after the other), 1.19 ms against 1.61 ms
 * with two blocks and 1.35 ms with one (25th percentiles, one core).
 * reset_after = 1: one pass, G = 3, the candidate's accumulator starts from
 * the recurrent bias. reset_after = 0: pass 1 (G = 2, z and r; z parked in
 * h_out, r*h in scratch), pass 2 (G = 1, R_h applied to r*h). Start,
 * epilogue and driver: gru-step-avx512-inl.h (shared with the bf16 kernel). */
#include "../rnn/rnn-side-gemm-avx512-inl.h"
#include "gru-step-avx512-inl.h"

#define MAXB ARNN_GRU_AVX512_MAXB
#define MAXS ARNN_GRU_AVX512_MAXS

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nblk, const size_t nseq,
                                                       const int batched, const arnn_rnn_step_args *a, size_t j0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H;
  const size_t G = arnn_gru_gates(mode);
  /* one sequence with the group-interleaved copy: one stream (rnn-step.h) */
  const float *w1 = mode == PASS2 ? a->w_h1 : a->w1;
  size_t base = j0 * H * G * 16, kstep = G * 16, bstep = H * G * 16;
  const float *w = mode == PASS2 ? a->w_h : a->w;
  if (!batched && w1 != NULL) {
    arnn_rnn_grouped_tile(H, a->Hp, G, j0, &base, &kstep);
    w = w1;
    bstep = G * 16;
  }
  w += base;
  __m512 acc[MAXS][MAXB][3];
#define K_BODY                                                                                   \
  do {                                                                                           \
    __m512 hk[MAXS];                                                                             \
    for (size_t s = 0; s < nseq; s++) hk[s] = _mm512_set1_ps(mode == PASS2 ? scratch[s][k] : h[s][k]); \
    for (size_t b = 0; b < nblk; b++)                                                            \
      for (size_t g = 0; g < G; g++) {                                                           \
        const __m512 wv = _mm512_loadu_ps(w + k * kstep + b * bstep + g * 16);                   \
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(hk[s], wv, acc[s][b][g]); \
      }                                                                                          \
  } while (0)
  if (!batched) {
    arnn_gru_avx512_acc_init(mode, nblk, 1, a, acc, j0, xp);
    ARNN_AVX512_K_LOOP_WITH_SIDE(H, a->side, k, K_BODY);
  } else {
    const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
    arnn_gru_avx512_batch_start(batched, mode, nseq, a, acc, j0, xp);
    ARNN_RNN_BATCH_LOOP(bt, batched & ARNN_RNN_BATCH_STREAM, k, bt->k0, bt->k1, K_BODY);
    if (!(batched & ARNN_RNN_BATCH_LAST)) {
      arnn_gru_avx512_batch_park(mode, nseq, a, acc);
      return;
    }
  }
#undef K_BODY
  arnn_gru_avx512_epilogue(mode, nblk, nseq, a, acc, j0, xp, h, h_out, scratch);
}

ARNN_GRU_AVX512_PASS(0, 7)

void arnn_f32_gru_step__avx512(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                               const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_step_passes(pass, a, nb, xp, h, h_out, scratch);
  if (nb == 1) arnn_avx512_side_finish(a->side);
}
