/* Fused LSTM step, AVX-512; scalar twin lstm-step-scalar.c (same equations,
 * same per-output order, bit-identical). Register tiles:
 *  - one sequence (batch 1): four 16-unit blocks x 4 gates = 16 independent
 *    zmm accumulators; per k one broadcast of h[k] and 16 weight loads from
 *    four streams of the packed W_hh (bound by L2 bandwidth at H = 128). Four
 *    blocks, not two: measured on imdb-sized steps (H = 128, one core, both
 *    directions' W_hh in L2, their steps alternating) 1.30-1.36 ms per 400
 *    steps of both directions against 2.05-2.07 ms with two blocks (8
 *    accumulators) and 1.39 ms with one (25th percentiles); the rest of the
 *    units go as two blocks, then one;
 *  - several sequences: one block x 4 gates x up to 6 sequences = 24
 *    accumulators; each weight vector is loaded once per k and used for every
 *    sequence of the tile (6 rather than 4: BM_rnn_step nb = 32, three
 *    alternated runs, H = 512 372-394 us against 406-410, H = 128 24.4-27.2
 *    against 26.6-28.3); the k range in chunks that stay in L1 while every
 *    group of sequences uses them, the next chunk requested into L2 during
 *    each (../rnn/rnn-step-batch-inl.h).
 * Start, epilogue (per tile, in registers: gates, c' = fma(f, c, i*g),
 * h' = o*tanh(c'), then c and h are stored once) and driver:
 * lstm-step-avx512-inl.h, shared with the bf16 kernel. */
#include "../rnn/rnn-side-gemm-avx512-inl.h"
#include "lstm-step-avx512-inl.h"

#define MAXB ARNN_LSTM_AVX512_MAXB
#define MAXS ARNN_LSTM_AVX512_MAXS

static inline __attribute__((always_inline)) void tile(const size_t nblk, const size_t nseq, const int batched,
                                                       const arnn_rnn_step_args *a, size_t j0, const float *const *xp,
                                                       const float *const *h, float *const *c, float *const *h_out) {
  const size_t H = a->H;
  /* one sequence with the group-interleaved copy: one stream (rnn-step.h) */
  size_t base = j0 * H * 64, kstep = 64, bstep = H * 64;
  const float *w = a->w;
  if (!batched && a->w1 != NULL) {
    arnn_rnn_grouped_tile(H, a->Hp, 4, j0, &base, &kstep);
    w = a->w1;
    bstep = 64;
  }
  w += base;
  __m512 acc[MAXS][MAXB][4];
#define K_BODY                                                                                 \
  do {                                                                                         \
    __m512 hk[MAXS];                                                                           \
    for (size_t s = 0; s < nseq; s++) hk[s] = _mm512_set1_ps(h[s][k]);                         \
    for (size_t b = 0; b < nblk; b++)                                                          \
      for (size_t g = 0; g < 4; g++) {                                                         \
        const __m512 wv = _mm512_loadu_ps(w + k * kstep + b * bstep + g * 16);                 \
        for (size_t s = 0; s < nseq; s++) acc[s][b][g] = _mm512_fmadd_ps(hk[s], wv, acc[s][b][g]); \
      }                                                                                        \
  } while (0)
  if (!batched) {
    arnn_lstm_avx512_acc_init(nblk, 1, acc, j0, xp);
    ARNN_AVX512_K_LOOP_WITH_SIDE(H, a->side, k, K_BODY);
  } else {
    const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
    arnn_lstm_avx512_batch_start(batched, nseq, a, acc, j0, xp);
    ARNN_RNN_BATCH_LOOP(bt, batched & ARNN_RNN_BATCH_STREAM, k, bt->k0, bt->k1, K_BODY);
    if (!(batched & ARNN_RNN_BATCH_LAST)) {
      arnn_lstm_avx512_batch_park(nseq, a, acc);
      return;
    }
  }
#undef K_BODY
  arnn_lstm_avx512_epilogue(nblk, nseq, a, acc, j0, c, h_out);
}

ARNN_LSTM_AVX512_TILES(6)

void arnn_f32_lstm_step__avx512(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  arnn_lstm_avx512_step(a, nb, xp, h, c, h_out, 4, one_4, one_2, one_1, batch_tiles, 6, a->w, a->H * 256, 256, 1);
  if (nb == 1) arnn_avx512_side_finish(a->side);
}
