/* Recurrent layer object: weight conversion and packing at creation, and the
 * forward pass (input projection GEMM or folded-embedding lookup, then the
 * fused recurrent step per timestep), spread over a thread pool.
 *
 * Column order. The input projection of direction d has G*Hp columns in the
 * step kernels' gate-interleaved order (kernels/rnn/rnn-step.h): column
 * (j*G + g)*16 + l holds gate g of hidden unit 16j + l. Both directions sit
 * side by side in one packed B (N = D*G*Hp columns), so one GEMM kernel call
 * can serve either or both, and folding (table x kernel + bias, computed with
 * the same GEMM kernel) gives exactly the rows the unfolded path computes.
 *
 * Projection during the steps. With one sequence per group and dense input
 * (or ids that are not folded) on the AVX-512 kernels, only the first chunk
 * of rows is projected before the steps; each step computes a piece of the
 * next chunk inside its own k loop (arnn_rnn_side_gemm, rnn-step.h), with
 * the same bits as the GEMM. Measured on one core of a Zen 4 (bidirectional,
 * one sequence, both ways alternated call by call in one process, 25th
 * percentiles of 60 calls each): T = 400, E = 50, H = 128: LSTM 2.83 ->
 * 2.65 ms, GRU 2.15 -> 1.89; bf16 W_hh 2.18 -> 1.93 and 1.50 -> 1.38 ms.
 * Only where the input kernel stays in L2 (pipelines).
 *
 * Work split. A forward call splits the batch into groups of sequences;
 * with two or more threads each (direction, group) is a work item that runs
 * its input projection (all at once, a chunk of timesteps at a time, or
 * during the steps: see pipelines, chunks_projection) and its time loop (at
 * batch 1 with 2 threads the two directions run side by side). With one
 * thread an item takes both directions of a group and alternates their
 * steps, or runs one after the other when W_hh does not stay in L2
 * (run_item).
 * Masked steps are handled here: a sequence whose step is masked is simply
 * left out of that step's kernel call (state untouched), and its output is
 * written from the unchanged h (or zeros).
 *
 * Scratch. A call needs one block (projection rows, h/c/scratch vectors,
 * pointer lists), obtained before any work starts (so an allocation failure
 * writes nothing): it takes the layer's one-entry cache or allocates. */
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../dispatch/dispatch.h"
#include "../kernels/common/bf16-inl.h"
#include "arnn/arnn.h"
#include "fpenv.h"
#include "struct-size.h"
#include "threadpool.h"

#define DEFAULT_FOLD_BUDGET ((size_t)64 << 20)


/* The first version of arnn_rnn_layer_desc ends after mask_zero. */
#define RNN_LAYER_DESC_V1_SIZE ARNN_STRUCT_END(arnn_rnn_layer_desc, mask_zero)

struct arnn_rnn_layer {
  int cell; /* ARNN_RNN_LSTM / ARNN_RNN_GRU */
  size_t G, D, E, H, Hp;
  size_t NG; /* G*Hp: projection columns per direction */
  size_t N;  /* D*NG */
  int masked_zero, mask_zero;
  float *bpack; /* [N/16][E][16] */
  float *bias;  /* [N] input biases (+ recurrent biases of LSTM and GRU z, r) */
  float *w[2], *w_h[2], *b_rec_h[2];
  uint16_t *w16[2], *w_h16[2]; /* ARNN_RNN_WEIGHTS_BF16: W_hh in the bf16 layout instead of w, w_h */
  arnn_rnn_step_args args[2];
  /* Group-interleaved copies of w and w_h, two per direction ([d][copy]):
   * a thread that runs one direction alone alternates them step by step,
   * one that runs both directions alternates the directions and reads copy
   * 0. One core re-reading the same 256 KiB W_hh every step streamed it at
   * 160 GB/s; reading two 256 KiB buffers in turn, at 207 GB/s (Zen 5; H =
   * 128, rnn-bench BM_rnn_step p25: LSTM 1.85 -> 1.51 us, GRU 1.39 -> 1.11
   * us per step). NULL when not made. */
  float *w1[2][2], *w_h1[2][2];
  /* A direction's packed W_hh (float32 or bf16) is at most
   * ARNN_RNN_L2_RESIDENT_BYTES: it stays in L2 between steps. Otherwise one
   * thread runs the directions one after the other (not alternating them,
   * which would evict each other's W_hh from L2) and the steps alternate the
   * order of the blocks (rnn-step.h, reverse), so that each starts on the
   * part of W_hh the previous one left in L2. Measured at H = 512, T = 100,
   * batch 1 (rnn-peers-bench large, Zen 5, 1 MiB L2), one core: LSTM 10.0
   * -> 9.8 ms, GRU 7.4 -> 7.0 ms; with bf16 W_hh 6.7 -> 5.5 ms and 4.9 ->
   * 3.9 ms; two cores: LSTM 6.0-6.7 -> 5.0-5.1 ms, GRU 4.5 -> 3.7 ms. */
  int whh_in_l2;
  /* The step kernels compute projection pieces (arnn_rnn_side_gemm,
   * rnn-step.h): at one sequence with dense input the projection runs in
   * chunks during the steps (dir_step) instead of before them. */
  int side_projection;
  size_t V;
  float *table;  /* [V][E] copy when not folded */
  float *folded; /* [V] rows of N floats, fold_ld apart, when folded */
  /* N + 16: with rows exactly N floats apart (4 KiB at imdb) the rows of the
   * sequences of a batched step all sit in the same L1 sets. Measured on
   * imdb batch 32 with ids, one core (Zen 4, five alternated runs): 40.7-44.0
   * -> 39.8-41.4 ms. */
  size_t fold_ld;
  arnn_f32_gemm_fn gemm;
  arnn_f32_lstm_step_fn lstm_step;
  arnn_f32_gru_step_fn gru_step;
  /* One-entry cache of per-call scratch: a call takes it (atomic exchange)
   * or allocates its own, and puts it back if the slot is empty. Not part of
   * the layer's value: concurrent calls never share a block. It saves the
   * page faults of a fresh multi-MB allocation on every call. */
  _Atomic(struct scratch_block *) cache;
};

typedef struct scratch_block {
  size_t floats, ptrs;
  float *f;
  void **p;
} scratch_block;

static void scratch_free(scratch_block *b) {
  if (b == NULL) return;
  free(b->f);
  free(b->p);
  free(b);
}

/* a * b, 0 on overflow (callers reject 0 for sizes that must be nonzero). */
static int mul_ok(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *out = a * b;
  return 1;
}

/* Blocks from this size on are 2 MiB aligned and asked for transparent huge
 * pages (where the kernel offers them on request, as Debian's default
 * "madvise" mode does): a folded table (20 MB at imdb) is read a few rows at
 * random per step, and with 4 KiB pages each row costs TLB misses. Measured
 * on imdb batch 32 with ids, one core (Zen 4, six alternated runs of one
 * build with and without the request): 41.7-44.8 -> 40.4-41.6 ms. */
#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define HUGE_PAGE_FROM ((size_t)4 << 20)

/* 64-byte aligned floats, zeroed unless for per-call scratch that the
 * forward pass initialises itself. */
static float *alloc_floats_maybe_zeroed(size_t n, int zero) {
  size_t bytes;
  if (!mul_ok(n ? n : 1, sizeof(float), &bytes) || bytes > SIZE_MAX - HUGE_PAGE_BYTES) return NULL;
  const size_t align = bytes >= HUGE_PAGE_FROM ? HUGE_PAGE_BYTES : 64;
  bytes = (bytes + align - 1) & ~(align - 1);
  float *p = aligned_alloc(align, bytes);
#ifdef MADV_HUGEPAGE
  if (p && align == HUGE_PAGE_BYTES) (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
  if (p && zero) memset(p, 0, bytes);
  return p;
}

static float *alloc_floats(size_t n) { return alloc_floats_maybe_zeroed(n, 1); }

void arnn_rnn_layer_desc_init(arnn_rnn_layer_desc *desc) {
  if (desc == NULL) return;
  memset(desc, 0, sizeof *desc);
  desc->struct_size = sizeof *desc;
  desc->cell = ARNN_RNN_LSTM;
  desc->recurrent_activation = ARNN_RNN_SIGMOID;
  desc->reset_after = 1;
  desc->layout = ARNN_RNN_WEIGHTS_KERAS;
  desc->masked_output = ARNN_RNN_MASKED_PREVIOUS;
  desc->fold_budget = DEFAULT_FOLD_BUDGET;
}

void arnn_rnn_layer_destroy(arnn_rnn_layer *l) {
  if (l == NULL) return;
  free(l->bpack);
  free(l->bias);
  for (int d = 0; d < 2; d++) {
    free(l->w[d]);
    free(l->w_h[d]);
    free(l->b_rec_h[d]);
    free(l->w16[d]);
    free(l->w_h16[d]);
    for (int copy = 0; copy < 2; copy++) {
      free(l->w1[d][copy]);
      free(l->w_h1[d][copy]);
    }
  }
  free(l->table);
  free(l->folded);
  scratch_free(atomic_load(&l->cache));
  free(l);
}

size_t arnn_rnn_layer_output_size(const arnn_rnn_layer *l) { return l ? l->D * l->H : 0; }

int arnn_rnn_layer_is_folded(const arnn_rnn_layer *l) { return l && l->folded ? 1 : 0; }

/* CuDNN -> Keras conversion, following Keras 2.2.x
 * keras/engine/saving.py preprocess_weights_for_loading() ->
 * _convert_rnn_weights() (tf.keras: saving/hdf5_format.py, same code):
 *   kernels = transform_kernels(kernel, transpose_input(from_cudnn=True), G)
 *     where each gate block k [E, H] becomes k.T.reshape((E, H), order='F'):
 *     read k's elements in row-major order as a [H, E] row-major matrix M,
 *     then the Keras block is M^T, i.e. keras[e][h] = kflat[h*E + e];
 *   recurrent_kernels = transform_kernels(rec, lambda k: k.T, G)
 *     (each [H, H] gate block transposed);
 *   LSTM: biases = sum(split(bias, 2)) (input + recurrent);
 *   GRU:  biases = bias.reshape((2, -1)) (reset_after layout).
 * No gate reordering happens there: Keras' CuDNN layers already store the
 * gates in the Keras order (i,f,c,o / z,r,h). */
static void cudnn_to_keras(size_t E, size_t H, size_t G, int is_lstm, const float *kernel, const float *rec,
                           const float *bias, float *k_out, float *r_out, float *b_out) {
  const size_t GH = G * H;
  for (size_t g = 0; g < G; g++) {
    for (size_t e = 0; e < E; e++)
      for (size_t h = 0; h < H; h++) {
        const size_t i = h * E + e; /* flat row-major index in the [E, H] block */
        k_out[e * GH + g * H + h] = kernel[(i / H) * GH + g * H + (i % H)];
      }
    for (size_t a = 0; a < H; a++)
      for (size_t b = 0; b < H; b++) r_out[a * GH + g * H + b] = rec[b * GH + g * H + a];
  }
  if (bias == NULL) return;
  if (is_lstm)
    for (size_t i = 0; i < GH; i++) b_out[i] = bias[i] + bias[GH + i];
  else
    memcpy(b_out, bias, 2 * GH * sizeof(float));
}

/* Column c of the packed B (0 <= c < N) -> direction, gate, unit (unit >= H
 * for padding). */
static void column_of(const arnn_rnn_layer *l, size_t c, size_t *d, size_t *g, size_t *u) {
  *d = c / l->NG;
  const size_t r = c % l->NG;
  const size_t blk = r / 16, lane = r % 16;
  *g = blk % l->G;
  *u = (blk / l->G) * 16 + lane;
}

/* The bf16 layer: W_hh of direction d packed once into the bf16 layout the
 * bf16 step kernels stream (half the bytes per step); the float32 packing
 * made before goes. one_pass: all G gates in w16 (LSTM, GRU reset_after);
 * else z, r in w16 and the GRU candidate in w_h16. */
static arnn_status pack_bf16(arnn_rnn_layer *l, size_t d, const float *rk, int one_pass) {
  const size_t H = l->H, G = l->G, per_gate = l->Hp * ((H + 1) / 2) * 2;
  const size_t ng = one_pass ? G : 2;
  l->w16[d] = aligned_alloc(64, (per_gate * ng * sizeof(uint16_t) + 63) & ~(size_t)63);
  if (!one_pass) l->w_h16[d] = aligned_alloc(64, (per_gate * sizeof(uint16_t) + 63) & ~(size_t)63);
  if (!l->w16[d] || (!one_pass && !l->w_h16[d])) return ARNN_ERR_OUT_OF_MEMORY;
  arnn_rnn_pack_recurrent_bf16(rk, H, G, 0, ng, l->w16[d]);
  if (!one_pass) arnn_rnn_pack_recurrent_bf16(rk, H, G, 2, 1, l->w_h16[d]);
  free(l->w[d]);
  free(l->w_h[d]);
  l->w[d] = l->w_h[d] = NULL;
  arnn_rnn_step_args *a = &l->args[d];
  a->w = a->w_h = NULL;
  a->w16 = l->w16[d];
  a->w_h16 = l->w_h16[d];
  return ARNN_OK;
}

/* The group-interleaved copies of direction d's w (and w_h), which the
 * AVX-512 kernels read at one sequence, when W_hh stays in L2 (whh_in_l2).
 * Streamed from L3, as at H = 512, the four-stream layout measured as fast
 * or faster. */
static arnn_status pack_grouped(arnn_rnn_layer *l, size_t d, size_t G, int one_pass) {
  const size_t H = l->H, Hp = l->Hp, ng = one_pass ? G : 2;
  if (!l->whh_in_l2) return ARNN_OK;
  for (int copy = 0; copy < 2; copy++) {
    l->w1[d][copy] = alloc_floats_maybe_zeroed(Hp * H * ng, 0);
    if (!one_pass) l->w_h1[d][copy] = alloc_floats_maybe_zeroed(Hp * H, 0);
    if (!l->w1[d][copy] || (!one_pass && !l->w_h1[d][copy])) return ARNN_ERR_OUT_OF_MEMORY;
  }
  arnn_rnn_pack_grouped(l->w[d], H, Hp, ng, l->w1[d][0]);
  memcpy(l->w1[d][1], l->w1[d][0], Hp * H * ng * sizeof(float));
  if (!one_pass) {
    arnn_rnn_pack_grouped(l->w_h[d], H, Hp, 1, l->w_h1[d][0]);
    memcpy(l->w_h1[d][1], l->w_h1[d][0], Hp * H * sizeof(float));
  }
  return ARNN_OK;
}

arnn_status arnn_rnn_layer_create(const arnn_rnn_layer_desc *caller_desc, arnn_rnn_layer **out) {
  if (out == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (caller_desc == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_rnn_layer_desc versioned;
  arnn_rnn_layer_desc_init(&versioned);
  const arnn_status read_st = arnn_struct_read(&versioned, sizeof versioned, RNN_LAYER_DESC_V1_SIZE, caller_desc);
  if (read_st != ARNN_OK) return read_st;
  const arnn_rnn_layer_desc *desc = &versioned;
  if (desc->cell != ARNN_RNN_LSTM && desc->cell != ARNN_RNN_GRU) return ARNN_ERR_INVALID_ARGUMENT;
  if ((unsigned)desc->recurrent_activation > ARNN_RNN_HARD_SIGMOID_KERAS3) return ARNN_ERR_INVALID_ARGUMENT;
  if ((unsigned)desc->layout > ARNN_RNN_WEIGHTS_CUDNN) return ARNN_ERR_INVALID_ARGUMENT;
  if ((unsigned)desc->masked_output > ARNN_RNN_MASKED_ZERO) return ARNN_ERR_INVALID_ARGUMENT;
  if ((unsigned)desc->weights > ARNN_RNN_WEIGHTS_BF16) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->input_size == 0 || desc->units == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->bidirectional != 0 && desc->bidirectional != 1) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->reset_after != 0 && desc->reset_after != 1) return ARNN_ERR_INVALID_ARGUMENT;
  const int is_lstm = desc->cell == ARNN_RNN_LSTM;
  const int reset_after = is_lstm ? 0 : desc->reset_after;
  const size_t D = desc->bidirectional ? 2 : 1;
  for (size_t d = 0; d < D; d++)
    if (desc->kernel[d] == NULL || desc->recurrent_kernel[d] == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->embedding != NULL && desc->vocab_size == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->layout == ARNN_RNN_WEIGHTS_CUDNN && !is_lstm && !reset_after) return ARNN_ERR_UNSUPPORTED;
  if (desc->vocab_size > (size_t)INT_MAX) return ARNN_ERR_INVALID_ARGUMENT;

  const size_t G = is_lstm ? 4 : 3, E = desc->input_size, H = desc->units;
  /* Every size below must fit in bytes: check the largest products once. */
  size_t Hp, NG, N, t1, t2;
  if (H > SIZE_MAX / 64 || E > SIZE_MAX / 64) return ARNN_ERR_INVALID_ARGUMENT;
  Hp = (H + 15) / 16 * 16;
  if (!mul_ok(G, Hp, &NG) || !mul_ok(NG, D, &N) || !mul_ok(N, E, &t1) || !mul_ok(t1, sizeof(float), &t1) ||
      !mul_ok(NG, H, &t2) || !mul_ok(t2, sizeof(float), &t2) || !mul_ok(E, G * H, &t1) ||
      !mul_ok(t1, sizeof(float), &t1))
    return ARNN_ERR_INVALID_ARGUMENT;
  size_t fold_bytes = 0;
  const size_t fold_ld = N + 16; /* arnn_rnn_layer.fold_ld */
  int fold = 0;
  if (desc->embedding != NULL) {
    size_t tb;
    if (!mul_ok(desc->vocab_size, E, &tb) || !mul_ok(tb, sizeof(float), &tb)) return ARNN_ERR_INVALID_ARGUMENT;
    fold = mul_ok(desc->vocab_size, fold_ld, &fold_bytes) && mul_ok(fold_bytes, sizeof(float), &fold_bytes) &&
           fold_bytes <= desc->fold_budget;
  }

  arnn_rnn_layer *l = calloc(1, sizeof *l);
  if (l == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  atomic_init(&l->cache, NULL);
  const arnn_dispatch_table *dt = arnn_dispatch();
  l->cell = desc->cell;
  l->G = G;
  l->D = D;
  l->E = E;
  l->H = H;
  l->Hp = Hp;
  l->NG = NG;
  l->N = N;
  l->masked_zero = desc->masked_output == ARNN_RNN_MASKED_ZERO;
  l->whh_in_l2 = Hp * H * G * (desc->weights == ARNN_RNN_WEIGHTS_BF16 ? 2 : 4) <= ARNN_RNN_L2_RESIDENT_BYTES;
  l->mask_zero = desc->mask_zero != 0;
  l->gemm = dt->gemm.fn;
  l->side_projection = dt->isa == ARNN_ISA_AVX512;
  l->lstm_step = dt->lstm_step.fn;
  l->gru_step = dt->gru_step.fn;
  if (desc->weights == ARNN_RNN_WEIGHTS_BF16) {
    l->lstm_step = dt->lstm_step_bf16.fn;
    l->gru_step = dt->gru_step_bf16.fn;
  }
  l->bpack = alloc_floats(N * E);
  l->bias = alloc_floats(N);
  /* Keras-layout copies (converted from CuDNN when needed) */
  float *kk = alloc_floats(E * G * H), *rk = alloc_floats(H * G * H), *bk = alloc_floats(2 * G * H);
  arnn_status st = ARNN_OK;
  if (!l->bpack || !l->bias || !kk || !rk || !bk) st = ARNN_ERR_OUT_OF_MEMORY;
  const int ract = desc->recurrent_activation == ARNN_RNN_SIGMOID              ? ARNN_RACT_SIGMOID
                   : desc->recurrent_activation == ARNN_RNN_HARD_SIGMOID_KERAS2 ? ARNN_RACT_HARD_KERAS2
                                                                                : ARNN_RACT_HARD_KERAS3;
  for (size_t d = 0; d < D && st == ARNN_OK; d++) {
    const size_t GH = G * H;
    const size_t nbias = reset_after ? 2 * GH : GH;
    memset(bk, 0, 2 * GH * sizeof(float));
    if (desc->layout == ARNN_RNN_WEIGHTS_CUDNN) {
      cudnn_to_keras(E, H, G, is_lstm, desc->kernel[d], desc->recurrent_kernel[d], desc->bias[d], kk, rk, bk);
    } else {
      memcpy(kk, desc->kernel[d], E * GH * sizeof(float));
      memcpy(rk, desc->recurrent_kernel[d], H * GH * sizeof(float));
      if (desc->bias[d]) memcpy(bk, desc->bias[d], nbias * sizeof(float));
    }
    if (desc->weights == ARNN_RNN_WEIGHTS_BF16) {
      /* The input kernel's bf16 values, widened once: the float32 GEMM on
       * them gives the bits a bf16-reading GEMM would (widening is exact, the
       * GEMM's order fixed), and the GEMM reuses each panel over all the
       * call's rows, so its bytes do not limit it. W_hh, streamed whole every
       * step, stays bf16 (pack_bf16). Exact no-ops on bf16 values. */
      for (size_t i = 0; i < E * GH; i++) kk[i] = arnn_f32_round_bf16(kk[i]);
    }
    /* packed B columns and biases of this direction */
    for (size_t c = d * NG; c < (d + 1) * NG; c++) {
      size_t dd, g, u;
      column_of(l, c, &dd, &g, &u);
      const size_t p = c / 16, lane = c % 16;
      for (size_t k = 0; k < E; k++) l->bpack[(p * E + k) * 16 + lane] = u < H ? kk[k * GH + g * H + u] : 0.0f;
      float b = 0.0f;
      if (u < H) {
        b = bk[g * H + u];
        /* GRU reset_after: z and r take both biases; h keeps its recurrent
         * bias inside r * (h R_h + b_rec_h). */
        if (reset_after && g < 2) b += bk[GH + g * H + u];
      }
      l->bias[c] = b;
    }
    arnn_rnn_step_args *a = &l->args[d];
    a->H = H;
    a->Hp = Hp;
    a->ract = ract;
    a->reset_after = reset_after;
    if (is_lstm || reset_after) {
      l->w[d] = alloc_floats(Hp * H * G);
      if (!l->w[d]) {
        st = ARNN_ERR_OUT_OF_MEMORY;
        break;
      }
      arnn_rnn_pack_recurrent(rk, H, G, 0, G, l->w[d]);
      if (reset_after) {
        l->b_rec_h[d] = alloc_floats(Hp);
        if (!l->b_rec_h[d]) {
          st = ARNN_ERR_OUT_OF_MEMORY;
          break;
        }
        for (size_t u = 0; u < H; u++) l->b_rec_h[d][u] = bk[GH + 2 * H + u];
      }
    } else {
      l->w[d] = alloc_floats(Hp * H * 2);
      l->w_h[d] = alloc_floats(Hp * H);
      if (!l->w[d] || !l->w_h[d]) {
        st = ARNN_ERR_OUT_OF_MEMORY;
        break;
      }
      arnn_rnn_pack_recurrent(rk, H, G, 0, 2, l->w[d]);
      arnn_rnn_pack_recurrent(rk, H, G, 2, 1, l->w_h[d]);
    }
    a->w = l->w[d];
    a->w_h = l->w_h[d];
    a->b_rec_h = l->b_rec_h[d];
    if (desc->weights != ARNN_RNN_WEIGHTS_BF16 && dt->isa == ARNN_ISA_AVX512 &&
        (st = pack_grouped(l, d, G, is_lstm || reset_after)) != ARNN_OK)
      break;
    if (desc->weights == ARNN_RNN_WEIGHTS_BF16 && (st = pack_bf16(l, d, rk, is_lstm || reset_after)) != ARNN_OK) break;
  }
  free(kk);
  free(rk);
  free(bk);
  if (st == ARNN_OK && desc->embedding != NULL) {
    l->V = desc->vocab_size;
    if (fold) {
      /* P = table x kernel + bias for every token, both directions, with the
       * same GEMM kernel as the unfolded path: identical bits. */
      l->fold_ld = fold_ld;
      l->folded = alloc_floats(l->V * l->fold_ld);
      if (!l->folded)
        st = ARNN_ERR_OUT_OF_MEMORY;
      else {
        /* under FTZ/DAZ like the forward pass, so subnormal products round
         * the same way in both paths */
        const arnn_fpenv fpenv = arnn_fpenv_enter_ftz();
        l->gemm(l->V, N, E, desc->embedding, E, l->bpack, l->bias, l->folded, l->fold_ld);
        arnn_fpenv_restore(fpenv);
      }
    } else {
      l->table = alloc_floats(l->V * E);
      if (!l->table)
        st = ARNN_ERR_OUT_OF_MEMORY;
      else
        memcpy(l->table, desc->embedding, l->V * E * sizeof(float));
    }
  }
  if (st != ARNN_OK) {
    arnn_rnn_layer_destroy(l);
    return st;
  }
  *out = l;
  return ARNN_OK;
}

/* ---- forward ---- */

typedef struct {
  const arnn_rnn_layer *l;
  size_t B, T, groups, group_size;
  size_t dirs_per_item; /* 1, or D when one thread runs every item */
  const float *x;
  const int *ids;
  const unsigned char *mask;
  float *y;
  float *scratch;      /* scratch of (direction d, group g) at slot d * groups + g,
                          scratch + slot * item_floats */
  size_t item_floats;  /* floats per slot */
  void **ptr_scratch;  /* pointer arrays, slot at + slot * item_ptrs */
  size_t item_ptrs;
} fwd_ctx;

/* A direction's packed input kernel B (NG x E floats) up to this size stays
 * in L2 beside W_hh from one timestep to the next. A larger one, read again
 * during the steps (projection pieces, or a GEMM call per timestep), comes
 * from L3 every time, where it competes with W_hh and evicts it from L2;
 * there the one GEMM before the steps, which reads each group of B's panels
 * once for all rows, does better (pipelines, chunks_projection). */
#define INPUT_KERNEL_L2_BYTES ((size_t)256 << 10)
static int input_kernel_stays_in_l2(const arnn_rnn_layer *l) {
  return l->NG * l->E * sizeof(float) <= INPUT_KERNEL_L2_BYTES;
}

/* One sequence with dense input on kernels that take projection pieces:
 * the projection runs during the steps (dir_run, side_piece). Not where
 * the pieces would be much longer than the step: beyond twice its k-loop
 * iterations (tiles of four blocks: H * ceil(Hp / 64)) most of a piece runs
 * alone after its step, and the one GEMM before the steps was as fast (elmo,
 * E = 1024: 0.94 against 0.95 ms). Nor where B does not stay in L2
 * (input_kernel_stays_in_l2). Measured at T = 100, E = 300, H = 512 (B 2.4
 * MiB; rnn-peers-bench large b1 t1, two alternated runs, medians of 3) on an
 * Intel Xeon with 2 MiB L2 and 28 GB/s of L3 per core: pieces against the
 * one GEMM, LSTM 22.9-23.3 against 20.5-20.6 ms, GRU 13.9-14.3 against
 * 12.2-12.6, bf16 W_hh 9.3-9.7 against 7.4-8.0 and 5.2-5.4 against 4.4-4.6
 * (two cores, b1 t2: LSTM 11.6-11.7 against 10.6, bf16 5.0-5.2 against
 * 3.9-4.0); on a Zen 4 (1 MiB L2, 88 GB/s of L3 per core) the pieces had won 2-7%
 * there (bf16 LSTM 7.68 -> 7.16 ms, float32 LSTM unchanged). */
static int pipelines(const arnn_rnn_layer *l, size_t T, size_t gs) {
  const size_t R = ARNN_RNN_SIDE_ROWS;
  const size_t piece_k = (l->NG / 16 + R - 1) / R * l->E, step_k = l->H * ((l->Hp + 63) / 64);
  return gs == 1 && l->side_projection && T / R >= 2 && piece_k <= 2 * step_k && input_kernel_stays_in_l2(l);
}

/* Groups of at least XP_CHUNK_MIN_GROUP sequences project XP_CHUNK timesteps
 * at a time into a ring of that many rows per sequence (dir_step), one GEMM
 * call per timestep over the group's sequences, instead of all T rows before
 * the steps: the rows are read while still in cache, and the projection of
 * a whole batch (52 MB at imdb batch 32) no longer goes out to memory and
 * back. Measured (rnn-peers-bench imdb b32 t1, Zen 4, two alternated runs
 * each): LSTM 55.6-58.9 -> 49.8-52.8 ms, GRU 40.3-42.1 -> 36.2-39.8 ms;
 * elmo and large unchanged. Smaller groups keep the one GEMM (a call per
 * timestep would reuse each weight of B over too few rows). So does a
 * direction whose B does not stay in L2 (input_kernel_stays_in_l2): a call
 * per timestep reads all of B. Measured (rnn-peers-bench b32 t1, an Intel
 * Xeon with 2 MiB L2 and 28 GB/s of L3 per core, two alternated runs each,
 * medians of 3): elmo (B 2 MiB) LSTM 18.0-18.7 -> 15.7-17.1 ms, GRU
 * 12.8-12.9 -> 11.4-11.8; large (2.4 MiB) LSTM 133-134 -> 124-133, GRU
 * 103-110 -> 100-110; imdb (100 KiB, still chunked) unchanged. */
#define XP_CHUNK 8
#define XP_CHUNK_MIN_GROUP 8
static int chunks_projection(const arnn_rnn_layer *l, size_t T, size_t gs) {
  return !pipelines(l, T, gs) && gs >= XP_CHUNK_MIN_GROUP && T > XP_CHUNK && input_kernel_stays_in_l2(l);
}

/* Floats of scratch one (direction, group) slot needs for gs sequences. */
static int item_scratch(const arnn_rnn_layer *l, size_t T, size_t gs, int gemm_rows, int gather, size_t *floats) {
  size_t rows, xp = 0, a = 0, st;
  if (!mul_ok(T, gs, &rows)) return 0;
  if (gemm_rows && !mul_ok(chunks_projection(l, T, gs) ? XP_CHUNK * gs : rows, l->NG, &xp)) return 0;
  if (gather && !mul_ok(rows, l->E, &a)) return 0;
  if (gemm_rows && pipelines(l, T, gs)) { /* dir_run.at */
    if (a > SIZE_MAX - l->E * ARNN_RNN_SIDE_ROWS) return 0;
    a += l->E * ARNN_RNN_SIDE_ROWS;
  }
  if (!mul_ok(gs, 4 * l->Hp, &st)) return 0;
  if (xp > SIZE_MAX - a || xp + a > SIZE_MAX - st - 64) return 0;
  *floats = (xp + a + st + 15) / 16 * 16;
  return 1;
}

/* One direction over one group of sequences: its input projection, then
 * its timesteps one call at a time (dir_step). */
typedef struct {
  const fwd_ctx *cx;
  /* the direction's step arguments for even and odd steps: copy 0 / copy 1
   * of w1 when the layer made them, else args[1] has reverse set */
  arnn_rnn_step_args args[2];
  size_t alternate; /* 1: step i takes args[i & 1]; 0: args[0] */
  /* Projection during the steps (one sequence, dense input, kernels that
   * take pieces): the rows go in chunks of R = ARNN_RNN_SIDE_ROWS timesteps
   * in the direction's order, and the R steps of chunk c compute chunk c + 1,
   * an R-th of its panels each (side_piece). A (input rows, T x E) and the
   * xp buffer are in time order. */
  int pipelined;
  arnn_rnn_side_gemm side;
  /* Projection a chunk at a time (chunks_projection): xpbuf is a ring of
   * XP_CHUNK timesteps x gs sequences, the chunk's timesteps from tlo in time
   * order. */
  int chunked;
  size_t tlo;
  const float *B, *bias; /* the direction's packed input kernel and bias */
  const float *A;
  float *at;  /* E x ARNN_RNN_SIDE_ROWS */
  size_t d, b0, gs;
  int folded, direct;
  float *xpbuf;
  float *hbuf, *cbuf, *sbuf;
  const float **xp, **hin, **hcur;
  float **hout, **cs, **scr;
  size_t *act;
} dir_run;

/* Projection and state of direction d for group grp, in scratch slot
 * d * groups + grp. */
static void dir_begin(dir_run *r, const fwd_ctx *cx, size_t d, size_t grp) {
  const arnn_rnn_layer *l = cx->l;
  const size_t slot = d * cx->groups + grp;
  const size_t b0 = grp * cx->group_size;
  const size_t b1 = b0 + cx->group_size < cx->B ? b0 + cx->group_size : cx->B;
  const size_t gs = b1 - b0, T = cx->T, Hp = l->Hp, NG = l->NG;
  r->cx = cx;
  r->d = d;
  for (int copy = 0; copy < 2; copy++) {
    r->args[copy] = l->args[d];
    r->args[copy].w1 = l->w1[d][copy];
    r->args[copy].w_h1 = l->w_h1[d][copy];
  }
  /* copies: alternated by a thread that runs this direction alone (with
   * both directions, their steps alternate instead); block order: always */
  r->args[1].reverse = !l->whh_in_l2;
  r->alternate = !l->whh_in_l2 || (cx->dirs_per_item == 1 && l->w1[d][0] != NULL);
  r->b0 = b0;
  r->gs = gs;
  r->pipelined = 0;
  r->chunked = 0;
  r->folded = cx->ids != NULL && l->folded != NULL;
  float *s = cx->scratch + slot * cx->item_floats;
  r->xpbuf = NULL;
  if (!r->folded) {
    float *xpbuf = s;
    s += (chunks_projection(l, T, gs) ? XP_CHUNK : T) * gs * NG;
    const float *A;
    if (cx->ids != NULL) { /* gather the embedding rows, then the same GEMM */
      float *a = s;
      s += T * gs * l->E;
      for (size_t i = 0; i < T * gs; i++)
        memcpy(a + i * l->E, l->table + (size_t)cx->ids[b0 * T + i] * l->E, l->E * sizeof(float));
      A = a;
    } else {
      A = cx->x + b0 * T * l->E;
    }
    const float *B = l->bpack + d * NG * l->E, *bias = l->bias + d * NG;
    const size_t R = ARNN_RNN_SIDE_ROWS, full = T / R;
    r->pipelined = pipelines(l, T, gs);
    r->chunked = chunks_projection(l, T, gs);
    r->A = A;
    r->B = B;
    r->bias = bias;
    if (r->pipelined) {
      /* now: the first chunk and the rows past the last full chunk (both
       * in time order); the rest during the steps (dir_step) */
      const size_t first = d == 0 ? 0 : T - R, rest = d == 0 ? full * R : 0, nrest = T - full * R;
      l->gemm(R, NG, l->E, A + first * l->E, l->E, B, bias, xpbuf + first * NG, NG);
      if (nrest > 0) l->gemm(nrest, NG, l->E, A + rest * l->E, l->E, B, bias, xpbuf + rest * NG, NG);
      r->at = s;
      s += l->E * R;
      r->side = (arnn_rnn_side_gemm){.K = l->E, .Bp = B, .bias = bias, .lda = l->E, .ldc = NG};
    } else if (!r->chunked) { /* chunked: dir_step */
      l->gemm(T * gs, NG, l->E, A, l->E, B, bias, xpbuf, NG);
    }
    r->xpbuf = xpbuf;
  }
  r->hbuf = s;
  r->cbuf = s + 2 * gs * Hp;
  r->sbuf = s + 3 * gs * Hp;
  memset(r->hbuf, 0, 4 * gs * Hp * sizeof(float));
  void **pp = cx->ptr_scratch + slot * cx->item_ptrs;
  r->xp = (const float **)pp;
  r->hin = (const float **)(pp + gs);
  r->hout = (float **)(pp + 2 * gs);
  r->cs = (float **)(pp + 3 * gs);
  r->scr = (float **)(pp + 4 * gs);
  r->hcur = (const float **)(pp + 5 * gs); /* current h per sequence */
  r->act = (size_t *)(pp + 6 * gs);
  /* With H == Hp the step writes h straight into its output row, which is
   * then the next step's input (an h row has no padding lanes to keep at
   * zero): no copy per step (measured 0.26 ms of a 20 ms elmo batch-32
   * call). Otherwise h alternates between two Hp-float buffers per sequence
   * and is copied out. Either way hcur[q] is the state a masked step keeps. */
  r->direct = l->H == Hp;
  for (size_t q = 0; q < gs; q++) r->hcur[q] = r->hbuf + 2 * q * Hp; /* zeros */
}

/* The projection piece of the direction's i-th step (dir_run, pipelined):
 * with chunks c of R = ARNN_RNN_SIDE_ROWS steps, step i of chunk c computes
 * the (i % R)-th R-th of chunk c + 1's panels; NULL in the last full chunk
 * and after it. */
static arnn_rnn_side_gemm *side_piece(dir_run *r, size_t i) {
  const arnn_rnn_layer *l = r->cx->l;
  const size_t R = ARNN_RNN_SIDE_ROWS, T = r->cx->T, c = i / R + 1, q = i % R;
  if (c >= T / R) return NULL;
  const size_t panels = l->NG / 16;
  const size_t t0 = r->d == 0 ? c * R : T - (c + 1) * R; /* the chunk's rows in time order */
  arnn_rnn_side_gemm *sg = &r->side;
  sg->A = r->A + t0 * l->E;
  sg->C = r->xpbuf + t0 * l->NG;
  if (q == 0) /* the chunk's rows k-major, for the kernels */
    for (size_t k = 0; k < l->E; k++)
      for (size_t j = 0; j < R; j++) r->at[k * R + j] = sg->A[j * l->E + k];
  sg->At = r->at;
  sg->p0 = q * panels / R;
  sg->p1 = (q + 1) * panels / R;
  sg->kdone = 0;
  return sg;
}

/* The i-th timestep this direction takes (t = i forward, T-1-i backward). */
static void dir_step(dir_run *r, size_t i) {
  const fwd_ctx *cx = r->cx;
  const arnn_rnn_layer *l = cx->l;
  const size_t d = r->d, T = cx->T, H = l->H, Hp = l->Hp, NG = l->NG, DH = l->D * H;
  const size_t t = d == 0 ? i : T - 1 - i;
  if (r->chunked && i % XP_CHUNK == 0) { /* the next chunk's rows, a timestep at a time over the group */
    const size_t n = T - i < XP_CHUNK ? T - i : XP_CHUNK;
    r->tlo = d == 0 ? i : T - i - n;
    for (size_t j = 0; j < n; j++)
      l->gemm(r->gs, NG, l->E, r->A + (r->tlo + j) * l->E, T * l->E, r->B, r->bias, r->xpbuf + j * r->gs * NG,
              NG);
  }
  size_t na = 0;
  for (size_t q = 0; q < r->gs; q++) {
    const size_t b = r->b0 + q;
    int keep = 1;
    if (cx->mask != NULL)
      keep = cx->mask[b * T + t] != 0;
    else if (cx->ids != NULL && l->mask_zero)
      keep = cx->ids[b * T + t] != 0;
    float *yrow = cx->y + (b * T + t) * DH + d * H;
    if (!keep) {
      if (l->masked_zero)
        memset(yrow, 0, H * sizeof(float));
      else
        memcpy(yrow, r->hcur[q], H * sizeof(float));
      continue;
    }
    float *pair = r->hbuf + 2 * q * Hp;
    r->xp[na] = r->folded    ? l->folded + (size_t)cx->ids[b * T + t] * l->fold_ld + d * NG
                : r->chunked ? r->xpbuf + ((t - r->tlo) * r->gs + q) * NG
                             : r->xpbuf + (q * T + t) * NG;
    r->hin[na] = r->hcur[q];
    r->hout[na] = r->direct ? yrow : r->hcur[q] == pair ? pair + Hp : pair;
    r->cs[na] = r->cbuf + q * Hp;
    r->scr[na] = r->sbuf + q * Hp;
    r->act[na] = q;
    na++;
  }
  arnn_rnn_step_args *args = &r->args[i & r->alternate];
  args->side = r->pipelined ? side_piece(r, i) : NULL;
  if (na > 0) {
    if (l->cell == ARNN_RNN_LSTM)
      l->lstm_step(args, na, r->xp, r->hin, r->cs, r->hout);
    else
      l->gru_step(args, na, r->xp, r->hin, r->hout, r->scr);
  }
  arnn_rnn_side_gemm *sg = args->side;
  if (sg != NULL && sg->p0 < sg->p1) /* a masked step, or a kernel that left it */
    l->gemm(ARNN_RNN_SIDE_ROWS, (sg->p1 - sg->p0) * 16, sg->K, sg->A, sg->lda, sg->Bp + sg->p0 * sg->K * 16,
            sg->bias + sg->p0 * 16, sg->C + sg->p0 * 16, sg->ldc);
  if (na == 0) return;
  for (size_t n = 0; n < na; n++) {
    const size_t q = r->act[n];
    r->hcur[q] = r->hout[n];
    if (!r->direct) memcpy(cx->y + ((r->b0 + q) * T + t) * DH + d * H, r->hout[n], H * sizeof(float));
  }
}

/* Item: directions [d0, d0 + cx->dirs_per_item) of one group. With two and
 * W_hh in L2, the steps alternate (forward t = i, backward t = T-1-i): one
 * direction's step streams its W_hh while the other's h dependency and
 * activations drain. Measured with the batch-1 step kernels (H = 128, T =
 * 400, one core): 1.30 ms against 1.58 ms for one direction after the other
 * (25th percentiles). With W_hh beyond L2, one after the other (whh_in_l2). */
static void run_item(void *arg, size_t item) {
  const fwd_ctx *cx = arg;
  const arnn_fpenv fpenv = arnn_fpenv_enter_ftz();
  const size_t nd = cx->dirs_per_item, grp = item % cx->groups, d0 = item / cx->groups * nd;
  dir_run runs[2];
  for (size_t k = 0; k < nd; k++) dir_begin(&runs[k], cx, d0 + k, grp);
  if (cx->l->whh_in_l2) {
    for (size_t i = 0; i < cx->T; i++)
      for (size_t k = 0; k < nd; k++) dir_step(&runs[k], i);
  } else { /* see whh_in_l2 */
    for (size_t k = 0; k < nd; k++)
      for (size_t i = 0; i < cx->T; i++) dir_step(&runs[k], i);
  }
  arnn_fpenv_restore(fpenv);
}

static arnn_status forward(const arnn_rnn_layer *l, arnn_threadpool *pool, size_t B, size_t T, const float *x,
                           const int *ids, const unsigned char *mask, float *y) {
  size_t n, bt;
  if (!mul_ok(B, T, &bt) || !mul_ok(bt, l->D * l->H, &n) || !mul_ok(n, sizeof(float), &n))
    return ARNN_ERR_INVALID_ARGUMENT;
  if (x && (!mul_ok(bt, l->E, &n) || !mul_ok(n, sizeof(float), &n))) return ARNN_ERR_INVALID_ARGUMENT;
  if (ids) {
    for (size_t i = 0; i < bt; i++)
      if (ids[i] < 0 || (size_t)ids[i] >= l->V) return ARNN_ERR_OUT_OF_RANGE;
  }
  const size_t threads = arnn_threadpool_size(pool);
  size_t groups = (threads + l->D - 1) / l->D;
  if (groups > B) groups = B;
  if (groups == 0) groups = 1;
  const size_t gs = (B + groups - 1) / groups;
  groups = (B + gs - 1) / gs;
  /* One thread: each item takes both directions of its group, interleaved
   * step by step (run_item). Scratch stays per direction and group. */
  const size_t dirs_per_item = threads < 2 ? l->D : 1;
  const size_t items = l->D * groups / dirs_per_item;
  fwd_ctx cx = {l, B, T, groups, gs, dirs_per_item, x, ids, mask, y, NULL, 0, NULL, 0};
  const int folded = ids != NULL && l->folded != NULL;
  if (!item_scratch(l, T, gs, !folded, ids != NULL && !folded, &cx.item_floats)) return ARNN_ERR_INVALID_ARGUMENT;
  size_t total;
  const size_t slots = l->D * groups;
  if (!mul_ok(cx.item_floats, slots, &total)) return ARNN_ERR_INVALID_ARGUMENT;
  cx.item_ptrs = 7 * gs + 1;
  const size_t nptrs = slots * cx.item_ptrs;
  arnn_rnn_layer *mut = (arnn_rnn_layer *)l; /* only the cache slot is touched */
  scratch_block *blk = atomic_exchange(&mut->cache, NULL);
  if (blk == NULL || blk->floats < total || blk->ptrs < nptrs) {
    scratch_free(blk);
    blk = calloc(1, sizeof *blk);
    if (blk != NULL) {
      blk->floats = total;
      blk->ptrs = nptrs;
      blk->f = alloc_floats_maybe_zeroed(total, 0);
      blk->p = calloc(nptrs, sizeof(void *));
    }
    if (blk == NULL || blk->f == NULL || blk->p == NULL) {
      scratch_free(blk);
      return ARNN_ERR_OUT_OF_MEMORY;
    }
  }
  cx.scratch = blk->f;
  cx.ptr_scratch = blk->p;
  arnn_threadpool_run(pool, items, run_item, &cx);
  scratch_block *empty = NULL;
  if (!atomic_compare_exchange_strong(&mut->cache, &empty, blk)) scratch_free(blk);
  return ARNN_OK;
}

arnn_status arnn_rnn_layer_forward(const arnn_rnn_layer *l, arnn_threadpool *pool, size_t batch, size_t steps,
                                   const float *x, const unsigned char *mask, float *y) {
  if (l == NULL || x == NULL || y == NULL || batch == 0 || steps == 0) return ARNN_ERR_INVALID_ARGUMENT;
  return forward(l, pool, batch, steps, x, NULL, mask, y);
}

arnn_status arnn_rnn_layer_forward_ids(const arnn_rnn_layer *l, arnn_threadpool *pool, size_t batch, size_t steps,
                                       const int *ids, const unsigned char *mask, float *y) {
  if (l == NULL || ids == NULL || y == NULL || batch == 0 || steps == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (l->V == 0) return ARNN_ERR_INVALID_ARGUMENT;
  return forward(l, pool, batch, steps, NULL, ids, mask, y);
}
