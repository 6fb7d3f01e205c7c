/* The projection piece of a one-sequence step (arnn_rnn_side_gemm,
 * rnn-step.h) on AVX-512, shared by the LSTM and GRU step kernels (float32
 * and bf16 W_hh).
 *
 * A one-sequence tile runs the piece inside its own k loop: per step
 * iteration, one k of a register micro-tile of the piece's 8 rows x one
 * panel (8 accumulators; one panel load and eight FMAs that broadcast their
 * A element from the k-major copy At, one pointer for all rows). The step's
 * k loop is bound by streaming W_hh (from L2 or L3) and issues one FMA per
 * weight vector, so the FMA ports have room for the micro-tile's. A
 * micro-tile that a tile's k loop does not finish is parked in C (partial
 * sums) and picked up by the next tile; what the tiles leave is finished
 * after the step (arnn_avx512_side_finish). Each output: bias, then
 * fma(A[r][k], B[k][n]) for k = 0..K-1 in order, as the GEMM.
 *
 * Measured (Zen 4, one H = 128 LSTM step of each of two directions in turn,
 * W_hh in L2, E = 50): 2.50 us per step alone, 2.79 us with its piece, 0.52
 * us for the same piece through the GEMM: 42% of it hides. With row
 * pointers instead of At, GCC kept some of them on the stack. */
#ifndef ARNN_KERNELS_RNN_RNN_SIDE_GEMM_AVX512_INL_H
#define ARNN_KERNELS_RNN_RNN_SIDE_GEMM_AVX512_INL_H

#include <immintrin.h>

#include "rnn-step.h"

/* The micro-tile in flight: panel job->p0, k done so far. */
typedef struct {
  arnn_rnn_side_gemm *job;
  __m512 acc[ARNN_RNN_SIDE_ROWS];
  const float *b; /* panel p0's row 0 */
  size_t k;
  int live;
} arnn_avx512_side;

/* Takes up the job's next panel (its partial sums when kdone > 0); live is
 * 0 when no panel is left (or there is no job). */
static inline __attribute__((always_inline)) void arnn_avx512_side_load(arnn_avx512_side *s,
                                                                        arnn_rnn_side_gemm *job) {
  s->job = job;
  s->live = job != NULL && job->p0 < job->p1;
  s->k = 0;
  s->b = NULL;
  if (!s->live) return;
  const size_t p = job->p0;
  s->k = job->kdone;
  s->b = job->Bp + p * job->K * 16;
  for (size_t r = 0; r < ARNN_RNN_SIDE_ROWS; r++)
    s->acc[r] = _mm512_loadu_ps(s->k == 0 ? job->bias + p * 16 : job->C + r * job->ldc + p * 16);
}

/* How many of the next `left` step iterations can each take one k of the
 * micro-tile before it is complete: 0 when none is in flight. */
static inline __attribute__((always_inline)) size_t arnn_avx512_side_span(const arnn_avx512_side *s, size_t left) {
  if (!s->live) return 0;
  const size_t rest = s->job->K - s->k;
  return rest < left ? rest : left;
}

/* One k of the micro-tile. */
static inline __attribute__((always_inline)) void arnn_avx512_side_k(arnn_avx512_side *s) {
  const size_t k = s->k;
  const __m512 bv = _mm512_loadu_ps(s->b + k * 16);
  const float *a = s->job->At + k * ARNN_RNN_SIDE_ROWS;
  for (size_t r = 0; r < ARNN_RNN_SIDE_ROWS; r++) s->acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), bv, s->acc[r]);
  s->k = k + 1;
}

static inline __attribute__((always_inline)) void arnn_avx512_side_store(const arnn_avx512_side *s) {
  const arnn_rnn_side_gemm *job = s->job;
  for (size_t r = 0; r < ARNN_RNN_SIDE_ROWS; r++) _mm512_storeu_ps(job->C + r * job->ldc + job->p0 * 16, s->acc[r]);
}

/* After arnn_avx512_side_span's iterations: when the micro-tile is
 * complete, its outputs go to C and the next panel is taken up. */
static inline __attribute__((always_inline)) void arnn_avx512_side_next(arnn_avx512_side *s) {
  if (s->k < s->job->K) return;
  arnn_avx512_side_store(s);
  s->job->p0++;
  s->job->kdone = 0;
  arnn_avx512_side_load(s, s->job);
}

/* At the end of a tile: a micro-tile in flight is parked in C. */
static inline __attribute__((always_inline)) void arnn_avx512_side_park(arnn_avx512_side *s) {
  if (!s->live) return;
  arnn_avx512_side_store(s);
  s->job->kdone = s->k;
}

/* After the step's tiles: whatever of the job is left, alone. */
static inline void arnn_avx512_side_finish(arnn_rnn_side_gemm *job) {
  arnn_avx512_side s;
  for (arnn_avx512_side_load(&s, job); s.live; arnn_avx512_side_next(&s))
    while (s.k < job->K) arnn_avx512_side_k(&s);
}

/* A one-sequence k loop of H iterations, the statement after k (using k)
 * each, with the job's micro-tiles run beside it, one k of theirs per
 * iteration (side NULL: the plain loop). Two k per iteration where the
 * piece has more k than the step (H = 512, E = 300 LSTM) measured no
 * faster than leaving the rest to arnn_avx512_side_finish. */
#define ARNN_AVX512_K_LOOP_WITH_SIDE(H, side, k, ...)                                          \
  do {                                                                                         \
    arnn_avx512_side side_state_;                                                              \
    arnn_avx512_side_load(&side_state_, (side));                                               \
    size_t k = 0;                                                                              \
    for (size_t span_; (span_ = arnn_avx512_side_span(&side_state_, (H) - k)) > 0;) {          \
      for (const size_t end_ = k + span_; k < end_; k++) {                                     \
        __VA_ARGS__;                                                                           \
        arnn_avx512_side_k(&side_state_);                                                      \
      }                                                                                        \
      arnn_avx512_side_next(&side_state_);                                                     \
    }                                                                                          \
    for (; k < (H); k++) __VA_ARGS__;                                                          \
    arnn_avx512_side_park(&side_state_);                                                       \
  } while (0)

#endif
