/* Fused GRU step with bf16 recurrent weights, AVX-512; scalar twin
 * gru-step-bf16-scalar.c (same equations and per-output order,
 * bit-identical). Weights widened exactly (one 64-byte line = a gate's 16
 * lanes for k and k+1; one shift or one AND per 16 weights,
 * ../rnn/rnn-bf16-avx512-inl.h); passes as in gru-step-avx512.c. Tiles: for one sequence
 * four 16-unit blocks x G gates (12 accumulators with G = 3; with two blocks'
 * 6, each taking two dependent FMAs per pair of rows, the step waited on the
 * FMA latency: H = 128, reset_after, thread CPU time 0.97-1.04 -> 0.71 us per
 * step), then 2 and 1 for the rest; one block x G gates x up to 6 sequences
 * otherwise. reset_after = 1: one pass, G = 3, the candidate's accumulator
 * starts from the recurrent bias. reset_after = 0: pass 1 (G = 2, z and r; z
 * parked in h_out, r*h in scratch), pass 2 (G = 1, R_h applied to r*h).
 * Start, epilogue and driver: gru-step-avx512-inl.h (shared with the float32
 * kernel). */
#include "../rnn/rnn-bf16-avx512-inl.h"
#include "../rnn/rnn-side-gemm-avx512-inl.h"
#include "gru-step-avx512-inl.h"

#define MAXB ARNN_GRU_AVX512_MAXB
#define MAXS ARNN_GRU_AVX512_MAXS

static inline __attribute__((always_inline)) void tile(const int mode, const size_t nblk, const size_t nseq,
                                                       const int batched, const arnn_rnn_step_args *a, size_t j0,
                                                       const float *const *xp, const float *const *h,
                                                       float *const *h_out, float *const *scratch) {
  const size_t H = a->H, Kp = (H + 1) / 2;
  const size_t G = arnn_gru_gates(mode);
  const uint16_t *w = (mode == PASS2 ? a->w_h16 : a->w16) + j0 * Kp * G * 32;
  __m512 acc[MAXS][MAXB][3];
#define PAIR_BODY ARNN_AVX512_BF16_PAIR(nblk, nseq, G, w, Kp, p, s, mode == PASS2 ? scratch[s] : h[s], acc, MAXS)
  size_t k1 = H;
  if (!batched) {
    arnn_gru_avx512_acc_init(mode, nblk, 1, a, acc, j0, xp);
    ARNN_AVX512_K_LOOP_WITH_SIDE(H / 2, a->side, p, PAIR_BODY);
  } else {
    /* k0 is even, k1 even or H; one prefetch per pair of k */
    const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
    arnn_gru_avx512_batch_start(batched, mode, nseq, a, acc, j0, xp);
    k1 = bt->k1;
    ARNN_RNN_BATCH_LOOP(bt, batched & ARNN_RNN_BATCH_STREAM, p, bt->k0 / 2, k1 / 2, PAIR_BODY);
  }
#undef PAIR_BODY
  if (k1 % 2) ARNN_AVX512_BF16_LAST_K(nblk, nseq, G, w, Kp, H / 2, s, mode == PASS2 ? scratch[s] : h[s], acc);
  if (batched && !(batched & ARNN_RNN_BATCH_LAST)) {
    arnn_gru_avx512_batch_park(mode, nseq, a, acc);
    return;
  }
  arnn_gru_avx512_epilogue(mode, nblk, nseq, a, acc, j0, xp, h, h_out, scratch);
}

ARNN_GRU_AVX512_PASS(1, 6)

void arnn_f32_gru_step_bf16__avx512(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                    const float *const *h, float *const *h_out, float *const *scratch) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, NULL, (const float *const *)h_out, (const float *const *)scratch, 0));
  arnn_gru_step_passes(pass, a, nb, xp, h, h_out, scratch);
  if (nb == 1) arnn_avx512_side_finish(a->side);
}
