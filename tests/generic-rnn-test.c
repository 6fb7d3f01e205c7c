/* The generic recurrent layer (arnn_generic_rnn_*, src/layers/rnn-generic.c):
 *  1. Against a double-precision reference written here from the Keras
 *     formulas and the Keras backend rnn() loop (state computed every step,
 *     then kept or discarded by the mask; output zeros or the previous
 *     output; go_backwards reads reversed and keeps processing order;
 *     last_output = outputs[-1]): SimpleRNN, LSTM, GRU reset_after 0/1 x
 *     activation and recurrent_activation in {tanh, relu, linear, sigmoid,
 *     hard_sigmoid Keras 2/3} x go_backwards x zero_output_for_mask x
 *     return_sequences x bias/no bias x masks (none; holes, end and front
 *     padding, all kept; all masked; leading steps masked), sizes B 1, 3;
 *     T 1, 7; H 1, 5, 16, 17, 33. The other elementwise activations (elu,
 *     selu, gelu, gelu_tanh, swish, softplus, softsign, exponential, relu6,
 *     leaky_relu, relu with options) as activation and as gate activation.
 *     Tolerance |y - ref| <= 1e-5 (1 + |ref|).
 *  2. Bit-identical to the fused layer (arnn_rnn_layer_forward) for LSTM and
 *     GRU (both reset modes) with tanh and sigmoid / hard_sigmoid, masked and
 *     unmasked, both masked-output modes; go_backwards against the
 *     bidirectional layer's backward half (which the fused layer re-reverses).
 *  3. Creation: bad arguments, unsupported activations; the caller's weight
 *     arrays may be overwritten after creation; scratch and output are written
 *     only inside their sizes (canaries) and scratch content is not relied on.
 * Failures print the seed; `generic-rnn-test SEED` reruns with another seed. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "src/layers/layers.h"
#include "test-util.h"

static int failures;
#include "check.h"

#define TOL 1e-5
#define CANARY 64 /* floats past each buffer that must stay untouched */

static uint64_t seed = 0x6e11c0de2026ULL;
static uint64_t rng;

static float *rnd(size_t n, float a) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = test_rand_uniform(&rng, -a, a);
  return p;
}

static arnn_act mkact(arnn_act_kind k) {
  arnn_act a;
  memset(&a, 0, sizeof a);
  a.kind = k;
  a.alpha = 1.0f;
  a.max_value = INFINITY;
  return a;
}

/* ---- double reference ---- */

static double ref_act(const arnn_act *a, double x) {
  switch (a->kind) {
    case ARNN_ACT_LINEAR: return x;
    case ARNN_ACT_RELU: {
      const double mv = a->max_value, th = a->threshold;
      if (x >= mv) return mv;
      return x >= th ? x : a->negative_slope * (x - th);
    }
    case ARNN_ACT_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case ARNN_ACT_LEAKY_RELU: return x >= 0 ? x : a->alpha * x;
    case ARNN_ACT_ELU: return x > 0 ? x : a->alpha * expm1(x);
    case ARNN_ACT_SELU: return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * expm1(x));
    case ARNN_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case ARNN_ACT_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case ARNN_ACT_SWISH: return x / (1.0 + exp(-x));
    case ARNN_ACT_TANH: return tanh(x);
    case ARNN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ARNN_ACT_HARD_SIGMOID_KERAS2:
    case ARNN_ACT_HARD_SIGMOID_KERAS3: {
      const double y = a->kind == ARNN_ACT_HARD_SIGMOID_KERAS2 ? 0.2 * x + 0.5 : x / 6.0 + 0.5;
      return y < 0 ? 0 : y > 1 ? 1 : y;
    }
    case ARNN_ACT_SOFTPLUS: return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
    case ARNN_ACT_SOFTSIGN: return x / (1.0 + fabs(x));
    case ARNN_ACT_EXPONENTIAL: return exp(x);
    default: return NAN;
  }
}

typedef struct {
  arnn_cell_kind cell;
  int reset_after, go_backwards, zero_output, return_sequences;
  arnn_act act, ract;
  size_t E, H;
  const float *K, *R, *b; /* Keras layout; b NULL = no bias */
} ref_cfg;

static size_t gates(arnn_cell_kind c) { return c == ARNN_CELL_LSTM ? 4 : c == ARNN_CELL_GRU ? 3 : 1; }

/* One sequence: y[T][H] (return_sequences) or y[H]. */
static void ref_seq(const ref_cfg *r, size_t T, const float *x, const unsigned char *mask, double *y) {
  const size_t E = r->E, H = r->H, G = gates(r->cell), GH = G * H;
  double *h = calloc(H, sizeof *h), *c = calloc(H, sizeof *c), *hn = calloc(H, sizeof *hn);
  double *cn = calloc(H, sizeof *cn), *a = calloc(GH, sizeof *a), *q = calloc(GH, sizeof *q);
  double *out = calloc(H, sizeof *out), *rh = calloc(H, sizeof *rh);
  const int ra = r->cell == ARNN_CELL_GRU && r->reset_after;
  for (size_t i = 0; i < T; i++) {
    const size_t t = r->go_backwards ? T - 1 - i : i;
    const float *xt = x + t * E;
    /* a = x K + b (input bias row), q = h R (+ recurrent bias row) */
    for (size_t n = 0; n < GH; n++) {
      double s = r->b ? r->b[n] : 0.0, s2 = ra && r->b ? r->b[GH + n] : 0.0;
      for (size_t e = 0; e < E; e++) s += (double)xt[e] * r->K[e * GH + n];
      for (size_t k = 0; k < H; k++) s2 += h[k] * r->R[k * GH + n];
      a[n] = s;
      q[n] = s2;
    }
    if (r->cell == ARNN_CELL_SIMPLE) {
      for (size_t u = 0; u < H; u++) hn[u] = ref_act(&r->act, a[u] + q[u]);
    } else if (r->cell == ARNN_CELL_LSTM) {
      for (size_t u = 0; u < H; u++) {
        const double ig = ref_act(&r->ract, a[u] + q[u]), fg = ref_act(&r->ract, a[H + u] + q[H + u]);
        const double gg = ref_act(&r->act, a[2 * H + u] + q[2 * H + u]);
        const double og = ref_act(&r->ract, a[3 * H + u] + q[3 * H + u]);
        cn[u] = fg * c[u] + ig * gg;
        hn[u] = og * ref_act(&r->act, cn[u]);
      }
    } else {
      for (size_t u = 0; u < H; u++) rh[u] = ref_act(&r->ract, a[H + u] + q[H + u]) * h[u];
      for (size_t u = 0; u < H; u++) {
        const double z = ref_act(&r->ract, a[u] + q[u]), rg = ref_act(&r->ract, a[H + u] + q[H + u]);
        double hh;
        if (ra) {
          hh = ref_act(&r->act, a[2 * H + u] + rg * q[2 * H + u]);
        } else {
          double s = 0.0;
          for (size_t k = 0; k < H; k++) s += rh[k] * r->R[k * GH + 2 * H + u];
          hh = ref_act(&r->act, a[2 * H + u] + s);
        }
        hn[u] = z * h[u] + (1.0 - z) * hh;
      }
    }
    /* Keras backend rnn(): output = where(mask, new output, zeros or the
     * previous output); states = where(mask, new states, old states) */
    const int keep = mask == NULL || mask[t] != 0;
    for (size_t u = 0; u < H; u++) {
      if (keep)
        out[u] = hn[u];
      else if (r->zero_output)
        out[u] = 0.0;
      /* else out keeps the previous output */
      if (keep) {
        h[u] = hn[u];
        c[u] = cn[u];
      }
    }
    if (r->return_sequences) memcpy(y + i * H, out, H * sizeof *out);
  }
  if (!r->return_sequences) memcpy(y, out, H * sizeof *out); /* last_output = outputs[-1] */
  free(h);
  free(c);
  free(hn);
  free(cn);
  free(a);
  free(q);
  free(out);
  free(rh);
}

/* ---- helpers ---- */

static const char *act_label(arnn_act_kind k) {
  static const char *const names[ARNN_ACT_COUNT] = {
      "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish", "tanh", "sigmoid",
      "hard_sigmoid_keras2", "hard_sigmoid_keras3", "softplus", "softsign", "exponential", "softmax", "prelu"};
  return (unsigned)k < ARNN_ACT_COUNT ? names[k] : "?";
}

static const char *cell_name(arnn_cell_kind c, int reset_after) {
  return c == ARNN_CELL_LSTM ? "LSTM" : c == ARNN_CELL_SIMPLE ? "SimpleRNN" : reset_after ? "GRU(ra=1)" : "GRU(ra=0)";
}

/* Mask modes: 0 none; 1 per sequence holes / end padding / front padding /
 * all kept; 2 all masked; 3 the leading steps masked. */
static unsigned char *make_mask(size_t B, size_t T, int mode) {
  if (mode == 0) return NULL;
  unsigned char *m = malloc(B * T);
  for (size_t q = 0; q < B; q++)
    for (size_t t = 0; t < T; t++) {
      unsigned char v = 1;
      if (mode == 1) {
        const size_t len = (T + 1) / 2;
        switch (q % 4) {
          case 0: v = (t * 5 + q) % 3 != 1; break; /* holes */
          case 1: v = t < len; break;              /* end padding */
          case 2: v = t >= T - len; break;         /* front padding */
          default: v = 1;
        }
        if (T == 1) v = (unsigned char)(q % 2 == 0);
      } else if (mode == 2) {
        v = 0;
      } else if (mode == 3) {
        v = t >= (T + 1) / 2; /* T = 1: the only step is masked */
      }
      m[q * T + t] = v;
    }
  return m;
}

/* floats with a canary tail of CANARY floats */
static float *canary_alloc(size_t n) {
  float *p = malloc((n + CANARY) * sizeof(float));
  for (size_t i = 0; i < n + CANARY; i++) p[i] = -1.2345e30f;
  return p;
}

static int canary_ok(const float *p, size_t n) {
  for (size_t i = n; i < n + CANARY; i++)
    if (p[i] != -1.2345e30f) return 0;
  return 1;
}

/* Runs the generic layer on copies of the weights that are poisoned right
 * after creation; returns the status, y gets the result. */
static arnn_status run_generic(const ref_cfg *r, size_t B, size_t T, const float *x, const unsigned char *mask,
                               float *y, int *canaries_ok) {
  const size_t G = gates(r->cell), GH = G * r->H;
  const size_t nb = (r->cell == ARNN_CELL_GRU && r->reset_after ? 2 : 1) * GH;
  float *K = malloc(r->E * GH * sizeof(float)), *R = malloc(r->H * GH * sizeof(float));
  float *b = r->b ? malloc(nb * sizeof(float)) : NULL;
  memcpy(K, r->K, r->E * GH * sizeof(float));
  memcpy(R, r->R, r->H * GH * sizeof(float));
  if (b) memcpy(b, r->b, nb * sizeof(float));
  arnn_generic_rnn_desc d;
  memset(&d, 0, sizeof d);
  d.cell = r->cell;
  d.input_size = r->E;
  d.units = r->H;
  d.activation = r->act;
  d.recurrent_activation = r->ract;
  d.reset_after = r->reset_after;
  d.go_backwards = r->go_backwards;
  d.zero_output_for_mask = r->zero_output;
  d.kernel = K;
  d.recurrent_kernel = R;
  d.bias = b;
  arnn_generic_rnn *g = NULL;
  const arnn_status st = arnn_generic_rnn_create(&d, &g);
  for (size_t i = 0; i < r->E * GH; i++) K[i] = NAN;
  for (size_t i = 0; i < r->H * GH; i++) R[i] = NAN;
  for (size_t i = 0; b && i < nb; i++) b[i] = NAN;
  free(K);
  free(R);
  free(b);
  if (st != ARNN_OK) return st;
  const size_t ns = arnn_generic_rnn_scratch_floats(g, B, T);
  const size_t ny = (r->return_sequences ? B * T : B) * r->H;
  float *scratch = canary_alloc(ns);
  for (size_t i = 0; i < ns; i++) scratch[i] = NAN; /* not relied on */
  float *yy = canary_alloc(ny);
  arnn_generic_rnn_apply(g, B, T, x, mask, r->return_sequences, yy, scratch);
  *canaries_ok = canary_ok(scratch, ns) && canary_ok(yy, ny);
  memcpy(y, yy, ny * sizeof(float));
  free(scratch);
  free(yy);
  arnn_generic_rnn_destroy(g);
  return ARNN_OK;
}

static long runs;

/* One configuration against the reference. */
static void check_ref(arnn_cell_kind cell, int reset_after, arnn_act act, arnn_act ract, int go_backwards,
                      int zero_output, int return_sequences, int with_bias, int mask_mode, size_t B, size_t T,
                      size_t E, size_t H, float wscale) {
  const size_t G = gates(cell), GH = G * H;
  float *K = rnd(E * GH, wscale / sqrtf((float)E)), *R = rnd(H * GH, wscale / sqrtf((float)H));
  float *b = with_bias ? rnd((cell == ARNN_CELL_GRU && reset_after ? 2 : 1) * GH, 0.5f) : NULL;
  float *x = rnd(B * T * E, 1.0f);
  unsigned char *mask = make_mask(B, T, mask_mode);
  ref_cfg r = {cell, reset_after, go_backwards, zero_output, return_sequences, act, ract, E, H, K, R, b};
  const size_t per = (return_sequences ? T : 1) * H;
  double *ref = malloc(B * per * sizeof(double));
  for (size_t q = 0; q < B; q++) ref_seq(&r, T, x + q * T * E, mask ? mask + q * T : NULL, ref + q * per);
  float *y = malloc(B * per * sizeof(float));
  int can = 0;
  const arnn_status st = run_generic(&r, B, T, x, mask, y, &can);
  runs++;
  CHECK(st == ARNN_OK, "create: %s", arnn_status_str(st));
  if (st == ARNN_OK) {
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < B * per; i++) {
      const double e = fabs((double)y[i] - ref[i]) / (1.0 + fabs(ref[i]));
      if (!(e <= worst)) { /* NaN is the worst */
        worst = e;
        at = i;
      }
    }
    CHECK(worst <= TOL && can,
          "%s act=%s ract=%s gb=%d zo=%d rs=%d bias=%d mask=%d B=%zu T=%zu E=%zu H=%zu: rel err %.3g at %zu "
          "(y %.9g ref %.9g)%s [seed 0x%" PRIx64 "]",
          cell_name(cell, reset_after), act_label(act.kind), act_label(ract.kind), go_backwards,
          zero_output, return_sequences, with_bias, mask_mode, B, T, E, H, worst, at, (double)y[at], ref[at],
          can ? "" : " canary overwritten", seed);
  }
  free(K);
  free(R);
  free(b);
  free(x);
  free(mask);
  free(ref);
  free(y);
}

/* ---- bit identity with the fused layer ---- */

static void check_fused(int lstm, int reset_after, int ract, int masked_zero, int with_bias, int mask_mode, size_t B,
                        size_t T, size_t E, size_t H) {
  const arnn_cell_kind cell = lstm ? ARNN_CELL_LSTM : ARNN_CELL_GRU;
  const size_t G = gates(cell), GH = G * H, nb = (!lstm && reset_after ? 2 : 1) * GH;
  float *K[2], *R[2], *b[2];
  for (int d = 0; d < 2; d++) {
    K[d] = rnd(E * GH, 1.0f / sqrtf((float)E));
    R[d] = rnd(H * GH, 1.0f / sqrtf((float)H));
    b[d] = with_bias ? rnd(nb, 0.5f) : NULL;
  }
  float *x = rnd(B * T * E, 1.0f);
  unsigned char *mask = make_mask(B, T, mask_mode);
  arnn_rnn_layer_desc desc;
  arnn_rnn_layer_desc_init(&desc);
  desc.cell = lstm ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
  desc.input_size = E;
  desc.units = H;
  desc.bidirectional = 1;
  desc.recurrent_activation = (arnn_rnn_activation)ract;
  desc.reset_after = reset_after;
  desc.masked_output = masked_zero ? ARNN_RNN_MASKED_ZERO : ARNN_RNN_MASKED_PREVIOUS;
  for (int d = 0; d < 2; d++) {
    desc.kernel[d] = K[d];
    desc.recurrent_kernel[d] = R[d];
    desc.bias[d] = b[d];
  }
  arnn_rnn_layer *fused = NULL;
  arnn_status st = arnn_rnn_layer_create(&desc, &fused);
  CHECK(st == ARNN_OK, "fused create: %s", arnn_status_str(st));
  float *yf = malloc(B * T * 2 * H * sizeof(float));
  if (st == ARNN_OK) st = arnn_rnn_layer_forward(fused, NULL, B, T, x, mask, yf);
  CHECK(st == ARNN_OK, "fused forward: %s", arnn_status_str(st));
  static const arnn_act_kind rk[3] = {ARNN_ACT_SIGMOID, ARNN_ACT_HARD_SIGMOID_KERAS2, ARNN_ACT_HARD_SIGMOID_KERAS3};
  float *yg = malloc(B * T * H * sizeof(float)), *yl = malloc(B * H * sizeof(float));
  for (int d = 0; d < 2 && st == ARNN_OK; d++) {
    ref_cfg r = {cell, reset_after, d, masked_zero, 1, mkact(ARNN_ACT_TANH), mkact(rk[ract]), E, H, K[d], R[d], b[d]};
    int can = 0, can2 = 0;
    /* under FTZ/DAZ, as the fused layer runs */
    test_set_ftz(1);
    const arnn_status s1 = run_generic(&r, B, T, x, mask, yg, &can);
    r.return_sequences = 0;
    const arnn_status s2 = run_generic(&r, B, T, x, mask, yl, &can2);
    test_set_ftz(0);
    runs += 2;
    CHECK(s1 == ARNN_OK && s2 == ARNN_OK && can && can2, "generic run failed");
    size_t diff = 0, first = 0, ldiff = 0;
    for (size_t q = 0; q < B; q++)
      for (size_t i = 0; i < T; i++) {
        /* the fused backward half sits at the re-reversed step */
        const size_t t = d ? T - 1 - i : i;
        const float *a = yg + (q * T + i) * H, *f = yf + (q * T + t) * 2 * H + d * H;
        if (memcmp(a, f, H * sizeof(float)) != 0) {
          if (diff == 0) first = q * T + i;
          diff++;
        }
      }
    for (size_t q = 0; q < B; q++)
      if (memcmp(yl + q * H, yg + (q * T + T - 1) * H, H * sizeof(float)) != 0) ldiff++;
    CHECK(diff == 0, "%s ract=%d mz=%d bias=%d mask=%d B=%zu T=%zu E=%zu H=%zu direction %d: %zu of %zu rows "
          "differ from the fused layer (first: row %zu) [seed 0x%" PRIx64 "]",
          cell_name(cell, reset_after), ract, masked_zero, with_bias, mask_mode, B, T, E, H, d, diff, B * T, first,
          seed);
    CHECK(ldiff == 0, "%s direction %d: return_sequences=0 differs from the last step of the sequence output",
          cell_name(cell, reset_after), d);
  }
  arnn_rnn_layer_destroy(fused);
  for (int d = 0; d < 2; d++) {
    free(K[d]);
    free(R[d]);
    free(b[d]);
  }
  free(x);
  free(mask);
  free(yf);
  free(yg);
  free(yl);
}

/* ---- creation ---- */

static void check_create(void) {
  const size_t E = 3, H = 4;
  float *K = rnd(E * 4 * H, 1.0f), *R = rnd(H * 4 * H, 1.0f);
  arnn_generic_rnn_desc d;
  memset(&d, 0, sizeof d);
  d.cell = ARNN_CELL_LSTM;
  d.input_size = E;
  d.units = H;
  d.activation = mkact(ARNN_ACT_TANH);
  d.recurrent_activation = mkact(ARNN_ACT_SIGMOID);
  d.kernel = K;
  d.recurrent_kernel = R;
  arnn_generic_rnn *g = (arnn_generic_rnn *)&d; /* any non-NULL value: create must reset it */
  CHECK(arnn_generic_rnn_create(NULL, &g) == ARNN_ERR_INVALID_ARGUMENT && g == NULL, "NULL desc");
  CHECK(arnn_generic_rnn_create(&d, NULL) == ARNN_ERR_INVALID_ARGUMENT, "NULL out");
  arnn_generic_rnn_desc e = d;
  e.units = 0;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT && g == NULL, "units 0");
  e = d;
  e.input_size = 0;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT, "input_size 0");
  e = d;
  e.kernel = NULL;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT, "NULL kernel");
  e = d;
  e.recurrent_kernel = NULL;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT, "NULL recurrent kernel");
  e = d;
  e.cell = (arnn_cell_kind)7;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT, "unknown cell");
  e = d;
  e.activation.kind = ARNN_ACT_COUNT;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT, "unknown activation");
  e = d;
  e.activation.kind = ARNN_ACT_SOFTMAX;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_UNSUPPORTED && g == NULL, "softmax activation");
  e = d;
  e.recurrent_activation.kind = ARNN_ACT_PRELU;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_UNSUPPORTED, "prelu recurrent activation");
  e = d;
  e.cell = ARNN_CELL_GRU;
  e.reset_after = 2;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_ERR_INVALID_ARGUMENT, "reset_after 2");
  /* SimpleRNN has no gates: its recurrent_activation is not looked at */
  e = d;
  e.cell = ARNN_CELL_SIMPLE;
  e.recurrent_activation.kind = ARNN_ACT_SOFTMAX;
  CHECK(arnn_generic_rnn_create(&e, &g) == ARNN_OK && g != NULL, "SimpleRNN ignores recurrent_activation");
  CHECK(arnn_generic_rnn_scratch_floats(g, 2, 3) >= 2 * 3 * 16, "scratch covers the projection");
  /* T = 0 with return_sequences = 0: the zero initial state */
  float y[4] = {1, 1, 1, 1};
  arnn_generic_rnn_apply(g, 1, 0, NULL, NULL, 0, y, NULL);
  CHECK(y[0] == 0.0f && y[3] == 0.0f, "T = 0 writes the zero state");
  arnn_generic_rnn_destroy(g);
  arnn_generic_rnn_destroy(NULL);
  free(K);
  free(R);
}

int main(int argc, char **argv) {
  if (argc > 1) seed = strtoull(argv[1], NULL, 0);
  rng = seed ? seed : 1;
  check_create();

  /* 1a. the main activations, every flag and mask mode; the sizes rotate */
  static const arnn_act_kind main_acts[6] = {ARNN_ACT_TANH,    ARNN_ACT_RELU,
                                             ARNN_ACT_LINEAR,  ARNN_ACT_SIGMOID,
                                             ARNN_ACT_HARD_SIGMOID_KERAS2, ARNN_ACT_HARD_SIGMOID_KERAS3};
  static const size_t Hs[5] = {1, 5, 16, 17, 33}, Ts[2] = {1, 7}, Bs[2] = {1, 3}, Es[3] = {1, 3, 13};
  size_t rot = 0;
  for (int cc = 0; cc < 4; cc++) {
    const arnn_cell_kind cell = cc == 0 ? ARNN_CELL_SIMPLE : cc == 1 ? ARNN_CELL_LSTM : ARNN_CELL_GRU;
    const int reset_after = cc == 3;
    for (int ai = 0; ai < 6; ai++)
      for (int ri = 0; ri < (cell == ARNN_CELL_SIMPLE ? 1 : 6); ri++)
        for (int flags = 0; flags < 16; flags++)
          for (int mm = 0; mm < 4; mm++) {
            const size_t H = Hs[rot % 5], T = Ts[(rot / 5) % 2], B = Bs[(rot / 10) % 2], E = Es[rot % 3];
            rot++;
            /* unbounded gates (linear, relu) amplify rounding through z h +
             * (1 - z) hh and f c: smaller weights keep the problem
             * well-conditioned */
            const int unbounded = cell != ARNN_CELL_SIMPLE && (ri == 1 || ri == 2);
            check_ref(cell, reset_after, mkact(main_acts[ai]), mkact(main_acts[ri]), flags & 1, (flags >> 1) & 1,
                      (flags >> 2) & 1, (flags >> 3) & 1, mm, B, T, E, H, unbounded ? 0.5f : 1.0f);
          }
  }
  /* 1b. every size with each cell (tanh / sigmoid, holes in the mask) */
  for (int cc = 0; cc < 4; cc++)
    for (size_t hi = 0; hi < 5; hi++)
      for (size_t ti = 0; ti < 2; ti++)
        for (size_t bi = 0; bi < 2; bi++)
          for (int flags = 0; flags < 8; flags++)
            check_ref(cc == 0 ? ARNN_CELL_SIMPLE : cc == 1 ? ARNN_CELL_LSTM : ARNN_CELL_GRU, cc == 3,
                      mkact(ARNN_ACT_TANH), mkact(ARNN_ACT_SIGMOID), flags & 1, (flags >> 1) & 1, (flags >> 2) & 1,
                      1, 1, Bs[bi], Ts[ti], 7, Hs[hi], 1.0f);
  /* 1c. the other elementwise activations, as activation and as gates */
  arnn_act others[12];
  static const arnn_act_kind other_kinds[11] = {ARNN_ACT_RELU6, ARNN_ACT_LEAKY_RELU, ARNN_ACT_ELU,
                                                ARNN_ACT_SELU, ARNN_ACT_GELU, ARNN_ACT_GELU_TANH,
                                                ARNN_ACT_SWISH, ARNN_ACT_SOFTPLUS, ARNN_ACT_SOFTSIGN,
                                                ARNN_ACT_EXPONENTIAL, ARNN_ACT_ELU};
  for (int i = 0; i < 11; i++) others[i] = mkact(other_kinds[i]);
  others[1].alpha = 0.3f;
  others[10].alpha = 0.7f;
  others[11] = mkact(ARNN_ACT_RELU); /* Keras ReLU options */
  others[11].negative_slope = 0.1f;
  others[11].max_value = 1.5f;
  others[11].threshold = 0.25f;
  for (int cc = 0; cc < 4; cc++) {
    const arnn_cell_kind cell = cc == 0 ? ARNN_CELL_SIMPLE : cc == 1 ? ARNN_CELL_LSTM : ARNN_CELL_GRU;
    for (int oi = 0; oi < 12; oi++)
      for (int flags = 0; flags < 4; flags++) {
        const size_t H = Hs[rot % 5], T = 7, B = 3;
        rot++;
        /* exponential feeds e^h (or an unbounded gate) back into the
         * recurrence: small weights keep the values finite and the problem
         * well-conditioned */
        const int expo = others[oi].kind == ARNN_ACT_EXPONENTIAL;
        const float ws = expo ? 0.1f : 1.0f, gs = expo ? 0.1f : 0.5f;
        check_ref(cell, cc == 3, others[oi], mkact(ARNN_ACT_SIGMOID), flags & 1, 0, (flags >> 1) & 1, 1, 1, B, T, 5,
                  H, ws);
        if (cell != ARNN_CELL_SIMPLE)
          check_ref(cell, cc == 3, mkact(ARNN_ACT_TANH), others[oi], flags & 1, 1, (flags >> 1) & 1, 1, 1, B, T, 5,
                    H, gs);
      }
  }

  /* 2. the fused layer's bits */
  if (test_ftz_supported()) {
    static const size_t fH[6] = {1, 5, 16, 17, 33, 40};
    for (int cc = 0; cc < 3; cc++)
      for (int ract = 0; ract < 3; ract++)
        for (int mz = 0; mz < 2; mz++)
          for (int mm = 0; mm < 4; mm++)
            for (size_t hi = 0; hi < 6; hi++)
              check_fused(cc == 0, cc == 2, ract, mz, (int)((hi + (size_t)mm) % 3 != 0), mm, hi % 2 ? 3 : 1,
                          hi == 0 ? 1 : 7, hi % 3 ? 9 : 2, fH[hi]);
  }

  printf("generic-rnn: %ld runs, %d failures (seed 0x%" PRIx64 ")\n", runs, failures, seed);
  return failures ? 1 : 0;
}
