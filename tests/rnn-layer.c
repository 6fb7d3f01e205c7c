/* The recurrent layer (arnn_rnn_layer_*) against the double-precision Keras
 * reference in rnn-ref.c, through the public API and the dispatched kernels
 * (ctest runs this once per ARNN_ISA cap, so every ISA path is covered):
 *  - LSTM, GRU reset_after 0/1; sigmoid, hard_sigmoid Keras 2 and 3; uni- and
 *    bidirectional; both masked-output modes; masks with front and end
 *    padding, length 0, full length and holes; odd sizes (E=13, H=37, T=29),
 *    H=1, T=1, E=1, batch 1..11 (from 8 sequences the projection goes a chunk
 *    of timesteps at a time); inputs that saturate every gate.
 *    Tolerance: |y - ref| <= 1e-5 absolute on every output (the outputs are
 *    in [-1, 1]; float accumulation and <= 2 ULP activations stay far below).
 *  - CuDNN layouts: weights built from Keras-layout ones by applying Keras'
 *    conversion backwards (written independently of the library) give the same
 *    bits as the Keras-layout layer; and a fixture computed by numpy with
 *    Keras' formulas (rnn-cudnn-fixture.h).
 *  - Token ids: folded and unfolded embedding give the same bits, and the same
 *    bits as the dense forward on the gathered rows; mask_zero; out-of-range
 *    ids rejected with nothing written.
 *  - One sequence with dense input (the projection computed during the
 *    steps on some kernels): the bits of the same sequence in a batch, for
 *    both weight types, masked steps included.
 *  - Thread pools of 1..3 threads and concurrent calls from 4 threads on one
 *    layer give the same bits as a serial call; the caller's MXCSR survives.
 *  - Bad arguments return the documented statuses. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "arnn/arnn.h"
#include "rnn-cudnn-fixture.h"
#include "rnn-ref.h"
#include "test-util.h"

static int failures;
#include "check.h"

#define TOL 1e-5

static uint64_t rng = 0x5eed0103ULL;

static float *rnd(size_t n, float a) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = test_rand_uniform(&rng, -a, a);
  return p;
}

typedef struct {
  int lstm, reset_after, ract, bidir, masked_zero;
  size_t E, H;
  float *k[2], *r[2], *b[2];
} weights;

static void make_weights(weights *w, int lstm, int reset_after, int ract, int bidir, int masked_zero, size_t E,
                         size_t H, float scale, int with_bias) {
  memset(w, 0, sizeof *w);
  w->lstm = lstm;
  w->reset_after = reset_after;
  w->ract = ract;
  w->bidir = bidir;
  w->masked_zero = masked_zero;
  w->E = E;
  w->H = H;
  const size_t G = lstm ? 4 : 3;
  for (int d = 0; d < (bidir ? 2 : 1); d++) {
    w->k[d] = rnd(E * G * H, scale / sqrtf((float)E));
    w->r[d] = rnd(H * G * H, scale / sqrtf((float)H));
    w->b[d] = with_bias ? rnd((!lstm && reset_after ? 2 : 1) * G * H, 0.5f) : NULL;
  }
}

static void free_weights(weights *w) {
  for (int d = 0; d < 2; d++) {
    free(w->k[d]);
    free(w->r[d]);
    free(w->b[d]);
  }
}

static void fill_desc(arnn_rnn_layer_desc *desc, const weights *w) {
  arnn_rnn_layer_desc_init(desc);
  desc->cell = w->lstm ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
  desc->input_size = w->E;
  desc->units = w->H;
  desc->bidirectional = w->bidir;
  desc->recurrent_activation = (arnn_rnn_activation)w->ract;
  desc->reset_after = w->reset_after;
  desc->masked_output = w->masked_zero ? ARNN_RNN_MASKED_ZERO : ARNN_RNN_MASKED_PREVIOUS;
  for (int d = 0; d < 2; d++) {
    desc->kernel[d] = w->k[d];
    desc->recurrent_kernel[d] = w->r[d];
    desc->bias[d] = w->b[d];
  }
}

static ref_rnn make_ref(const weights *w) {
  ref_rnn r = {w->lstm, w->reset_after, w->ract, w->bidir, w->masked_zero, w->E, w->H, {0}, {0}, {0}};
  for (int d = 0; d < 2; d++) {
    r.kernel[d] = w->k[d];
    r.recurrent[d] = w->r[d];
    r.bias[d] = w->b[d];
  }
  return r;
}

/* mask patterns per sequence q: all kept, front padding, end padding, length
 * 0, holes; NULL mask when pattern == -1 */
static unsigned char *make_mask(size_t B, size_t T, int pattern) {
  if (pattern < 0) return NULL;
  unsigned char *m = malloc(B * T);
  for (size_t q = 0; q < B; q++) {
    const int p = (int)((q + (size_t)pattern) % 5);
    const size_t len = T * (q + 1) / (B + 1);
    for (size_t t = 0; t < T; t++) {
      unsigned char v = 1;
      if (p == 1) v = t >= T - len;     /* front padding (Keras pad_sequences) */
      if (p == 2) v = t < len;          /* end padding */
      if (p == 3) v = 0;                /* length 0 */
      if (p == 4) v = (t * 7 + q) % 3 != 0; /* holes */
      m[q * T + t] = v;
    }
  }
  return m;
}

static double max_err(const float *y, const double *ref, size_t n) {
  double e = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double d = fabs((double)y[i] - ref[i]);
    if (!(d <= e)) e = d; /* NaN becomes the error */
  }
  return e;
}

/* One configuration against the reference, plus thread pools and CuDNN. */
static void check_config(const weights *w, size_t B, size_t T, float xscale, int mask_pattern,
                         arnn_threadpool **pools, size_t npools) {
  arnn_rnn_layer_desc desc;
  fill_desc(&desc, w);
  arnn_rnn_layer *layer = NULL;
  arnn_status st = arnn_rnn_layer_create(&desc, &layer);
  CHECK(st == ARNN_OK, "create: %s", arnn_status_str(st));
  if (st != ARNN_OK) return;
  const size_t DH = arnn_rnn_layer_output_size(layer);
  CHECK(DH == (w->bidir ? 2 : 1) * w->H, "output size");
  float *x = rnd(B * T * w->E, xscale);
  unsigned char *mask = make_mask(B, T, mask_pattern);
  float *y = malloc(B * T * DH * sizeof(float)), *y2 = malloc(B * T * DH * sizeof(float));
  double *ref = malloc(B * T * DH * sizeof(double));
  ref_rnn r = make_ref(w);
  ref_rnn_forward(&r, B, T, x, mask, ref);
  st = arnn_rnn_layer_forward(layer, NULL, B, T, x, mask, y);
  CHECK(st == ARNN_OK, "forward: %s", arnn_status_str(st));
  const double e = max_err(y, ref, B * T * DH);
  CHECK(e <= TOL, "%s reset_after=%d ract=%d bidir=%d mz=%d E=%zu H=%zu B=%zu T=%zu x=%g mask=%d: max err %.3g",
        w->lstm ? "LSTM" : "GRU", w->reset_after, w->ract, w->bidir, w->masked_zero, w->E, w->H, B, T, xscale,
        mask_pattern, e);
  for (size_t p = 0; p < npools; p++) {
    memset(y2, 0xff, B * T * DH * sizeof(float));
    st = arnn_rnn_layer_forward(layer, pools[p], B, T, x, mask, y2);
    CHECK(st == ARNN_OK && memcmp(y, y2, B * T * DH * sizeof(float)) == 0, "pool of %zu threads: different bits",
          arnn_threadpool_size(pools[p]));
  }
  /* every sequence alone gives the same bits as in the batch */
  if (B > 1) {
    for (size_t q = 0; q < B; q++) {
      st = arnn_rnn_layer_forward(layer, NULL, 1, T, x + q * T * w->E, mask ? mask + q * T : NULL, y2);
      CHECK(st == ARNN_OK && memcmp(y + q * T * DH, y2, T * DH * sizeof(float)) == 0,
            "sequence %zu alone differs from the batch", q);
    }
  }
  arnn_rnn_layer_destroy(layer);
  free(x);
  free(mask);
  free(y);
  free(y2);
  free(ref);
}

/* One sequence with dense input: on the kernels that take projection pieces
 * (rnn-step.h) the layer computes the input projection during the steps, a
 * chunk ahead, and with the GEMM where a step is masked. Each sequence alone
 * must give the bits of the batch (whose projection is one GEMM before the
 * steps), for every cell and weight type, with and without a pool. Shapes
 * {E, H, T}: T around the chunks of 8 rows; E from 1 (many pieces per tile)
 * to 30 (a piece parked between tiles and finished after the step); one to
 * eight blocks of 16 units; odd panel counts (GRU); E = 300, where the layer
 * projects before the steps (pieces much longer than the step), and E = 130
 * with H = 144, where it does too (the LSTM's input kernel, 292 KiB, does
 * not stay in L2). */
static void check_projection_during_steps(arnn_threadpool *pool) {
  const size_t shapes[][3] = {{3, 16, 16}, {12, 37, 17}, {30, 16, 40},  {7, 128, 31},
                              {1, 5, 24},  {20, 20, 64}, {300, 16, 40}, {130, 144, 20}};
  const size_t B = 2;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int cell = 0; cell < 3; cell++)
      for (int bf16 = 0; bf16 < 2; bf16++) {
        const size_t E = shapes[s][0], H = shapes[s][1], T = shapes[s][2];
        weights w;
        make_weights(&w, cell == 0, cell == 1, 0, 1, 0, E, H, 1.0f, 1);
        arnn_rnn_layer_desc desc;
        fill_desc(&desc, &w);
        desc.weights = bf16 ? ARNN_RNN_WEIGHTS_BF16 : ARNN_RNN_WEIGHTS_F32;
        arnn_rnn_layer *layer = NULL;
        CHECK(arnn_rnn_layer_create(&desc, &layer) == ARNN_OK, "create");
        if (layer == NULL) {
          free_weights(&w);
          continue;
        }
        const size_t DH = 2 * H;
        float *x = rnd(B * T * E, 1.0f);
        unsigned char *mask = make_mask(B, T, (int)(s + bf16) % 2 ? 4 : -1); /* holes: masked steps at batch 1 */
        float *y = malloc(B * T * DH * sizeof(float)), *y1 = malloc(T * DH * sizeof(float));
        CHECK(arnn_rnn_layer_forward(layer, NULL, B, T, x, mask, y) == ARNN_OK, "forward");
        for (size_t q = 0; q < B; q++)
          for (int with_pool = 0; with_pool < 2; with_pool++) {
            memset(y1, 0xff, T * DH * sizeof(float));
            const arnn_status st = arnn_rnn_layer_forward(layer, with_pool ? pool : NULL, 1, T, x + q * T * E,
                                                          mask ? mask + q * T : NULL, y1);
            CHECK(st == ARNN_OK && memcmp(y + q * T * DH, y1, T * DH * sizeof(float)) == 0,
                  "%s bf16=%d E=%zu H=%zu T=%zu mask=%d pool=%d: sequence %zu alone differs from the batch",
                  cell == 0 ? "LSTM" : cell == 1 ? "GRU reset_after=1" : "GRU reset_after=0", bf16, E, H, T,
                  mask != NULL, with_pool, q);
          }
        arnn_rnn_layer_destroy(layer);
        free(x);
        free(mask);
        free(y);
        free(y1);
        free_weights(&w);
      }
}

/* Keras' CuDNN conversion backwards (from_cudnn = False in
 * _convert_rnn_weights): kernel gate block k [E,H] -> k.T.reshape((E,H),
 * order='C'), i.e. flat[h*E + e] = k[e][h]; recurrent blocks transposed; LSTM
 * bias split into an input and a recurrent half (any split whose float sum is
 * the Keras bias: here a random input half and Keras bias = in + rec). */
static void check_cudnn(int lstm) {
  const size_t E = 13, H = 37, G = lstm ? 4 : 3, GH = G * H, B = 2, T = 9;
  weights w;
  make_weights(&w, lstm, 1, 0, 1, 0, E, H, 1.0f, 1);
  float *ck[2], *cr[2], *cb[2];
  for (int d = 0; d < 2; d++) {
    ck[d] = malloc(E * GH * sizeof(float));
    cr[d] = malloc(H * GH * sizeof(float));
    cb[d] = malloc(2 * GH * sizeof(float));
    for (size_t g = 0; g < G; g++) {
      for (size_t e = 0; e < E; e++)
        for (size_t h = 0; h < H; h++) {
          const size_t i = h * E + e; /* flat index in the CuDNN block */
          ck[d][(i / H) * GH + g * H + i % H] = w.k[d][e * GH + g * H + h];
        }
      for (size_t a = 0; a < H; a++)
        for (size_t b = 0; b < H; b++) cr[d][a * GH + g * H + b] = w.r[d][b * GH + g * H + a];
    }
    if (lstm) {
      for (size_t i = 0; i < GH; i++) {
        cb[d][i] = test_rand_uniform(&rng, -0.5f, 0.5f);
        cb[d][GH + i] = test_rand_uniform(&rng, -0.5f, 0.5f);
        w.b[d][i] = cb[d][i] + cb[d][GH + i];
      }
    } else {
      memcpy(cb[d], w.b[d], 2 * GH * sizeof(float));
    }
  }
  arnn_rnn_layer_desc desc;
  fill_desc(&desc, &w);
  arnn_rnn_layer *keras = NULL, *cudnn = NULL;
  CHECK(arnn_rnn_layer_create(&desc, &keras) == ARNN_OK, "create keras");
  desc.layout = ARNN_RNN_WEIGHTS_CUDNN;
  for (int d = 0; d < 2; d++) {
    desc.kernel[d] = ck[d];
    desc.recurrent_kernel[d] = cr[d];
    desc.bias[d] = cb[d];
  }
  CHECK(arnn_rnn_layer_create(&desc, &cudnn) == ARNN_OK, "create cudnn");
  if (!lstm) {
    desc.reset_after = 0;
    arnn_rnn_layer *bad = (arnn_rnn_layer *)1;
    CHECK(arnn_rnn_layer_create(&desc, &bad) == ARNN_ERR_UNSUPPORTED && bad == NULL, "cudnn gru reset_before");
  }
  float *x = rnd(B * T * E, 1.0f), *y1 = malloc(B * T * 2 * H * 4), *y2 = malloc(B * T * 2 * H * 4);
  double *ref = malloc(B * T * 2 * H * sizeof(double));
  if (keras && cudnn) {
    arnn_rnn_layer_forward(keras, NULL, B, T, x, NULL, y1);
    arnn_rnn_layer_forward(cudnn, NULL, B, T, x, NULL, y2);
    CHECK(memcmp(y1, y2, B * T * 2 * H * 4) == 0, "cudnn %s layout differs from keras layout", lstm ? "LSTM" : "GRU");
    ref_rnn r = make_ref(&w);
    ref_rnn_forward(&r, B, T, x, NULL, ref);
    CHECK(max_err(y2, ref, B * T * 2 * H) <= TOL, "cudnn vs reference");
  }
  arnn_rnn_layer_destroy(keras);
  arnn_rnn_layer_destroy(cudnn);
  for (int d = 0; d < 2; d++) {
    free(ck[d]);
    free(cr[d]);
    free(cb[d]);
  }
  free(x);
  free(y1);
  free(y2);
  free(ref);
  free_weights(&w);
}

/* The conversion against numbers numpy computed with Keras' own formulas
 * (rnn-cudnn-fixture.h): the CuDNN-layout layer and the Keras-layout layer
 * built from numpy's result give the same bits. E = 3 != H = 2, so a
 * transposed-instead-of-reshaped input kernel would show. */
static void check_cudnn_fixture(int lstm) {
  const size_t E = 3, H = 2, B = 2, T = 5;
  arnn_rnn_layer_desc desc;
  arnn_rnn_layer_desc_init(&desc);
  desc.cell = lstm ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
  desc.input_size = E;
  desc.units = H;
  desc.reset_after = 1;
  desc.kernel[0] = lstm ? fx_lstm_k : fx_gru_k;
  desc.recurrent_kernel[0] = lstm ? fx_lstm_r : fx_gru_r;
  desc.bias[0] = lstm ? fx_lstm_b : fx_gru_b;
  arnn_rnn_layer *keras = NULL, *cudnn = NULL;
  CHECK(arnn_rnn_layer_create(&desc, &keras) == ARNN_OK, "fixture keras");
  desc.layout = ARNN_RNN_WEIGHTS_CUDNN;
  desc.kernel[0] = lstm ? fx_lstm_ck : fx_gru_ck;
  desc.recurrent_kernel[0] = lstm ? fx_lstm_cr : fx_gru_cr;
  desc.bias[0] = lstm ? fx_lstm_cb : fx_gru_cb;
  CHECK(arnn_rnn_layer_create(&desc, &cudnn) == ARNN_OK, "fixture cudnn");
  float *x = rnd(B * T * E, 2.0f), y1[2 * 5 * 2], y2[2 * 5 * 2];
  if (keras && cudnn) {
    CHECK(arnn_rnn_layer_forward(keras, NULL, B, T, x, NULL, y1) == ARNN_OK, "fixture forward");
    CHECK(arnn_rnn_layer_forward(cudnn, NULL, B, T, x, NULL, y2) == ARNN_OK, "fixture forward");
    CHECK(memcmp(y1, y2, sizeof y1) == 0, "%s: CuDNN conversion differs from numpy's", lstm ? "LSTM" : "GRU");
  }
  arnn_rnn_layer_destroy(keras);
  arnn_rnn_layer_destroy(cudnn);
  free(x);
}

static void check_ids(int lstm, int reset_after) {
  const size_t E = 13, H = 37, V = 23, B = 9, T = 17, DH = 2 * H;
  weights w;
  make_weights(&w, lstm, reset_after, 1, 1, 0, E, H, 1.0f, 1);
  float *table = rnd(V * E, 1.0f);
  /* subnormal entries: the fold (at creation) and the forward pass must treat
   * them the same way (both run under FTZ/DAZ) */
  table[E + 1] = 1e-39f;
  table[2 * E + 3] = -3e-40f;
  int *ids = malloc(B * T * sizeof(int));
  for (size_t i = 0; i < B * T; i++) ids[i] = (int)(test_rand_u64(&rng) % V);
  for (size_t t = 0; t < 5; t++) ids[t] = 0; /* front padding in sequence 0 */
  for (size_t t = T - 6; t < T; t++) ids[T + t] = 0; /* end padding in sequence 1 */
  for (size_t t = 0; t < T; t++) ids[2 * T + t] = 0; /* length 0 */
  arnn_rnn_layer_desc desc;
  fill_desc(&desc, &w);
  desc.embedding = table;
  desc.vocab_size = V;
  desc.mask_zero = 1;
  arnn_rnn_layer *folded = NULL, *plain = NULL;
  CHECK(arnn_rnn_layer_create(&desc, &folded) == ARNN_OK, "create folded");
  desc.fold_budget = 0;
  CHECK(arnn_rnn_layer_create(&desc, &plain) == ARNN_OK, "create unfolded");
  if (!folded || !plain) return;
  CHECK(arnn_rnn_layer_is_folded(folded) == 1 && arnn_rnn_layer_is_folded(plain) == 0, "fold decision");
  float *x = malloc(B * T * E * sizeof(float));
  unsigned char *mask = malloc(B * T);
  for (size_t i = 0; i < B * T; i++) {
    memcpy(x + i * E, table + (size_t)ids[i] * E, E * sizeof(float));
    mask[i] = ids[i] != 0;
  }
  const size_t n = B * T * DH;
  float *y1 = malloc(n * 4), *y2 = malloc(n * 4), *y3 = malloc(n * 4);
  double *ref = malloc(n * sizeof(double));
  CHECK(arnn_rnn_layer_forward_ids(folded, NULL, B, T, ids, NULL, y1) == ARNN_OK, "forward_ids folded");
  CHECK(arnn_rnn_layer_forward_ids(plain, NULL, B, T, ids, NULL, y2) == ARNN_OK, "forward_ids unfolded");
  CHECK(arnn_rnn_layer_forward(plain, NULL, B, T, x, mask, y3) == ARNN_OK, "forward dense");
  CHECK(memcmp(y1, y2, n * 4) == 0, "folded != unfolded bits");
  CHECK(memcmp(y1, y3, n * 4) == 0, "folded != dense forward on gathered rows");
  ref_rnn r = make_ref(&w);
  ref_rnn_forward(&r, B, T, x, mask, ref);
  CHECK(max_err(y1, ref, n) <= TOL, "ids vs reference: %.3g", max_err(y1, ref, n));
  /* an explicit all-ones mask overrides mask_zero */
  memset(mask, 1, B * T);
  ref_rnn_forward(&r, B, T, x, mask, ref);
  CHECK(arnn_rnn_layer_forward_ids(folded, NULL, B, T, ids, mask, y1) == ARNN_OK, "forward_ids mask");
  CHECK(max_err(y1, ref, n) <= TOL, "ids with explicit mask vs reference");
  /* out of range: nothing written */
  for (int bad = 0; bad < 2; bad++) {
    ids[B * T - 1] = bad ? (int)V : -1;
    memset(y1, 0x5a, n * 4);
    memcpy(y2, y1, n * 4);
    CHECK(arnn_rnn_layer_forward_ids(folded, NULL, B, T, ids, NULL, y1) == ARNN_ERR_OUT_OF_RANGE, "bad id folded");
    CHECK(arnn_rnn_layer_forward_ids(plain, NULL, B, T, ids, NULL, y1) == ARNN_ERR_OUT_OF_RANGE, "bad id plain");
    CHECK(memcmp(y1, y2, n * 4) == 0, "bad id: output written");
  }
  arnn_rnn_layer_destroy(folded);
  arnn_rnn_layer_destroy(plain);
  free(table);
  free(ids);
  free(x);
  free(mask);
  free(y1);
  free(y2);
  free(y3);
  free(ref);
  free_weights(&w);
}

typedef struct {
  const arnn_rnn_layer *layer;
  arnn_threadpool *pool;
  size_t B, T;
  const float *x;
  const unsigned char *mask;
  const float *expect;
  size_t n;
  int bad;
} conc_arg;

static void *conc_main(void *p) {
  conc_arg *a = p;
  float *y = malloc(a->n * sizeof(float));
  for (int it = 0; it < 6; it++) {
    if (arnn_rnn_layer_forward(a->layer, a->pool, a->B, a->T, a->x, a->mask, y) != ARNN_OK ||
        memcmp(y, a->expect, a->n * sizeof(float)) != 0)
      a->bad++;
  }
  free(y);
  return NULL;
}

static void check_concurrent(arnn_threadpool *pool) {
  const size_t E = 13, H = 37, B = 3, T = 29, n = B * T * 2 * H;
  weights w;
  make_weights(&w, 1, 0, 0, 1, 0, E, H, 1.0f, 1);
  arnn_rnn_layer_desc desc;
  fill_desc(&desc, &w);
  arnn_rnn_layer *layer = NULL;
  CHECK(arnn_rnn_layer_create(&desc, &layer) == ARNN_OK, "create");
  float *x = rnd(B * T * E, 1.0f), *expect = malloc(n * 4);
  unsigned char *mask = make_mask(B, T, 1);
  arnn_rnn_layer_forward(layer, NULL, B, T, x, mask, expect);
  pthread_t th[4];
  conc_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (conc_arg){layer, i % 2 ? pool : NULL, B, T, x, mask, expect, n, 0};
    pthread_create(&th[i], NULL, conc_main, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK(args[i].bad == 0, "concurrent caller %d got different bits %d times", i, args[i].bad);
  }
  arnn_rnn_layer_destroy(layer);
  free(x);
  free(expect);
  free(mask);
  free_weights(&w);
}

static void check_bad_args(void) {
  const size_t E = 3, H = 5;
  weights w;
  make_weights(&w, 1, 0, 0, 0, 0, E, H, 1.0f, 1);
  arnn_rnn_layer_desc desc;
  arnn_rnn_layer *layer = (arnn_rnn_layer *)1;
  CHECK(arnn_rnn_layer_create(NULL, &layer) == ARNN_ERR_INVALID_ARGUMENT && layer == NULL, "NULL desc");
  fill_desc(&desc, &w);
  CHECK(arnn_rnn_layer_create(&desc, NULL) == ARNN_ERR_INVALID_ARGUMENT, "NULL out");
#define BAD(field, value, expect)                                                                \
  do {                                                                                           \
    fill_desc(&desc, &w);                                                                        \
    desc.field = value;                                                                          \
    layer = (arnn_rnn_layer *)1;                                                                 \
    CHECK(arnn_rnn_layer_create(&desc, &layer) == expect && layer == NULL, "bad " #field);       \
  } while (0)
  BAD(input_size, 0, ARNN_ERR_INVALID_ARGUMENT);
  BAD(units, 0, ARNN_ERR_INVALID_ARGUMENT);
  BAD(units, SIZE_MAX / 2, ARNN_ERR_INVALID_ARGUMENT);
  BAD(units, (size_t)1 << 40, ARNN_ERR_INVALID_ARGUMENT);
  BAD(input_size, SIZE_MAX / 3, ARNN_ERR_INVALID_ARGUMENT);
  BAD(kernel[0], NULL, ARNN_ERR_INVALID_ARGUMENT);
  BAD(recurrent_kernel[0], NULL, ARNN_ERR_INVALID_ARGUMENT);
  BAD(bidirectional, 1, ARNN_ERR_INVALID_ARGUMENT); /* no backward weights */
  BAD(cell, (arnn_rnn_cell)7, ARNN_ERR_INVALID_ARGUMENT);
  BAD(recurrent_activation, (arnn_rnn_activation)3, ARNN_ERR_INVALID_ARGUMENT);
  BAD(layout, (arnn_rnn_weights_layout)2, ARNN_ERR_INVALID_ARGUMENT);
  BAD(masked_output, (arnn_rnn_masked_output)2, ARNN_ERR_INVALID_ARGUMENT);
  BAD(embedding, w.k[0], ARNN_ERR_INVALID_ARGUMENT); /* vocab_size 0 */
#undef BAD
  fill_desc(&desc, &w);
  desc.embedding = w.k[0];
  desc.vocab_size = SIZE_MAX / 2;
  CHECK(arnn_rnn_layer_create(&desc, &layer) == ARNN_ERR_INVALID_ARGUMENT, "vocab overflow");
  fill_desc(&desc, &w);
  CHECK(arnn_rnn_layer_create(&desc, &layer) == ARNN_OK, "create");
  float x[3 * 4] = {0}, y[5 * 4];
  int ids[4] = {0};
  CHECK(arnn_rnn_layer_forward(NULL, NULL, 1, 4, x, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "NULL layer");
  CHECK(arnn_rnn_layer_forward(layer, NULL, 1, 4, NULL, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "NULL x");
  CHECK(arnn_rnn_layer_forward(layer, NULL, 1, 4, x, NULL, NULL) == ARNN_ERR_INVALID_ARGUMENT, "NULL y");
  CHECK(arnn_rnn_layer_forward(layer, NULL, 0, 4, x, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "batch 0");
  CHECK(arnn_rnn_layer_forward(layer, NULL, 1, 0, x, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "steps 0");
  CHECK(arnn_rnn_layer_forward(layer, NULL, SIZE_MAX / 2, 4, x, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "overflow");
  CHECK(arnn_rnn_layer_forward_ids(layer, NULL, 1, 4, ids, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "ids, no table");
  CHECK(arnn_rnn_layer_forward_ids(layer, NULL, 1, 4, NULL, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "NULL ids");
  arnn_rnn_layer_destroy(layer);
  arnn_rnn_layer_destroy(NULL);
  CHECK(arnn_rnn_layer_output_size(NULL) == 0 && arnn_rnn_layer_is_folded(NULL) == 0, "NULL queries");
  CHECK(arnn_threadpool_create(1, NULL) == ARNN_ERR_INVALID_ARGUMENT, "pool NULL out");
  CHECK(arnn_threadpool_size(NULL) == 1, "NULL pool size");
  arnn_threadpool_destroy(NULL);
  free_weights(&w);
}

int main(void) {
  printf("rnn-layer: seed 0x%llx, isa %s\n", (unsigned long long)rng, arnn_isa());
  arnn_threadpool *pools[3] = {NULL, NULL, NULL};
  for (size_t i = 0; i < 3; i++) CHECK(arnn_threadpool_create(i + 1, &pools[i]) == ARNN_OK, "pool");
  CHECK(arnn_threadpool_size(pools[2]) == 3, "pool size");
#if defined(__x86_64__)
  const unsigned csr_before = _mm_getcsr() & 0xffc0u; /* control bits only: the status flags are sticky */
#endif
  /* (E, H, B, T) shapes: odd, tiny, tile boundaries, imdb-like */
  /* {E, H, B, T}. H = 16 and 128 (multiples of 16) take the layer's path that
   * writes h straight into the output rows, the others the copy path. */
  const size_t shapes[][4] = {{13, 37, 3, 29}, {1, 1, 1, 1}, {1, 16, 7, 5}, {5, 17, 2, 1}, {50, 128, 2, 6}};
  int variant = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int cell = 0; cell < 3; cell++) /* LSTM, GRU reset_after 1, GRU reset_after 0 */
      for (int ract = 0; ract < 3; ract++) {
        const int bidir = (variant & 1) == 0 || s == 0;
        weights w;
        make_weights(&w, cell == 0, cell == 1, ract, bidir, (variant >> 1) & 1, shapes[s][0], shapes[s][1], 1.0f,
                     variant % 5 != 4);
        check_config(&w, shapes[s][2], shapes[s][3], 1.0f, variant % 6 - 1, s == 0 ? pools : NULL, s == 0 ? 3 : 0);
        free_weights(&w);
        variant++;
      }
  /* batch 1..7 with every mask pattern, and saturating inputs and weights */
  for (size_t B = 1; B <= 7; B++)
    for (int cell = 0; cell < 3; cell++) {
      weights w;
      make_weights(&w, cell == 0, cell == 1, (int)(B % 3), 1, (int)(B & 1), 13, 37, 1.0f, 1);
      check_config(&w, B, 11, 1.0f, (int)B % 5, pools + 1, 1);
      free_weights(&w);
      make_weights(&w, cell == 0, cell == 1, (int)((B + 1) % 3), 1, 0, 13, 37, 6.0f, 1);
      check_config(&w, B, 11, 30.0f, (int)(B + 2) % 5, NULL, 0);
      free_weights(&w);
    }
  /* groups of 8 and more sequences project a chunk of timesteps at a time
   * into a ring (T = 8 still in one go; 9: a chunk and one step; 29: three
   * chunks and five steps), unless the input kernel is large (E = 520, H =
   * 40: 390 KiB of packed B per direction, one GEMM for all timesteps) */
  const size_t chunk_shapes[][4] = {{13, 37, 8, 29}, {5, 16, 11, 9}, {3, 20, 9, 8}, {520, 40, 9, 10}};
  for (size_t s = 0; s < sizeof chunk_shapes / sizeof chunk_shapes[0]; s++)
    for (int cell = 0; cell < 3; cell++) {
      weights w;
      make_weights(&w, cell == 0, cell == 1, cell, 1, (int)s & 1, chunk_shapes[s][0], chunk_shapes[s][1], 1.0f, 1);
      check_config(&w, chunk_shapes[s][2], chunk_shapes[s][3], 1.0f, (int)(s + (size_t)cell) % 6 - 1, pools, 3);
      free_weights(&w);
    }
  check_cudnn(1);
  check_cudnn(0);
  check_cudnn_fixture(1);
  check_cudnn_fixture(0);
  check_ids(1, 0);
  check_ids(0, 1);
  check_ids(0, 0);
  check_projection_during_steps(pools[1]);
  check_concurrent(pools[1]);
  check_bad_args();
#if defined(__x86_64__)
  CHECK((_mm_getcsr() & 0xffc0u) == csr_before, "MXCSR changed by the layer calls");
#endif
  for (size_t i = 0; i < 3; i++) arnn_threadpool_destroy(pools[i]);
  if (failures) {
    printf("rnn-layer: %d failures\n", failures);
    return 1;
  }
  printf("rnn-layer: ok\n");
  return 0;
}
