/* The batched (several sequences) driver of the AVX-512 LSTM and GRU step
 * kernels: blocks of 16 units outside, the block's k range in chunks inside
 * that, groups of up to maxs sequences innermost, as even as possible
 * (arnn_rnn_seq_groups: 32 sequences in tiles of at most 6 go as 6, 6, 5,
 * 5, 5, 5, not five 6s and a 2 whose tile loads a weight vector per 2 FMAs).
 *
 * Why chunks of k: each weight vector a tile loads serves the tile's
 * sequences only, so a block's weights are read once per group of sequences
 * (5 to 8 times per step at batch 32, by the kernel). Where a block's
 * weights (H x G x 64 bytes in float32) outgrow L1, every group re-reads
 * them from L2, and where W_hh outgrows L2, the first group of each block
 * waits on L3 at the FMA rate.
 * A chunk of kc k's is small enough to stay in L1 while every group uses it;
 * a tile that does not end the k range parks its accumulators in `partial`
 * (storing and reloading a float is exact, and every output still sums its k
 * in order, so the results keep their bits), and during the chunk the tiles
 * request the next chunk's weights into L2, one line per k, so that the L3
 * stream overlaps the FMAs instead of stalling them.
 *
 * The tiles receive &arnn_rnn_batch_tile.step as their args; a tile of
 * several sequences converts it back (step is the first member). Which end
 * of the k range a chunk touches is compiled into the tile, not tested in
 * it: tiles[ARNN_RNN_BATCH_FIRST | ARNN_RNN_BATCH_LAST][n] start from xp
 * and end with the epilogue (the whole range), tiles[0][n] start from and
 * end by parking the sums, and so on (and the _STREAM ones request the next
 * chunk). With a run-time choice between the two starts or the two ends,
 * GCC 12 keeps the accumulators in memory between the tile's loops. */
#ifndef ARNN_KERNELS_RNN_RNN_STEP_BATCH_INL_H
#define ARNN_KERNELS_RNN_RNN_STEP_BATCH_INL_H

#include <stddef.h>

#include "../common/prefetch-inl.h"
#include "rnn-step-prefetch-inl.h"
#include "rnn-step-tiles-inl.h"

/* Sequences whose partial sums one pass of the driver keeps (on the stack:
 * ARNN_RNN_BATCH_SEQS x 4 gates x 16 floats = 16 KiB); more sequences go in
 * turns. */
#define ARNN_RNN_BATCH_SEQS 64
/* A tile's chunk starts the k range (its sums start from xp), ends it (the
 * epilogue follows); the tile requests the next chunk's weights (W_hh
 * streams from L3). tiles[flags][n]. */
#define ARNN_RNN_BATCH_FIRST 1
#define ARNN_RNN_BATCH_LAST 2
#define ARNN_RNN_BATCH_STREAM 4
/* The kernels' tile(..., batched, ...) parameter: 0 for a tile of one
 * sequence, ARNN_RNN_BATCHED | flags for a tile of several. */
#define ARNN_RNN_BATCHED 8
/* The most sequences a kernel's batched tile takes (the width of the tile
 * tables, tiles[flags][n] for n = 1 .. maxs <= ARNN_RNN_BATCH_MAXS). */
#define ARNN_RNN_BATCH_MAXS 7

typedef struct {
  arnn_rnn_step_args step; /* first: what the tiles receive */
  size_t k0, k1;           /* this tile's k range */
  /* accumulators of the tile's sequence s between chunks: G*16 floats at
   * partial + s * G * 16 (gate g of the block at + g*16) */
  float *partial;
  /* lines to request into L2 from prefetch, one per k (float32) or pair of
   * k (bf16) from k0, until prefetch_lines are requested */
  const char *prefetch;
  size_t prefetch_lines;
} arnn_rnn_batch_tile;

static inline const arnn_rnn_batch_tile *arnn_rnn_batch_tile_of(const arnn_rnn_step_args *a) {
  return (const arnn_rnn_batch_tile *)a;
}

/* Chunk length: as many k as make 32 KiB of one block's weights (k_bytes =
 * one k of one block: G gates x 16 x the weight size), even (the bf16
 * kernels read k in pairs), the whole range if that is shorter. Measured on
 * the large batch-32 LSTM step (H = 512, float32, an Intel Xeon with 48 KiB
 * L1d and 2 MiB L2): chunks of 32 KiB 394-416 us, 24 KiB 407-433, 16 KiB
 * 426-448, whole blocks (128 KiB) with the prefetch 431-442, neither
 * 510-540. */
static inline size_t arnn_rnn_batch_chunk(size_t H, size_t k_bytes) {
  size_t kc = ((size_t)32 << 10) / k_bytes & ~(size_t)1;
  if (kc < 2) kc = 2;
  return kc >= H ? H : kc;
}

/* One pass over all blocks for the sequences [0, nb): w = the pass's packed
 * weights (block j at w + j*block_bytes, k-major inside, one k = k_bytes;
 * the tiles request one line per k_per_line k's);
 * G = gates of the pass (partial's stride is G*16 floats); tiles[where][n]:
 * n sequences, where = ARNN_RNN_BATCH_FIRST / _LAST / _STREAM flags. The xp lines each
 * tile reads (xp_lines from xp_first, block stride xp_stride floats) are
 * requested one tile ahead (rnn-step-prefetch-inl.h). */
static inline __attribute__((always_inline)) void
arnn_rnn_batched_blocks(const arnn_rnn_step_args *a, size_t nb, const float *const *xp, const float *const *h,
                        float *const *out0, float *const *out1, const arnn_rnn_tile_fn (*tiles)[ARNN_RNN_BATCH_MAXS + 1], size_t maxs,
                        size_t G, const void *w, size_t block_bytes, size_t k_bytes, size_t k_per_line,
                        size_t xp_stride, size_t xp_first, size_t xp_lines) {
  arnn_rnn_batch_tile t;
  t.step = *a;
  const size_t H = a->H, blocks = a->Hp / 16, kc = arnn_rnn_batch_chunk(H, k_bytes);
  const char *const wb = (const char *)w;
  const size_t w_lines = blocks * block_bytes / 64;
  const int stream = blocks * block_bytes > ARNN_RNN_L2_RESIDENT_BYTES;
  /* One chunk and nothing to request (W_hh in L2, small blocks: imdb): the
   * whole-range tiles, without the per-tile bookkeeping of chunks (measured:
   * the GRU batch-32 step at H = 128 back from 20.8 to 20.1 us, base 20.4) */
  if (kc == H && !stream) {
    t.k0 = 0;
    t.k1 = H;
    t.prefetch_lines = 0;
    t.prefetch = wb;
    const arnn_rnn_tile_fn *whole = tiles[ARNN_RNN_BATCH_FIRST | ARNN_RNN_BATCH_LAST];
    const arnn_rnn_seq_groups gr = arnn_rnn_seq_groups_of(nb, maxs);
    for (size_t j = 0; j < blocks; j++)
      for (size_t g = 0; g < gr.groups; g++) {
        const size_t s = arnn_rnn_group_start(&gr, g);
        arnn_rnn_prefetch_next_tile(xp, &gr, blocks, j, g, xp_stride, xp_first, xp_lines);
        whole[arnn_rnn_group_size(&gr, g)](&t.step, j, xp + s, h + s, out0 + s, out1 ? out1 + s : NULL);
      }
    return;
  }
  float partial[ARNN_RNN_BATCH_SEQS * 4 * 16] __attribute__((aligned(64)));
  for (size_t s0 = 0; s0 < nb; s0 += ARNN_RNN_BATCH_SEQS) {
    const size_t n = nb - s0 < ARNN_RNN_BATCH_SEQS ? nb - s0 : ARNN_RNN_BATCH_SEQS;
    const arnn_rnn_seq_groups gr = arnn_rnn_seq_groups_of(n, maxs);
    for (size_t j = 0; j < blocks; j++)
      for (size_t k0 = 0; k0 < H; k0 += kc) {
        t.k0 = k0;
        t.k1 = H - k0 > kc ? k0 + kc : H;
        /* the lines after this chunk's weights, in memory order (the next
         * chunk or the next block's first), kc k's of them; group g of the
         * tiles requests its share from line next + g * (k's of its tile) */
        const size_t next = (j * block_bytes + t.k1 * k_bytes) / 64, next_lines = kc * k_bytes / 64;
        for (size_t g = 0; g < gr.groups; g++) {
          const size_t s = arnn_rnn_group_start(&gr, g), ns = arnn_rnn_group_size(&gr, g);
          const size_t first = g * ((t.k1 - t.k0) / k_per_line);
          const size_t from = next + first, until = next + next_lines < w_lines ? next + next_lines : w_lines;
          t.prefetch_lines = stream && from < until ? until - from : 0;
          t.prefetch = t.prefetch_lines ? wb + from * 64 : wb;
          /* xp is read by the first chunk of a block: one tile ahead there,
           * and the next block's first tile from the last tile of a block */
          if ((k0 == 0 && g + 1 < gr.groups) || (t.k1 == H && g + 1 == gr.groups))
            arnn_rnn_prefetch_next_tile(xp + s0, &gr, blocks, j, g, xp_stride, xp_first, xp_lines);
          t.partial = partial + s * G * 16;
          const int where = (k0 == 0 ? ARNN_RNN_BATCH_FIRST : 0) | (t.k1 == H ? ARNN_RNN_BATCH_LAST : 0) |
                            (stream ? ARNN_RNN_BATCH_STREAM : 0);
          tiles[where][ns](&t.step, j, xp + s0 + s, h + s0 + s, out0 + s0 + s, out1 ? out1 + s0 + s : NULL);
        }
      }
  }
}

/* A batched tile's loop over iterations [i0, i1) (k's, or pairs of k in the
 * bf16 kernels). stream (a compile-time constant of the tile instance): the
 * first iterations each request one of the tile's prefetch_lines from
 * bt->prefetch; else one plain loop. Instances without the prefetch code
 * rather than a test per iteration: the test (a not-taken branch, which may
 * issue on an FMA port) made the GRU batch-32 step at H = 128 4-5% slower. */
#define ARNN_RNN_BATCH_LOOP(bt, stream, i, i0, i1, ...)                                                \
  do {                                                                                                \
    const size_t i0_ = (i0), i1_ = (i1);                                                              \
    if (!(stream)) {                                                                                  \
      for (size_t i = i0_; i < i1_; i++) __VA_ARGS__;                                                 \
    } else {                                                                                          \
      const size_t lines_ = (bt)->prefetch_lines;                                                     \
      const size_t pf_end_ = i0_ + (lines_ < i1_ - i0_ ? lines_ : i1_ - i0_);                         \
      size_t i = i0_;                                                                                 \
      for (const char *pf_ = (bt)->prefetch; i < pf_end_; i++, pf_ += 64) {                           \
        arnn_prefetch_l2(pf_);                                                                        \
        __VA_ARGS__;                                                                                  \
      }                                                                                               \
      for (; i < i1_; i++) __VA_ARGS__;                                                               \
    }                                                                                                 \
  } while (0)

#endif
