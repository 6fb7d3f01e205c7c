/* Prefetch shared by the batched recurrent-step drivers of the AVX-512 LSTM
 * and GRU kernels: the loop walks unit blocks j outside and groups of up to
 * maxs sequences inside; before a tile runs, the pre-activations of the tile
 * after it are requested into L1.
 *
 * Why: each tile's accumulators start from its xp lines (G lines of 16 floats
 * per sequence), and at batch 32 those rows were written by the input
 * projection long before (2.6 MB per direction for elmo): they come from L3,
 * and every tile's first FMAs waited ~L3 latency for them. One tile (~1000
 * cycles of FMAs) ahead is enough: measured on the elmo batch-32 recurrence
 * (A/B in one process), 0.57 -> 0.64 of the FMA peak, against ~0.69 with xp
 * made cache-resident. Two or three tiles ahead, or h_out as well: no
 * better; the whole next step's rows into L2 (1024 requests at once): slower
 * (0.65 -> 0.60). A prefetch changes no result. */
#ifndef ARNN_KERNELS_RNN_RNN_STEP_PREFETCH_INL_H
#define ARNN_KERNELS_RNN_RNN_STEP_PREFETCH_INL_H

#include <stddef.h>

#include "../common/prefetch-inl.h"

/* nb sequences in groups of at most maxs, as even as possible: group g
 * starts at sequence g*small + min(g, big) and has small + (g < big). */
typedef struct {
  size_t groups, small, big;
} arnn_rnn_seq_groups;

static inline arnn_rnn_seq_groups arnn_rnn_seq_groups_of(size_t nb, size_t maxs) {
  const size_t groups = (nb + maxs - 1) / maxs;
  return (arnn_rnn_seq_groups){groups, nb / groups, nb % groups};
}
static inline size_t arnn_rnn_group_start(const arnn_rnn_seq_groups *gr, size_t g) {
  return g * gr->small + (g < gr->big ? g : gr->big);
}
static inline size_t arnn_rnn_group_size(const arnn_rnn_seq_groups *gr, size_t g) {
  return gr->small + (g < gr->big);
}

/* The tile after (block j, group g): the lines of its sequences' xp that
 * the tile reads, [xp + j*stride + first, + lines*16 floats). stride =
 * floats per block in xp (G*16). */
static inline void arnn_rnn_prefetch_next_tile(const float *const *xp, const arnn_rnn_seq_groups *gr, size_t blocks,
                                               size_t j, size_t g, size_t stride, size_t first, size_t lines) {
  if (++g == gr->groups) {
    g = 0;
    j++;
  }
  if (j >= blocks) return;
  const size_t s0 = arnn_rnn_group_start(gr, g), end = s0 + arnn_rnn_group_size(gr, g);
  for (size_t s = s0; s < end; s++)
    for (size_t l = 0; l < lines; l++) arnn_prefetch_l1(xp[s] + j * stride + first + 16 * l);
}

#endif
