/* Generic recurrent layer (layers.h, "generic recurrent layer"): one
 * direction of a Keras SimpleRNN, LSTM or GRU with any elementwise activation
 * and recurrent_activation, for the cases the fused step kernels do not
 * cover.
 *
 * Semantics (Keras keras/src/layers/rnn/{simple_rnn,lstm,gru}.py cells and
 * the backend rnn() loop, TensorFlow and JAX backends alike):
 *
 *   SimpleRNN  h = act(x K + b + h R)
 *   LSTM       z = x K + h R + b;  i, f, o = ract(z_i, z_f, z_o)
 *              c = f c + i act(z_c);  h = o act(c)
 *   GRU        reset_after = 1 (bias [2][3H] = b_in, b_rec):
 *                a = x K + b_in;  q = h R + b_rec
 *                z = ract(a_z + q_z);  r = ract(a_r + q_r)
 *                hh = act(a_h + r q_h)
 *              reset_after = 0:
 *                a = x K + b;  z = ract(a_z + h R_z);  r = ract(a_r + h R_r)
 *                hh = act(a_h + (r h) R_h)
 *              h = z h + (1 - z) hh
 *
 * Masking: a masked step leaves h and c unchanged; its output is zeros
 * (zero_output_for_mask) or the previous output, which for all three cells
 * is the current h (zeros before the first kept step). go_backwards reads
 * step t = T-1-i at processing step i, and output step i is that processed
 * step (Keras does not reverse the outputs back). Without return_sequences
 * the output is the backend's last_output = outputs[-1]: the last processed
 * step's output as above (so zeros when zero_output_for_mask and that step
 * is masked, the last kept step's h otherwise).
 *
 * Arithmetic, chosen to give the fused LSTM/GRU layer's bits (src/rnn-layer.c,
 * kernels/rnn/rnn-step.h) when act = tanh and ract is sigmoid or
 * hard_sigmoid:
 *  - The input projection of all B*T rows is one packed-GEMM call; its bias
 *    is the full bias (LSTM, SimpleRNN, GRU reset_after = 0) or, for GRU
 *    reset_after = 1, b_in + b_rec for z and r (summed once in float, as the
 *    fused layer does) and b_in alone for the candidate, whose recurrent bias
 *    starts the separate recurrent accumulator q_h.
 *  - Per step and output column n: acc = xp[n] (q_h: b_rec_h[n]), then
 *    acc = fma(h[k], R[k][n], acc) for k = 0..H-1 in order: one row of the
 *    packed GEMM (R packed once in its panels, the projection row as the
 *    bias), which keeps that order on every ISA and runs the step on the
 *    SIMD kernel instead of a scalar fmaf loop.
 *  - c = fmaf(f, c, i * g), h = o * act(c); GRU hh = act(fmaf(r, q_h, a_h))
 *    (reset_after = 1) and h = fmaf(z, h - hh, hh) (= z h + (1 - z) hh).
 *  - tanh, sigmoid and exp are the dispatched vmath kernels (same bits on
 *    every ISA); hard_sigmoid is clip(fmaf(x, slope, 0.5), 0, 1) with
 *    NaN-passing clamps, as kernels/rnn/rnn-act-scalar-inl.h. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dispatch/dispatch.h"
#include "layers.h"

struct arnn_generic_rnn {
  arnn_cell_kind cell;
  size_t E, H, G, GH; /* G gates (LSTM 4, GRU 3, SimpleRNN 1), GH = G*H */
  size_t Np;          /* GH rounded up to a multiple of 16: projection row length */
  int reset_after, go_backwards, zero_output;
  arnn_act act, ract;
  float *kpack;   /* [Np/16][E][16]: kernel columns in 16-wide K-major panels (gemm.h) */
  float *xbias;   /* [Np]: the projection's bias (see the file comment) */
  float *rpack;   /* [Np/16][H][16]: recurrent kernel columns in GEMM panels */
  float *rpack_h; /* GRU reset_after = 0: the candidate's columns alone, [round16(H)/16][H][16] */
  float *b_rec_h; /* [H]: GRU reset_after = 1, the candidate's recurrent bias */
  arnn_f32_gemm_fn gemm;
  arnn_f32_vunary_fn vtanh, vsigmoid, vexp;
};

/* a * b, 0 on overflow. */
static int mul_ok(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *out = a * b;
  return 1;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* 64-byte aligned, zeroed (padding lanes of the packed kernel must be 0). */
static float *alloc_floats(size_t n) {
  size_t bytes;
  if (!mul_ok(n ? n : 1, sizeof(float), &bytes) || bytes > SIZE_MAX - 63) return NULL;
  bytes = (bytes + 63) & ~(size_t)63;
  float *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

/* ---- activations ---- */

static int act_supported(arnn_act_kind k) {
  switch (k) {
    case ARNN_ACT_LINEAR:
    case ARNN_ACT_RELU:
    case ARNN_ACT_RELU6:
    case ARNN_ACT_LEAKY_RELU:
    case ARNN_ACT_ELU:
    case ARNN_ACT_SELU:
    case ARNN_ACT_GELU:
    case ARNN_ACT_GELU_TANH:
    case ARNN_ACT_SWISH:
    case ARNN_ACT_TANH:
    case ARNN_ACT_SIGMOID:
    case ARNN_ACT_HARD_SIGMOID_KERAS2:
    case ARNN_ACT_HARD_SIGMOID_KERAS3:
    case ARNN_ACT_SOFTPLUS:
    case ARNN_ACT_SOFTSIGN:
    case ARNN_ACT_EXPONENTIAL:
      return 1;
    default: /* softmax and prelu are not elementwise-and-parameterless per unit */
      return 0;
  }
}

/* x86 MINPS/MAXPS semantics with the constant first: a NaN in v passes. */
static float min_nan_passing(float c, float v) { return c < v ? c : v; }
static float max_nan_passing(float c, float v) { return c > v ? c : v; }

/* Keras ReLU (docs/model-graph.md): x >= max_value ? max_value : x >= threshold
 * ? x : negative_slope (x - threshold); with negative_slope 0 the negative side
 * is +0 (max(x, 0)), and NaN passes. */
static float relu1(const arnn_act *a, float x) {
  if (x >= a->max_value) return a->max_value;
  if (x >= a->threshold) return x;
  if (x < a->threshold) return a->negative_slope == 0.0f ? 0.0f : a->negative_slope * (x - a->threshold);
  return x;
}

/* x[0..n) = act(x[0..n)) in place; tmp holds n floats. */
static void act_apply(const arnn_generic_rnn *r, const arnn_act *a, float *x, size_t n, float *tmp) {
  if (n == 0) return;
  switch (a->kind) {
    case ARNN_ACT_LINEAR:
      return;
    case ARNN_ACT_RELU:
      for (size_t i = 0; i < n; i++) x[i] = relu1(a, x[i]);
      return;
    case ARNN_ACT_RELU6:
      for (size_t i = 0; i < n; i++) x[i] = min_nan_passing(6.0f, max_nan_passing(0.0f, x[i]));
      return;
    case ARNN_ACT_LEAKY_RELU:
      for (size_t i = 0; i < n; i++) x[i] = x[i] >= 0.0f ? x[i] : a->alpha * x[i];
      return;
    case ARNN_ACT_ELU:
    case ARNN_ACT_SELU: {
      /* x > 0 ? x : alpha (e^x - 1); selu scales both sides (Klambauer et
       * al.'s constants, as Keras) */
      const int selu = a->kind == ARNN_ACT_SELU;
      const float alpha = selu ? 1.6732632423543772f : a->alpha, scale = selu ? 1.0507009873554805f : 1.0f;
      r->vexp(x, tmp, n);
      for (size_t i = 0; i < n; i++) {
        const float v = x[i] > 0.0f ? x[i] : alpha * (tmp[i] - 1.0f);
        x[i] = selu ? scale * v : v;
      }
      return;
    }
    case ARNN_ACT_GELU:
      /* x/2 (1 + erf(x / sqrt 2)); no vmath erf, so in double and rounded
       * once (a float erf's last bit would depend on the libm) */
      for (size_t i = 0; i < n; i++) {
        const double v = x[i];
        x[i] = (float)(0.5 * v * (1.0 + erf(v * 0.70710678118654752440)));
      }
      return;
    case ARNN_ACT_GELU_TANH:
      /* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
      for (size_t i = 0; i < n; i++) tmp[i] = 0.7978845608028654f * (x[i] + 0.044715f * (x[i] * x[i] * x[i]));
      r->vtanh(tmp, tmp, n);
      for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + tmp[i]);
      return;
    case ARNN_ACT_SWISH:
      r->vsigmoid(x, tmp, n);
      for (size_t i = 0; i < n; i++) x[i] = x[i] * tmp[i];
      return;
    case ARNN_ACT_TANH:
      r->vtanh(x, x, n);
      return;
    case ARNN_ACT_SIGMOID:
      r->vsigmoid(x, x, n);
      return;
    case ARNN_ACT_HARD_SIGMOID_KERAS2:
    case ARNN_ACT_HARD_SIGMOID_KERAS3: {
      const float slope = a->kind == ARNN_ACT_HARD_SIGMOID_KERAS2 ? 0.2f : 1.0f / 6.0f;
      for (size_t i = 0; i < n; i++)
        x[i] = max_nan_passing(0.0f, min_nan_passing(1.0f, fmaf(x[i], slope, 0.5f)));
      return;
    }
    case ARNN_ACT_SOFTPLUS:
      /* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x;
       * the log1p in double, rounded once (no vmath log) */
      for (size_t i = 0; i < n; i++) tmp[i] = -fabsf(x[i]);
      r->vexp(tmp, tmp, n);
      for (size_t i = 0; i < n; i++) {
        const double pos = x[i] > 0.0f ? (double)x[i] : 0.0;
        x[i] = (float)(pos + log1p((double)tmp[i]));
      }
      return;
    case ARNN_ACT_SOFTSIGN:
      for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + fabsf(x[i]));
      return;
    case ARNN_ACT_EXPONENTIAL:
      r->vexp(x, x, n);
      return;
    default: /* rejected at creation */
      return;
  }
}

/* ---- creation ---- */

void arnn_generic_rnn_destroy(arnn_generic_rnn *r) {
  if (r == NULL) return;
  free(r->kpack);
  free(r->xbias);
  free(r->rpack);
  free(r->rpack_h);
  free(r->b_rec_h);
  free(r);
}

arnn_status arnn_generic_rnn_create(const arnn_generic_rnn_desc *desc, arnn_generic_rnn **out) {
  if (out == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (desc == NULL || desc->kernel == NULL || desc->recurrent_kernel == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->cell != ARNN_CELL_LSTM && desc->cell != ARNN_CELL_GRU && desc->cell != ARNN_CELL_SIMPLE)
    return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->input_size == 0 || desc->units == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (desc->cell == ARNN_CELL_GRU && desc->reset_after != 0 && desc->reset_after != 1)
    return ARNN_ERR_INVALID_ARGUMENT;
  if ((unsigned)desc->activation.kind >= ARNN_ACT_COUNT) return ARNN_ERR_INVALID_ARGUMENT;
  if (!act_supported(desc->activation.kind)) return ARNN_ERR_UNSUPPORTED;
  if (desc->cell != ARNN_CELL_SIMPLE) { /* SimpleRNN has no gates: its ract is ignored */
    if ((unsigned)desc->recurrent_activation.kind >= ARNN_ACT_COUNT) return ARNN_ERR_INVALID_ARGUMENT;
    if (!act_supported(desc->recurrent_activation.kind)) return ARNN_ERR_UNSUPPORTED;
  }

  const size_t G = desc->cell == ARNN_CELL_LSTM ? 4 : desc->cell == ARNN_CELL_GRU ? 3 : 1;
  const size_t E = desc->input_size, H = desc->units;
  const int reset_after = desc->cell == ARNN_CELL_GRU && desc->reset_after;
  /* every byte count below must fit: check the largest products once */
  size_t GH, Np, t;
  if (H > SIZE_MAX / 64 || E > SIZE_MAX / 64) return ARNN_ERR_INVALID_ARGUMENT;
  GH = G * H;
  Np = round16(GH);
  if (!mul_ok(Np, E, &t) || !mul_ok(t, sizeof(float), &t) || !mul_ok(H, GH, &t) || !mul_ok(t, sizeof(float), &t))
    return ARNN_ERR_INVALID_ARGUMENT;

  arnn_generic_rnn *r = calloc(1, sizeof *r);
  if (r == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  const arnn_dispatch_table *dt = arnn_dispatch();
  r->cell = desc->cell;
  r->E = E;
  r->H = H;
  r->G = G;
  r->GH = GH;
  r->Np = Np;
  r->reset_after = reset_after;
  r->go_backwards = desc->go_backwards != 0;
  r->zero_output = desc->zero_output_for_mask != 0;
  r->act = desc->activation;
  r->act.prelu_alpha = NULL; /* never used (prelu is rejected); the caller's pointer is not kept */
  r->ract = desc->recurrent_activation;
  r->ract.prelu_alpha = NULL;
  r->gemm = dt->gemm.fn;
  r->vtanh = dt->vtanh.fn;
  r->vsigmoid = dt->vsigmoid.fn;
  r->vexp = dt->vexp.fn;
  r->kpack = alloc_floats(Np * E);
  r->xbias = alloc_floats(Np);
  r->rpack = alloc_floats(Np * H);
  const int split_h = desc->cell == ARNN_CELL_GRU && !reset_after;
  if (split_h) r->rpack_h = alloc_floats(round16(H) * H);
  if (reset_after) r->b_rec_h = alloc_floats(H);
  if (!r->kpack || !r->xbias || !r->rpack || (split_h && !r->rpack_h) || (reset_after && !r->b_rec_h)) {
    arnn_generic_rnn_destroy(r);
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  /* the kernel in GEMM panels; the recurrent kernel in the same panels
   * (K = H): a step's recurrent product is one GEMM row whose bias is the
   * projection row */
  const float *R = desc->recurrent_kernel;
  arnn_f32_gemm_pack(E, GH, Np, desc->kernel, GH, r->kpack);
  arnn_f32_gemm_pack(H, GH, Np, R, GH, r->rpack);
  if (split_h) arnn_f32_gemm_pack(H, H, round16(H), R + 2 * H, GH, r->rpack_h);
  const float *b = desc->bias;
  if (b != NULL) {
    for (size_t n = 0; n < GH; n++) {
      float v = b[n];
      /* GRU reset_after: z and r take both biases (input + recurrent, the
       * fused layer's sum); the candidate keeps b_rec inside r * (h R_h +
       * b_rec_h) */
      if (reset_after && n < 2 * H) v += b[GH + n];
      r->xbias[n] = v;
    }
    if (reset_after) memcpy(r->b_rec_h, b + GH + 2 * H, H * sizeof(float));
  }
  *out = r;
  return ARNN_OK;
}

/* ---- forward ---- */

/* Scratch layout: xp [B*T][Np] (rounded to 16 floats), then h, c [Hq] and
 * acc, tmp, aux [GHq] (Hq, GHq: H and GH rounded to 16). */
size_t arnn_generic_rnn_scratch_floats(const arnn_generic_rnn *r, size_t B, size_t T) {
  if (r == NULL) return 0;
  size_t rows, xp;
  const size_t per_seq = 2 * round16(r->H) + 3 * round16(r->GH);
  if (!mul_ok(B, T, &rows) || !mul_ok(rows, r->Np, &xp) || xp > SIZE_MAX - 16 - per_seq) return SIZE_MAX;
  return round16(xp) + per_seq;
}

/* acc[n] = bias[n], then acc[n] = fma(v[k], R[k][n], acc[n]) for k =
 * 0..H-1 in order, n < ncols rounded up to 16 (the padded columns are
 * written too): one row of the packed GEMM, which keeps exactly this order
 * on every ISA (gemm.h). acc must not overlap bias. */
static void recur(const arnn_generic_rnn *r, float *acc, const float *bias, const float *v, const float *pack,
                  size_t ncols) {
  const size_t N = round16(ncols);
  r->gemm(1, N, r->H, v, r->H, pack, bias, acc, N);
}

/* One kept step of one sequence: xp (the projection row, Np floats) and the
 * state h (and c) -> the next state, in place. */
static void step(const arnn_generic_rnn *r, const float *xp, float *h, float *c, float *acc, float *tmp,
                 float *aux) {
  const size_t H = r->H, GH = r->GH;
  switch (r->cell) {
    case ARNN_CELL_SIMPLE:
      recur(r, acc, xp, h, r->rpack, H);
      act_apply(r, &r->act, acc, H, aux);
      memcpy(h, acc, H * sizeof(float));
      return;
    case ARNN_CELL_LSTM: {
      recur(r, acc, xp, h, r->rpack, GH);
      const float *i = acc, *f = acc + H, *g = acc + 2 * H, *o = acc + 3 * H;
      act_apply(r, &r->ract, acc, 2 * H, aux); /* i, f */
      act_apply(r, &r->act, acc + 2 * H, H, aux);
      act_apply(r, &r->ract, acc + 3 * H, H, aux);
      for (size_t u = 0; u < H; u++) {
        c[u] = fmaf(f[u], c[u], i[u] * g[u]);
        tmp[u] = c[u];
      }
      act_apply(r, &r->act, tmp, H, aux);
      for (size_t u = 0; u < H; u++) h[u] = o[u] * tmp[u];
      return;
    }
    case ARNN_CELL_GRU: {
      const float *z = acc, *rg = acc + H;
      float *hh = tmp;
      if (r->reset_after) {
        /* the bias row: z, r from the projection, the candidate's recurrent bias */
        memcpy(aux, xp, 2 * H * sizeof(float));
        memcpy(aux + 2 * H, r->b_rec_h, H * sizeof(float));
        memset(aux + GH, 0, (r->Np - GH) * sizeof(float));
        recur(r, acc, aux, h, r->rpack, GH);
        act_apply(r, &r->ract, acc, 2 * H, aux);
        for (size_t u = 0; u < H; u++) hh[u] = fmaf(rg[u], acc[2 * H + u], xp[2 * H + u]);
      } else {
        /* z, r: the first round16(2H) columns (padding columns past 2H are
         * written into acc and not used) */
        recur(r, acc, xp, h, r->rpack, 2 * H);
        act_apply(r, &r->ract, acc, 2 * H, aux);
        float *rh = aux, *bias_h = c; /* c is unused by the GRU: [round16(H)] */
        for (size_t u = 0; u < H; u++) rh[u] = rg[u] * h[u];
        memcpy(bias_h, xp + 2 * H, H * sizeof(float));
        memset(bias_h + H, 0, (round16(H) - H) * sizeof(float));
        recur(r, hh, bias_h, rh, r->rpack_h, H);
      }
      act_apply(r, &r->act, hh, H, aux);
      for (size_t u = 0; u < H; u++) h[u] = fmaf(z[u], h[u] - hh[u], hh[u]);
      return;
    }
  }
}

void arnn_generic_rnn_apply(const arnn_generic_rnn *r, size_t B, size_t T, const float *x,
                            const unsigned char *mask, int return_sequences, float *y, float *scratch) {
  if (r == NULL || y == NULL || B == 0) return;
  const size_t H = r->H, Np = r->Np;
  if (T == 0) { /* nothing processed: the last output is the zero initial state */
    if (!return_sequences) memset(y, 0, B * H * sizeof(float));
    return;
  }
  if (x == NULL || scratch == NULL) return;
  float *xp = scratch;
  r->gemm(B * T, Np, r->E, x, r->E, r->kpack, r->xbias, xp, Np);
  float *h = scratch + round16(B * T * Np);
  float *c = h + round16(H);
  float *acc = c + round16(H);
  float *tmp = acc + round16(r->GH);
  float *aux = tmp + round16(r->GH);
  for (size_t b = 0; b < B; b++) {
    memset(h, 0, H * sizeof(float));
    memset(c, 0, H * sizeof(float));
    for (size_t i = 0; i < T; i++) {
      const size_t t = r->go_backwards ? T - 1 - i : i;
      const int keep = mask == NULL || mask[b * T + t] != 0;
      if (keep) step(r, xp + (b * T + t) * Np, h, c, acc, tmp, aux);
      float *out = return_sequences ? y + (b * T + i) * H : i == T - 1 ? y + b * H : NULL;
      if (out == NULL) continue;
      if (keep || !r->zero_output)
        memcpy(out, h, H * sizeof(float));
      else
        memset(out, 0, H * sizeof(float));
    }
  }
}
