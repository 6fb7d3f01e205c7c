/* Fused LSTM step with bf16 recurrent weights, AVX-512; scalar twin
 * lstm-step-bf16-scalar.c (same equations, same per-output order,
 * bit-identical; and bit-identical to lstm-step-avx512.c on float32 weights
 * holding the same bf16 values).
 *
 * Weights: one 64-byte line holds a gate's 16 lanes for k and k+1 (the bf16
 * packing of ../rnn/rnn-step.h: element 2l + e = lane l of row k+e), widened
 * exactly with one integer operation per 16 weights
 * (../rnn/rnn-bf16-avx512-inl.h). Per accumulator the FMAs still run
 * k = 0, 1, 2, ... in order. Register tiles as in lstm-step-avx512.c:
 *  - one sequence: four 16-unit blocks x 4 gates = 16 accumulators (then two
 *    and one for the rest) where W_hh stays in L2 (ARNN_RNN_L2_RESIDENT_BYTES),
 *    two blocks (8 accumulators) where it streams from L3; per pair of k one
 *    line per block and gate (half the bytes of the float32 kernel). Measured
 *    (rnn-bench BM_rnn_step, p25, one core): H = 128, four blocks 1.00-1.01
 *    us against two 1.12-1.14; H = 512, four 23.3-24.1 us against two
 *    19.3-19.7 (once 23.8);
 *  - several sequences: one block x 4 gates x up to 4 sequences = 16
 *    accumulators, each line widened once for the whole tile; the k range
 *    in chunks (../rnn/rnn-step-batch-inl.h), one line of the next chunk
 *    requested per pair of k.
 * Start, epilogue and driver: lstm-step-avx512-inl.h, shared with the
 * float32 kernel. */
#include "../rnn/rnn-bf16-avx512-inl.h"
#include "../rnn/rnn-side-gemm-avx512-inl.h"
/* The epilogue's loops kept rolled: unrolled completely (as the float32
 * kernel's), the one-sequence tile's k loop gains register copies, and the
 * H = 128 step at batch 1 measured 1.00 -> 1.14 us (rolled: 0.87-0.98). */
#define ARNN_LSTM_AVX512_ROLLED_EPILOGUE
#include "lstm-step-avx512-inl.h"

#define MAXB ARNN_LSTM_AVX512_MAXB
#define MAXS ARNN_LSTM_AVX512_MAXS

static inline __attribute__((always_inline)) void tile(const size_t nblk, const size_t nseq, const int batched,
                                                       const arnn_rnn_step_args *a, size_t j0, const float *const *xp,
                                                       const float *const *h, float *const *c, float *const *h_out) {
  const size_t H = a->H, Kp = (H + 1) / 2;
  const uint16_t *w = a->w16 + j0 * Kp * 128;
  __m512 acc[MAXS][MAXB][4];
#define PAIR_BODY ARNN_AVX512_BF16_PAIR(nblk, nseq, 4, w, Kp, p, s, h[s], acc, MAXS)
  size_t k1 = H;
  if (!batched) {
    arnn_lstm_avx512_acc_init(nblk, 1, acc, j0, xp);
    ARNN_AVX512_K_LOOP_WITH_SIDE(H / 2, a->side, p, PAIR_BODY);
  } else {
    /* k0 is even, k1 even or H; one prefetch per pair of k */
    const arnn_rnn_batch_tile *bt = arnn_rnn_batch_tile_of(a);
    arnn_lstm_avx512_batch_start(batched, nseq, a, acc, j0, xp);
    k1 = bt->k1;
    ARNN_RNN_BATCH_LOOP(bt, batched & ARNN_RNN_BATCH_STREAM, p, bt->k0 / 2, k1 / 2, PAIR_BODY);
  }
#undef PAIR_BODY
  if (k1 % 2) ARNN_AVX512_BF16_LAST_K(nblk, nseq, 4, w, Kp, H / 2, s, h[s], acc);
  if (batched && !(batched & ARNN_RNN_BATCH_LAST)) {
    arnn_lstm_avx512_batch_park(nseq, a, acc);
    return;
  }
  arnn_lstm_avx512_epilogue(nblk, nseq, a, acc, j0, c, h_out);
}

ARNN_LSTM_AVX512_TILES(4)

void arnn_f32_lstm_step_bf16__avx512(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                     const float *const *h, float *const *c, float *const *h_out) {
  ARNN_KERNEL_ASSERT(arnn_rnn_step_args_ok(a, nb, xp, h, (const float *const *)c, (const float *const *)h_out, NULL, 1));
  const size_t w16_bytes = a->Hp * ((a->H + 1) / 2) * 2 * 4 * sizeof(uint16_t), block_bytes = (a->H + 1) / 2 * 256;
  if (w16_bytes <= ARNN_RNN_L2_RESIDENT_BYTES)
    arnn_lstm_avx512_step(a, nb, xp, h, c, h_out, 4, one_4, one_2, one_1, batch_tiles, 4, a->w16, block_bytes, 128, 2);
  else
    arnn_lstm_avx512_step(a, nb, xp, h, c, h_out, 2, one_2, one_2, one_1, batch_tiles, 4, a->w16, block_bytes, 128, 2);
  if (nb == 1) arnn_avx512_side_finish(a->side);
}
