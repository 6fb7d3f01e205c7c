/* Fused recurrent step kernels (LSTM in kernels/lstm/, GRU in kernels/gru/):
 * the contract, the packed weight layout (written by rnn-pack.c) and the
 * argument block shared by both families (see kernels/README.md).
 *
 * Layout. Hidden units are padded to Hp = round_up(H, 16) and grouped in
 * blocks of 16. The recurrent kernel R [H, G*H] (Keras layout, gate-major
 * columns) is packed once, gate-interleaved and K-major per block:
 *
 *   w[((j*H + k)*G + g)*16 + l] = R[k][g*H + 16j + l]   (0 where 16j+l >= H)
 *
 * for block j < Hp/16, k < H, gate g < G, lane l < 16. The pre-activations of
 * one step for one sequence (input projection with the input biases folded
 * in) use the matching column order: xp[(j*G + g)*16 + l].
 *
 * Per hidden unit and gate the accumulator starts from xp (or, for the GRU
 * candidate with reset_after, from the recurrent bias) and takes
 * fma(h[k], w, acc) for k = 0..H-1 in order on every ISA; the activations are
 * the shared per-element functions of kernels/vmath. So scalar, AVX2 and
 * AVX-512 give identical bits, and a sequence's result does not depend on the
 * other sequences in the call (nb).
 *
 * Arguments: nb >= 1 sequences; xp[s] (G*Hp floats), h[s] (previous hidden
 * state, Hp floats, lanes >= H are zero), c[s] (LSTM cell state, Hp floats,
 * updated in place), h_out[s] (next hidden state, Hp floats, written once;
 * must not alias h[s]), scratch[s] (GRU reset_after == 0 only: Hp floats).
 * With zero-padded weights and inputs the padded lanes stay exactly zero.
 *
 * bf16 weights (kernels *_step_bf16, lists f32-*-step-bf16.inc) read w16
 * (and w_h16) instead of w (w_h): the same blocks, k and gates in the same
 * streaming order, two consecutive rows interleaved per lane in one
 * 32-element line (Kp = ceil(H/2), zero past H):
 *
 *   w16[((j*Kp + p)*G + g)*32 + 2l + e] = bf16(R[2p+e][g*H + 16j + l])
 *
 * A 32-bit lane of a line is (row 2p+1) << 16 | (row 2p), so a shift and an
 * AND widen it into both rows' float32 weights, exactly (bf16 is the high
 * half of a float32). Everything else as above: same bits as the float32
 * kernels on float32 weights holding the same bf16 values.
 *
 * Group-interleaved copy (w1, w_h1; optional, written by
 * arnn_rnn_pack_grouped): the same floats with the blocks in groups of four
 * (the last group holds the rest: S_J = min(4, Hp/16 - 4J) blocks) and,
 * within a group, the k-rows of its blocks interleaved, so that a tile of
 * all of a group's blocks reads one contiguous stream:
 *
 *   w1[((4J*H + k*S_J + b)*G + g)*16 + l] = w[(((4J + b)*H + k)*G + g)*16 + l]
 *
 * Kernels whose one-sequence tiles span several blocks (AVX-512) read it
 * there when it is given; every other path reads w. Same weights, same
 * accumulation order: same bits either way. Why: a four-block tile reading
 * w (four streams H*G*64 bytes apart) ran one H = 128 LSTM step from L2 in
 * 1.70 us at the median, reading w1 in 1.45 us (one core, the steps of two
 * directions alternating). */
#ifndef ARNN_KERNELS_RNN_RNN_STEP_H
#define ARNN_KERNELS_RNN_RNN_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/kernel-assert.h"

/* Recurrent activation (the gates' "sigmoid"). */
enum {
  ARNN_RACT_SIGMOID = 0,     /* 1 / (1 + e^-x), the vmath sigmoid */
  ARNN_RACT_HARD_KERAS2 = 1, /* clip(0.2 x + 0.5, 0, 1) as fma(x, 0.2, 0.5) */
  ARNN_RACT_HARD_KERAS3 = 2  /* clip(x / 6 + 0.5, 0, 1) as fma(x, 1/6, 0.5) */
};

/* A piece of the input projection (the GEMM of kernels/gemm/gemm.h) that a
 * one-sequence step may compute beside its own work: rows r < 8, panels
 * [p0, p1) of
 *
 *   C[r][n] = bias[n] + sum_{k=0}^{K-1} A[r][k] * B[k][n]
 *
 * with B in the GEMM's packed panels (panel p at Bp + p*K*16, K-major), each
 * output accumulated as the GEMM does (bias first, then fma over k = 0..K-1
 * in order): bit-identical to the GEMM's rows. The rows are those of later
 * timesteps, which the step does not read.
 *
 * Why: at one sequence a step streams W_hh and leaves more than half of the
 * FMA issue idle; the projection of later timesteps is independent FMA work
 * that can use it, instead of running before the steps on the same core.
 * Eight rows: the piece reads each weight of B once per eight FMAs, so the
 * bytes it adds to the step's stream stay small (an eighth of B per row of
 * projection).
 *
 * A kernel that takes the piece (the AVX-512 ones, at nb == 1) computes all
 * of it before it returns and leaves p0 == p1, kdone == 0. One that does not
 * leaves the struct untouched, and the caller computes it with the GEMM.
 * While a kernel works, kdone is the k its partial sums in C have reached
 * for panel p0 (storing and reloading a float is exact, so the per-output
 * order is kept). */
#define ARNN_RNN_SIDE_ROWS 8
typedef struct {
  size_t K;
  const float *Bp;
  const float *bias; /* column n at bias[n] */
  const float *A;    /* row r at A + r*lda */
  size_t lda;
  const float *At;   /* the same rows k-major: A[r][k] at At[k*8 + r] */
  float *C; /* row r at C + r*ldc */
  size_t ldc;
  size_t p0, p1;
  size_t kdone;
} arnn_rnn_side_gemm;

typedef struct {
  size_t H;  /* hidden units: length of the k loop */
  size_t Hp; /* H rounded up to a multiple of 16 */
  /* LSTM: G = 4 (i, f, c, o). GRU reset_after = 1: G = 3 (z, r, h). GRU
   * reset_after = 0: G = 2 (z, r) here and the candidate's R_h packed alone
   * (G = 1) in w_h, applied to r*h in a second pass. */
  const float *w;
  const float *w_h;
  const float *b_rec_h; /* GRU reset_after = 1: recurrent bias of h, [Hp] */
  int reset_after;      /* GRU only */
  int ract;             /* ARNN_RACT_* */
  const uint16_t *w16, *w_h16; /* the bf16 kernels' w and w_h (layout above) */
  const float *w1, *w_h1;       /* w and w_h group-interleaved, or NULL (layout above) */
  /* One sequence (nb == 1): 0 visits the blocks first to last, 1 last to
   * first (each pass, GRU reset_after = 0). The results do not depend on it
   * (a block's outputs depend on h and its own weights only). What it is
   * for: when W_hh does not stay in L2 between steps, steps that alternate
   * the order start on the blocks the previous step read last, still in L2.
   * Honoured by the AVX-512, AVX2 and NEON kernels; the scalar ones read in
   * order. */
  int reverse;
  arnn_rnn_side_gemm *side; /* nb == 1: a projection piece (above), or NULL */
} arnn_rnn_step_args;

/* The size of a direction's packed W_hh (all passes) up to which the layer
 * takes it to stay in L2 between steps at one sequence: one or two copies of
 * it, and the other direction's, fit in an L2 of 1 MiB or more. Above it
 * the steps stream W_hh from L3 and alternate the block order (reverse). */
#define ARNN_RNN_L2_RESIDENT_BYTES ((size_t)512 << 10)

typedef void (*arnn_f32_lstm_step_fn)(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                      const float *const *h, float *const *c, float *const *h_out);
typedef void (*arnn_f32_gru_step_fn)(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                     const float *const *h, float *const *h_out, float *const *scratch);

/* Packs gates [g0, g0 + ng) of the recurrent kernel R [H][G*H] (Keras layout)
 * into w, the layout above with ng gates: w holds Hp*H*ng floats (Hp =
 * round_up(H, 16)). rnn-pack.c. */
void arnn_rnn_pack_recurrent(const float *R, size_t H, size_t G, size_t g0, size_t ng, float *w);
/* The same into the bf16 layout (rounded to nearest even): w16 holds
 * Hp*ceil(H/2)*2*ng elements. rnn-pack-bf16.c. */
void arnn_rnn_pack_recurrent_bf16(const float *R, size_t H, size_t G, size_t g0, size_t ng, uint16_t *w16);

/* Copies w (the layout above: Hp/16 blocks, H rows, G gates) into w1 in the
 * group-interleaved layout (same size). rnn-pack.c. */
void arnn_rnn_pack_grouped(const float *w, size_t H, size_t Hp, size_t G, float *w1);

/* Where the one-sequence tile of the blocks [j0, j0 + n) (within one group)
 * starts in the group-interleaved layout with G gates, and how far apart its
 * k-rows are, in floats: w1 + *base + k * *kstep + (b*G + g)*16 is block
 * j0 + b, row k, gate g. */
static inline void arnn_rnn_grouped_tile(size_t H, size_t Hp, size_t G, size_t j0, size_t *base, size_t *kstep) {
  const size_t blocks = Hp / 16, J = j0 / 4, S = blocks - 4 * J < 4 ? blocks - 4 * J : 4;
  *base = (4 * J * H + j0 % 4) * G * 16;
  *kstep = S * G * 16;
}

/* The contract's preconditions (asserted in debug builds). gates: G of the
 * call (LSTM 4; GRU 3, or 2 with the candidate in w_h when reset_after is 0).
 * For every sequence s: its pointers are given and h_out[s] (Hp floats)
 * overlaps neither h[s] nor xp[s] (nor c[s], LSTM; nor scratch[s], GRU). */
static inline int arnn_rnn_step_args_ok(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,
                                        const float *const *h, const float *const *c, const float *const *h_out,
                                        const float *const *scratch, int is_lstm) {
  if (a == NULL || nb == 0 || xp == NULL || h == NULL || h_out == NULL || (a->w == NULL && a->w16 == NULL)) return 0;
  if (a->side != NULL && (nb != 1 || a->side->p0 > a->side->p1 || a->side->kdone != 0)) return 0;
  if (a->H == 0 || a->Hp != (a->H + 15) / 16 * 16 || (unsigned)a->ract > ARNN_RACT_HARD_KERAS3) return 0;
  const int split_h = !is_lstm && !a->reset_after;
  if (is_lstm ? c == NULL
              : (a->reset_after ? a->b_rec_h == NULL : ((a->w_h == NULL && a->w_h16 == NULL) || scratch == NULL)))
    return 0;
  const size_t G = is_lstm ? 4 : 3, hb = a->Hp * sizeof(float); /* gates in xp */
  for (size_t s = 0; s < nb; s++) {
    if (xp[s] == NULL || h[s] == NULL || h_out[s] == NULL) return 0;
    if (!arnn_kernel_disjoint(h_out[s], hb, h[s], hb) || !arnn_kernel_disjoint(h_out[s], hb, xp[s], G * hb)) return 0;
    if (is_lstm && (c[s] == NULL || !arnn_kernel_disjoint(h_out[s], hb, c[s], hb))) return 0;
    if (split_h && (scratch[s] == NULL || !arnn_kernel_disjoint(h_out[s], hb, scratch[s], hb))) return 0;
  }
  return 1;
}

#endif
