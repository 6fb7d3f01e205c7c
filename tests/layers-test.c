/* Graph layers (src/layers/layers.h): every function against an independent
 * float64 reference written here from the Keras semantics (plain loops in
 * double), plus hand-computed cases for the padding conventions, and Dense /
 * Conv1D bit for bit against the scalar GEMM kernel called directly (so the
 * dispatched kernel, whatever ISA the run picked, must give the scalar bits;
 * scripts/test.sh runs the suite under each ARNN_ISA cap).
 *
 * Tolerance: |got - ref| <= TOL (|ref| + scale), TOL = 1e-5, where scale is
 * the magnitude the float computation's rounding is relative to (sum |x k|
 * for a dot product, |x| + |mean| for a normalisation, 1 for clamps). NaN
 * references need NaN, infinite ones the same infinity. Deterministic: fixed
 * seeds, printed with each failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "kernels/gemm/gemm.h"
#include "kernels/vmath/vmath.h"
#include "src/layers/layers.h"
#include "test-util.h"

static int failures;
#include "check.h"

#define TOL 1e-5
static size_t cases;

static int close_to(float got, double ref, double scale) {
  const float rf = (float)ref;
  if (isnan(ref)) return isnan(got);
  if (isinf(rf)) return got == rf;
  if (isnan(got) || isinf(got)) return 0;
  return fabs((double)got - ref) <= TOL * (fabs(ref) + scale);
}

/* Exact-size buffers (no rounding up), so AddressSanitizer builds catch any
 * access past an array's end. */
static float *falloc(size_t n) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  if (p == NULL) {
    printf("out of memory\n");
    exit(2);
  }
  return p;
}

static void fill(uint64_t *s, float *x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = test_rand_uniform(s, lo, hi);
}

/* ------------------------------------------------------------ activations */

/* Keras backend relu (keras/src/layers/activations/relu.py static_call) in
 * double: the same decision structure, evaluated exactly. */
static double ref_relu(double x, double slope, double max_value, double thr) {
  const int has_max = !isinf(max_value);
  if (slope != 0 && !has_max && thr == 0) return x > 0 ? x : slope * x;
  double neg = 0;
  if (slope != 0) neg = isnan(x) ? x : fmax(thr - x, 0.0);
  int clip = has_max;
  double y;
  if (thr != 0) {
    y = x * (x > thr ? 1.0 : 0.0);
  } else if (has_max && max_value == 6) {
    y = isnan(x) ? x : fmin(fmax(x, 0.0), 6.0);
    clip = 0;
  } else {
    y = isnan(x) ? x : fmax(x, 0.0);
  }
  if (clip && !isnan(y)) y = fmin(fmax(y, 0.0), max_value);
  if (slope != 0) y = y - slope * neg;
  return y;
}

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static double clamp01(double v) { return isnan(v) ? v : v < 0 ? 0 : v > 1 ? 1 : v; }

static double ref_act(const arnn_act *a, double x, double prelu_alpha, double *scale) {
  *scale = 1e-30;
  switch (a->kind) {
    case ARNN_ACT_LINEAR: return x;
    case ARNN_ACT_RELU:
      *scale = fabs(x) + fabs(a->threshold) + 1e-30;
      return ref_relu(x, a->negative_slope, a->max_value, a->threshold);
    case ARNN_ACT_RELU6: return isnan(x) ? x : fmin(fmax(x, 0.0), 6.0);
    case ARNN_ACT_LEAKY_RELU: return x > 0 ? x : a->alpha * x;
    case ARNN_ACT_ELU: return x > 0 ? x : a->alpha * expm1(x);
    case ARNN_ACT_SELU: return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * expm1(x));
    case ARNN_ACT_GELU: /* 1 + erf(z) = erfc(-z), without the cancellation for x << 0 */
      return 0.5 * x * erfc(-x / sqrt(2.0));
    case ARNN_ACT_GELU_TANH:
      *scale = 0.05 * fabs(x);
      return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case ARNN_ACT_SWISH: return x * ref_sigmoid(x);
    case ARNN_ACT_TANH: return tanh(x);
    case ARNN_ACT_SIGMOID: return ref_sigmoid(x);
    case ARNN_ACT_HARD_SIGMOID_KERAS2: *scale = 1; return clamp01(0.2 * x + 0.5);
    case ARNN_ACT_HARD_SIGMOID_KERAS3: *scale = 1; return clamp01(x / 6.0 + 0.5);
    case ARNN_ACT_SOFTPLUS: return x > 30 ? x + log1p(exp(-x)) : log1p(exp(x));
    case ARNN_ACT_SOFTSIGN: return x / (1.0 + fabs(x));
    case ARNN_ACT_EXPONENTIAL: return exp(x);
    case ARNN_ACT_PRELU: return x > 0 ? x : prelu_alpha * x;
    default: return NAN;
  }
}

static const float special_inputs[] = {0.0f,  -0.0f, 1e-8f, -1e-8f, 0.5f,  -0.5f, 1.0f,     -1.0f,    2.9f,  -2.5f,
                                       3.0f,  -3.0f, 6.0f,  7.5f,   -7.5f, 20.0f, -20.0f,   88.0f,    -90.0f, 100.0f,
                                       -100.0f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 1e-3f, -1e-3f};
#define NSPECIAL (sizeof special_inputs / sizeof special_inputs[0])

static void check_act_elementwise(const arnn_act *a, const char *label) {
  static const size_t sizes[] = {1, 15, 16, 17, 31, 33, 300};
  uint64_t seed = 0x5eed0001u + (uint64_t)a->kind * 977u;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    const size_t n = sizes[si] + NSPECIAL;
    const size_t B = 2, per = n;
    float *x = falloc(B * per), *y = falloc(B * per), *alpha = falloc(per);
    uint64_t s = seed + si;
    fill(&s, x, B * per, -10.0f, 10.0f);
    for (size_t i = 0; i < NSPECIAL; i++) x[per + i] = special_inputs[i];
    fill(&s, alpha, per, -0.5f, 0.5f);
    arnn_act act = *a;
    if (act.kind == ARNN_ACT_PRELU) act.prelu_alpha = alpha;
    memcpy(y, x, B * per * sizeof(float));
    arnn_act_apply(&act, B, 1, per, NULL, y);
    cases++;
    for (size_t i = 0; i < B * per; i++) {
      double scale;
      const double ref = ref_act(&act, x[i], alpha[i % per], &scale);
      CHECK(close_to(y[i], ref, scale), "%s n=%zu x=%.9g: got %.9g ref %.17g (seed %llu)", label, n, x[i], y[i],
            ref, (unsigned long long)(seed + si));
    }
    free(x);
    free(y);
    free(alpha);
  }
}

static void test_activations(void) {
  /* names round trip */
  for (int k = 0; k < ARNN_ACT_COUNT; k++) {
    const char *name = arnn_act_name((arnn_act_kind)k);
    CHECK(name != NULL && arnn_act_from_name(name) == k, "act name %d", k);
  }
  CHECK(arnn_act_from_name("nope") == -1 && arnn_act_from_name(NULL) == -1, "unknown act name");
  CHECK(arnn_act_name(ARNN_ACT_COUNT) == NULL, "act name out of range");
  CHECK(arnn_act_from_name("hard_sigmoid_keras3") == ARNN_ACT_HARD_SIGMOID_KERAS3, "hard_sigmoid_keras3 name");

  for (int k = 0; k < ARNN_ACT_COUNT; k++) {
    if (k == ARNN_ACT_SOFTMAX) continue;
    arnn_act a;
    memset(&a, 0, sizeof a);
    a.kind = (arnn_act_kind)k;
    a.alpha = k == ARNN_ACT_ELU ? 1.0f : 0.3f;
    a.max_value = INFINITY;
    check_act_elementwise(&a, arnn_act_name(a.kind));
    if (k == ARNN_ACT_ELU) {
      a.alpha = 0.5f;
      check_act_elementwise(&a, "elu alpha 0.5");
    }
  }
  /* ReLU's option combinations (each path of Keras' static_call) */
  static const float relu_opts[][3] = {{0.0f, INFINITY, 0.0f}, {0.1f, INFINITY, 0.0f}, {0.1f, 6.0f, 0.0f},
                                       {0.0f, 6.0f, 0.0f},     {0.0f, 3.5f, 0.0f},      {0.2f, INFINITY, 1.0f},
                                       {0.3f, 4.0f, -1.0f},    {0.0f, INFINITY, 0.5f},  {0.0f, 2.0f, -1.5f}};
  for (size_t i = 0; i < sizeof relu_opts / sizeof relu_opts[0]; i++) {
    arnn_act a;
    memset(&a, 0, sizeof a);
    a.kind = ARNN_ACT_RELU;
    a.negative_slope = relu_opts[i][0];
    a.max_value = relu_opts[i][1];
    a.threshold = relu_opts[i][2];
    char label[64];
    snprintf(label, sizeof label, "relu(%g,%g,%g)", a.negative_slope, a.max_value, a.threshold);
    check_act_elementwise(&a, label);
  }
  /* hand values of Keras' relu code: x == threshold gives 0; with max_value
   * and threshold < 0, x in (threshold, 0) is clipped to 0 */
  {
    arnn_act a;
    memset(&a, 0, sizeof a);
    a.kind = ARNN_ACT_RELU;
    a.max_value = INFINITY;
    a.threshold = 1.0f;
    float v[4] = {1.0f, 1.5f, 0.5f, -2.0f};
    arnn_act_apply(&a, 1, 1, 4, NULL, v);
    CHECK(v[0] == 0.0f && v[1] == 1.5f && v[2] == 0.0f && v[3] == 0.0f, "relu threshold 1: %g %g %g %g", v[0], v[1],
          v[2], v[3]);
    a.threshold = -1.0f;
    a.max_value = 4.0f;
    a.negative_slope = 0.5f;
    float w[4] = {-0.5f, -3.0f, 5.0f, 2.0f};
    arnn_act_apply(&a, 1, 1, 4, NULL, w);
    CHECK(w[0] == 0.0f && w[1] == -1.0f && w[2] == 4.0f && w[3] == 2.0f, "relu(0.5, 4, -1): %g %g %g %g", w[0],
          w[1], w[2], w[3]);
  }
  /* hard sigmoid variants on exact points */
  {
    arnn_act a;
    memset(&a, 0, sizeof a);
    a.kind = ARNN_ACT_HARD_SIGMOID_KERAS2;
    float v[3] = {2.5f, -2.5f, 1.0f};
    arnn_act_apply(&a, 1, 1, 3, NULL, v);
    CHECK(v[0] == 1.0f && v[1] == 0.0f && fabsf(v[2] - 0.7f) < 1e-6f, "hard_sigmoid_keras2");
    a.kind = ARNN_ACT_HARD_SIGMOID_KERAS3;
    float w[3] = {3.0f, -3.0f, 1.5f};
    arnn_act_apply(&a, 1, 1, 3, NULL, w);
    CHECK(w[0] == 1.0f && w[1] == 0.0f && w[2] == 0.75f, "hard_sigmoid_keras3");
  }
  /* tanh, sigmoid, exp are the library's vmath functions: same bits as the
   * scalar kernels called by name */
  {
    const size_t n = 1000;
    float *x = falloc(n), *y = falloc(n), *r = falloc(n);
    uint64_t s = 77;
    fill(&s, x, n, -30.0f, 30.0f);
    const arnn_act_kind kinds[3] = {ARNN_ACT_TANH, ARNN_ACT_SIGMOID, ARNN_ACT_EXPONENTIAL};
    const arnn_f32_vunary_fn fns[3] = {arnn_f32_vtanh__scalar, arnn_f32_vsigmoid__scalar, arnn_f32_vexp__scalar};
    for (int k = 0; k < 3; k++) {
      arnn_act a;
      memset(&a, 0, sizeof a);
      a.kind = kinds[k];
      memcpy(y, x, n * sizeof(float));
      arnn_act_apply(&a, 1, 1, n, NULL, y);
      fns[k](x, r, n);
      CHECK(memcmp(y, r, n * sizeof(float)) == 0, "%s differs from the scalar vmath kernel", arnn_act_name(kinds[k]));
    }
    free(x);
    free(y);
    free(r);
  }
}

/* Softmax reference: masked rows get + (-1e9f) in float first (Keras adds in
 * the input dtype), then exp(x - max) / sum in double. axis 0: over rows. */
static void ref_softmax(size_t rows, size_t cols, int axis, const unsigned char *mask, const float *x, double *r) {
  float *v = falloc(rows * cols);
  memcpy(v, x, rows * cols * sizeof(float));
  if (mask)
    for (size_t i = 0; i < rows; i++)
      if (!mask[i])
        for (size_t c = 0; c < cols; c++) v[i * cols + c] = v[i * cols + c] + -1e9f;
  const size_t lines = axis == 0 ? cols : rows, len = axis == 0 ? rows : cols;
  const size_t step = axis == 0 ? cols : 1, lstep = axis == 0 ? 1 : cols;
  for (size_t l = 0; l < lines; l++) {
    double m = -INFINITY, s = 0;
    /* as fmax (a NaN element is skipped), written as a compare: GCC 12's
     * AArch64 vectorizer fails on an fmax reduction here */
    for (size_t k = 0; k < len; k++) {
      const double e = v[l * lstep + k * step];
      if (e > m) m = e;
    }
    for (size_t k = 0; k < len; k++) s += exp((double)v[l * lstep + k * step] - m);
    for (size_t k = 0; k < len; k++) r[l * lstep + k * step] = exp((double)v[l * lstep + k * step] - m) / s;
  }
  free(v);
}

static void test_softmax(void) {
  static const size_t rows_list[] = {1, 2, 7, 33};
  static const size_t cols_list[] = {1, 15, 16, 17, 300};
  static const float bases[] = {0.0f, 1e4f, -1e4f, 80.0f};
  uint64_t seed = 1000;
  for (size_t ri = 0; ri < 4; ri++)
    for (size_t ci = 0; ci < 5; ci++)
      for (size_t bi = 0; bi < 4; bi++)
        for (int axis = 0; axis < 2; axis++)
          for (int masked = 0; masked < 2; masked++) {
            if (masked && axis == 1) continue;
            const size_t B = 3, R = rows_list[ri], C = cols_list[ci], per = R * C;
            uint64_t s = ++seed;
            float *x = falloc(B * per), *y = falloc(B * per);
            double *r = malloc(per * sizeof(double));
            unsigned char *mask = malloc(B * R);
            for (size_t i = 0; i < B * per; i++) x[i] = bases[bi] + test_rand_uniform(&s, -40.0f, 40.0f);
            /* sample 0: all kept; 1: alternate rows masked; 2: every row masked */
            for (size_t i = 0; i < R; i++) {
              mask[i] = 1;
              mask[R + i] = (unsigned char)(i % 2 == 0);
              mask[2 * R + i] = 0;
            }
            memcpy(y, x, B * per * sizeof(float));
            arnn_act a;
            memset(&a, 0, sizeof a);
            a.kind = ARNN_ACT_SOFTMAX;
            a.axis = axis;
            arnn_act_apply(&a, B, R, C, masked ? mask : NULL, y);
            cases++;
            for (size_t b = 0; b < B; b++) {
              ref_softmax(R, C, axis, masked ? mask + b * R : NULL, x + b * per, r);
              for (size_t i = 0; i < per; i++)
                CHECK(close_to(y[b * per + i], r[i], 1e-25), "softmax R=%zu C=%zu axis %d masked %d base %g b=%zu i=%zu: got %.9g ref %.17g",
                      R, C, axis, masked, bases[bi], b, i, y[b * per + i], r[i]);
            }
            free(x);
            free(y);
            free(r);
            free(mask);
          }
  /* a rank-1 value either way: [F][1] with axis 0 equals [1][F] with axis 1 */
  {
    const size_t F = 37;
    float x[37], u[37], v[37];
    uint64_t s = 5;
    fill(&s, x, F, -5, 5);
    memcpy(u, x, sizeof x);
    memcpy(v, x, sizeof x);
    arnn_act a;
    memset(&a, 0, sizeof a);
    a.kind = ARNN_ACT_SOFTMAX;
    a.axis = 0;
    arnn_act_apply(&a, 1, F, 1, NULL, u);
    a.axis = 1;
    arnn_act_apply(&a, 1, 1, F, NULL, v);
    CHECK(memcmp(u, v, sizeof u) == 0, "softmax rank-1 conventions differ");
  }
  /* NaN in a row poisons that row only */
  {
    float v[6] = {1, NAN, 2, 3, 4, 5};
    arnn_act a;
    memset(&a, 0, sizeof a);
    a.kind = ARNN_ACT_SOFTMAX;
    a.axis = 1;
    arnn_act_apply(&a, 1, 2, 3, NULL, v);
    CHECK(isnan(v[0]) && isnan(v[1]) && isnan(v[2]) && !isnan(v[3]) && fabsf(v[3] + v[4] + v[5] - 1) < 1e-6f,
          "softmax NaN row");
  }
}

/* ------------------------------------------------------------ Dense */

/* The GEMM's B layout (kernels/gemm/gemm.h), packed here independently. */
static float *pack_b(size_t K, size_t N, size_t Np, const float *k) {
  float *p = falloc(Np * K);
  for (size_t c = 0; c < Np; c++)
    for (size_t r = 0; r < K; r++) p[(c / 16) * K * 16 + r * 16 + c % 16] = c < N ? k[r * N + c] : 0.0f;
  return p;
}

/* y = act(A K + b) with the scalar GEMM kernel called by name. */
static void scalar_gemm_rows(size_t M, size_t K, size_t N, const float *A, const float *kernel, const float *bias,
                             const arnn_act *act, float *y) {
  const size_t Np = (N + 15) / 16 * 16;
  float *bp = pack_b(K, N, Np, kernel), *bb = falloc(Np), *c = falloc(M * Np + 1);
  for (size_t j = 0; j < Np; j++) bb[j] = bias && j < N ? bias[j] : 0.0f;
  arnn_f32_gemm__scalar(M, Np, K, A, K, bp, bb, c, Np);
  for (size_t m = 0; m < M; m++) memcpy(y + m * N, c + m * Np, N * sizeof(float));
  if (act) {
    arnn_act a = *act;
    a.axis = 1;
    arnn_act_apply(&a, 1, M, N, NULL, y);
  }
  free(bp);
  free(bb);
  free(c);
}

static void check_dense_like(const char *what, size_t M, size_t K, size_t N, const float *A, const float *kernel,
                             const float *bias, const arnn_act *act, const float *y, unsigned long long seed) {
  /* float64 reference */
  int bad = 0;
  for (size_t m = 0; m < M && !bad; m++) {
    double z[64], sabs[64], zmax = -INFINITY, ssum = 0, maxabs = 0;
    for (size_t c = 0; c < N; c++) {
      double acc = bias ? bias[c] : 0, sa = bias ? fabs(bias[c]) : 0;
      for (size_t k = 0; k < K; k++) {
        acc += (double)A[m * K + k] * kernel[k * N + c];
        sa += fabs((double)A[m * K + k] * kernel[k * N + c]);
      }
      z[c] = acc;
      sabs[c] = sa;
      zmax = fmax(zmax, acc);
      maxabs = fmax(maxabs, sa);
    }
    if (act && act->kind == ARNN_ACT_SOFTMAX)
      for (size_t c = 0; c < N; c++) ssum += exp(z[c] - zmax);
    for (size_t c = 0; c < N; c++) {
      double ref, scale = sabs[c];
      if (act && act->kind == ARNN_ACT_SOFTMAX) {
        ref = exp(z[c] - zmax) / ssum;
        scale = ref * 8 * maxabs;
      } else if (act) {
        double unused;
        ref = ref_act(act, z[c], 0, &unused);
      } else {
        ref = z[c];
      }
      if (!close_to(y[m * N + c], ref, scale)) bad = 1;
      CHECK(close_to(y[m * N + c], ref, scale), "%s M=%zu K=%zu N=%zu act %s row %zu col %zu: got %.9g ref %.17g (seed %llu)",
            what, M, K, N, act ? arnn_act_name(act->kind) : "none", m, c, y[m * N + c], ref, seed);
    }
  }
}

static void test_dense(void) {
  static const size_t ins[] = {1, 15, 16, 17, 33};
  static const size_t outs[] = {1, 15, 16, 17, 31, 33};
  static const size_t rows_list[] = {1, 5, 130, 300};
  const arnn_act_kind kinds[] = {ARNN_ACT_LINEAR, ARNN_ACT_TANH, ARNN_ACT_SOFTMAX, ARNN_ACT_RELU};
  uint64_t seed = 2000;
  for (size_t ii = 0; ii < 5; ii++)
    for (size_t oi = 0; oi < 6; oi++)
      for (size_t ri = 0; ri < 4; ri++) {
        const size_t in = ins[ii], out = outs[oi], rows = rows_list[ri];
        const int with_bias = (int)((ii + oi + ri) % 2);
        arnn_act act;
        memset(&act, 0, sizeof act);
        act.kind = kinds[(ii + oi + ri) % 4];
        act.max_value = INFINITY;
        act.axis = 0; /* ignored by Dense: softmax over the features */
        uint64_t s = ++seed;
        float *x = falloc(rows * in), *k = falloc(in * out), *b = falloc(out), *y = falloc(rows * out),
              *e = falloc(rows * out);
        fill(&s, x, rows * in, -1, 1);
        fill(&s, k, in * out, -0.5f, 0.5f);
        fill(&s, b, out, -0.5f, 0.5f);
        arnn_dense_layer *l;
        const arnn_status st = arnn_dense_layer_create(in, out, k, with_bias ? b : NULL, &act, &l);
        CHECK(st == ARNN_OK, "dense create %d", (int)st);
        if (st != ARNN_OK) continue;
        const size_t sf = arnn_dense_layer_scratch_floats(l, rows);
        float *scratch = sf ? falloc(sf) : NULL;
        for (size_t i = 0; i < rows * out; i++) y[i] = NAN;
        arnn_dense_layer_apply(l, rows, x, y, scratch);
        cases++;
        check_dense_like("dense", rows, in, out, x, k, with_bias ? b : NULL, &act, y, (unsigned long long)seed);
        scalar_gemm_rows(rows, in, out, x, k, with_bias ? b : NULL, &act, e);
        CHECK(memcmp(y, e, rows * out * sizeof(float)) == 0, "dense M=%zu K=%zu N=%zu not bit-identical to the scalar GEMM",
              rows, in, out);
        arnn_dense_layer_destroy(l);
        free(scratch);
        free(x);
        free(k);
        free(b);
        free(y);
        free(e);
      }
  /* argument checks */
  float k1[4] = {1, 2, 3, 4};
  arnn_dense_layer *l = (arnn_dense_layer *)&k1;
  arnn_act prelu;
  memset(&prelu, 0, sizeof prelu);
  prelu.kind = ARNN_ACT_PRELU;
  CHECK(arnn_dense_layer_create(2, 2, k1, NULL, NULL, NULL) == ARNN_ERR_INVALID_ARGUMENT, "dense NULL out");
  CHECK(arnn_dense_layer_create(0, 2, k1, NULL, NULL, &l) == ARNN_ERR_INVALID_ARGUMENT && l == NULL, "dense in 0");
  CHECK(arnn_dense_layer_create(2, 0, k1, NULL, NULL, &l) == ARNN_ERR_INVALID_ARGUMENT, "dense out 0");
  CHECK(arnn_dense_layer_create(2, 2, NULL, NULL, NULL, &l) == ARNN_ERR_INVALID_ARGUMENT, "dense NULL kernel");
  CHECK(arnn_dense_layer_create(2, 2, k1, NULL, &prelu, &l) == ARNN_ERR_INVALID_ARGUMENT, "dense prelu");
  CHECK(arnn_dense_layer_create(SIZE_MAX / 8, 17, k1, NULL, NULL, &l) == ARNN_ERR_OUT_OF_RANGE, "dense overflow");
  CHECK(arnn_dense_layer_create(2, SIZE_MAX - 3, k1, NULL, NULL, &l) == ARNN_ERR_OUT_OF_RANGE, "dense out overflow");
  /* one hand-computed row: [1 2] x [[1 2] [3 4]] + [0.5 -0.5] = [7.5 9.5] */
  CHECK(arnn_dense_layer_create(2, 2, k1, (const float[]){0.5f, -0.5f}, NULL, &l) == ARNN_OK, "dense 2x2");
  float x2[2] = {1, 2}, y2[2], sc[16];
  arnn_dense_layer_apply(l, 1, x2, y2, sc);
  CHECK(y2[0] == 7.5f && y2[1] == 9.5f, "dense 2x2: %g %g", y2[0], y2[1]);
  arnn_dense_layer_destroy(l);
  arnn_dense_layer_destroy(NULL);
}

/* ------------------------------------------------------------ Conv1D */

/* Keras conv_output_length (tf.keras utils/conv_utils.py), literally. */
static long ref_conv_len(long T, long k, long s, long d, int padding) {
  const long dk = k + (k - 1) * (d - 1);
  long len = padding == ARNN_PAD_VALID ? T - dk + 1 : T;
  if (len < 0) len = 0;
  return (len + s - 1) / s;
}

/* TensorFlow SAME / causal left padding. */
static long ref_pad_left(long T, long To, long k, long s, long d, int padding) {
  const long dk = (k - 1) * d + 1;
  if (padding == ARNN_PAD_CAUSAL) return dk - 1;
  if (padding == ARNN_PAD_VALID) return 0;
  long total = (To - 1) * s + dk - T;
  if (total < 0) total = 0;
  return total / 2;
}

static void test_conv1d(void) {
  static const size_t ins[] = {1, 3, 17};
  static const size_t outs[] = {1, 16, 17};
  static const size_t ks[] = {1, 2, 3, 5};
  static const size_t Ts[] = {1, 2, 5, 16, 33, 150};
  uint64_t seed = 3000;
  for (size_t ii = 0; ii < 3; ii++)
    for (size_t oi = 0; oi < 3; oi++)
      for (size_t ki = 0; ki < 4; ki++)
        for (size_t stride = 1; stride <= 3; stride++)
          for (size_t dil = 1; dil <= 3; dil++)
            for (int pad = 0; pad < 3; pad++) {
              const size_t in = ins[ii], out = outs[oi], k = ks[ki];
              if (stride > 1 && dil > 1) continue; /* Keras refuses strides > 1 with dilation > 1 */
              uint64_t s = ++seed;
              const size_t KK = k * in * out;
              float *kern = falloc(KK), *bias = falloc(out);
              fill(&s, kern, KK, -0.5f, 0.5f);
              fill(&s, bias, out, -0.5f, 0.5f);
              arnn_act act;
              memset(&act, 0, sizeof act);
              act.kind = (seed % 3 == 0) ? ARNN_ACT_RELU : ARNN_ACT_LINEAR;
              act.max_value = INFINITY;
              const int with_bias = (int)(seed % 2);
              arnn_conv1d_layer *l;
              arnn_status st = arnn_conv1d_layer_create(in, out, k, stride, dil, (arnn_padding_mode)pad, kern,
                                                        with_bias ? bias : NULL, &act, &l);
              CHECK(st == ARNN_OK, "conv create %d", (int)st);
              if (st != ARNN_OK) continue;
              for (size_t ti = 0; ti < 6; ti++) {
                const size_t T = Ts[ti], B = 2;
                const size_t To = arnn_conv1d_layer_out_steps(l, T);
                CHECK((long)To == ref_conv_len((long)T, (long)k, (long)stride, (long)dil, pad),
                      "conv out_steps T=%zu k=%zu s=%zu d=%zu pad %d: %zu", T, k, stride, dil, pad, To);
                float *x = falloc(B * T * in), *y = falloc(B * To * out + 1), *e = falloc(B * To * out + 1);
                fill(&s, x, B * T * in, -1, 1);
                const size_t sf = arnn_conv1d_layer_scratch_floats(l, B, T);
                float *scratch = falloc(sf);
                for (size_t i = 0; i < B * To * out; i++) y[i] = NAN;
                arnn_conv1d_layer_apply(l, B, T, x, y, scratch);
                cases++;
                if (To == 0) {
                  free(x), free(y), free(e), free(scratch);
                  continue;
                }
                /* im2col by the Keras definition, then the float64 reference and the scalar GEMM */
                const long pl = ref_pad_left((long)T, (long)To, (long)k, (long)stride, (long)dil, pad);
                const size_t Kd = k * in;
                float *cols = falloc(B * To * Kd);
                for (size_t b = 0; b < B; b++)
                  for (size_t o = 0; o < To; o++)
                    for (size_t j = 0; j < k; j++) {
                      const long t = (long)(o * stride + j * dil) - pl;
                      for (size_t c = 0; c < in; c++)
                        cols[((b * To + o) * k + j) * in + c] =
                            t >= 0 && t < (long)T ? x[(b * T + (size_t)t) * in + c] : 0.0f;
                    }
                char what[96];
                snprintf(what, sizeof what, "conv1d k=%zu s=%zu d=%zu pad %d T=%zu", k, stride, dil, pad, T);
                check_dense_like(what, B * To, Kd, out, cols, kern, with_bias ? bias : NULL, &act, y,
                                 (unsigned long long)seed);
                scalar_gemm_rows(B * To, Kd, out, cols, kern, with_bias ? bias : NULL, &act, e);
                CHECK(memcmp(y, e, B * To * out * sizeof(float)) == 0, "%s not bit-identical to the scalar GEMM", what);
                free(cols);
                free(x);
                free(y);
                free(e);
                free(scratch);
              }
              arnn_conv1d_layer_destroy(l);
              free(kern);
              free(bias);
            }
  /* hand-computed TensorFlow padding: x = 1..5, kernel [1 1 1], same, stride 2:
   * pad_total 2, left 1: windows {-1,0,1} {1,2,3} {3,4,5} -> 3 9 9 */
  {
    const float kern[3] = {1, 1, 1}, x[5] = {1, 2, 3, 4, 5};
    float y[3], scratch[64 * 4];
    arnn_conv1d_layer *l;
    CHECK(arnn_conv1d_layer_create(1, 1, 3, 2, 1, ARNN_PAD_SAME, kern, NULL, NULL, &l) == ARNN_OK, "conv hand 1");
    CHECK(arnn_conv1d_layer_out_steps(l, 5) == 3, "conv hand 1 length");
    CHECK(arnn_conv1d_layer_scratch_floats(l, 1, 5) <= 64 * 4, "conv hand 1 scratch");
    arnn_conv1d_layer_apply(l, 1, 5, x, y, scratch);
    CHECK(y[0] == 3 && y[1] == 9 && y[2] == 9, "conv same stride 2: %g %g %g", y[0], y[1], y[2]);
    arnn_conv1d_layer_destroy(l);
    /* even kernel, same: the extra padding step goes to the right:
     * x = 1..4, kernel [1 10] -> 21 32 43 4 */
    const float kern2[2] = {1, 10};
    float y2[4];
    CHECK(arnn_conv1d_layer_create(1, 1, 2, 1, 1, ARNN_PAD_SAME, kern2, NULL, NULL, &l) == ARNN_OK, "conv hand 2");
    arnn_conv1d_layer_apply(l, 1, 4, x, y2, scratch);
    CHECK(y2[0] == 21 && y2[1] == 32 && y2[2] == 43 && y2[3] == 4, "conv same even k: %g %g %g %g", y2[0], y2[1],
          y2[2], y2[3]);
    arnn_conv1d_layer_destroy(l);
    /* causal, dilation 2, k 2: y_t = x_{t-2} + 10 x_t -> 10 20 31 42 53 */
    CHECK(arnn_conv1d_layer_create(1, 1, 2, 1, 2, ARNN_PAD_CAUSAL, kern2, NULL, NULL, &l) == ARNN_OK, "conv hand 3");
    float y3[5];
    arnn_conv1d_layer_apply(l, 1, 5, x, y3, scratch);
    CHECK(y3[0] == 10 && y3[1] == 20 && y3[2] == 31 && y3[3] == 42 && y3[4] == 53, "conv causal d2: %g %g %g %g %g",
          y3[0], y3[1], y3[2], y3[3], y3[4]);
    CHECK(arnn_conv1d_layer_out_steps(l, 0) == 0, "conv T=0");
    arnn_conv1d_layer_destroy(l);
    /* valid with T shorter than the dilated kernel: no output, nothing written */
    CHECK(arnn_conv1d_layer_create(1, 1, 3, 1, 2, ARNN_PAD_VALID, kern, NULL, NULL, &l) == ARNN_OK, "conv hand 4");
    CHECK(arnn_conv1d_layer_out_steps(l, 4) == 0 && arnn_conv1d_layer_out_steps(l, 5) == 1, "conv valid short");
    float guard = 123.0f;
    arnn_conv1d_layer_apply(l, 1, 4, x, &guard, scratch);
    CHECK(guard == 123.0f, "conv wrote with T' = 0");
    arnn_conv1d_layer_destroy(l);
  }
  arnn_conv1d_layer *l = NULL;
  const float kern[3] = {1, 1, 1};
  CHECK(arnn_conv1d_layer_create(1, 1, 3, 0, 1, ARNN_PAD_SAME, kern, NULL, NULL, &l) == ARNN_ERR_INVALID_ARGUMENT,
        "conv stride 0");
  CHECK(arnn_conv1d_layer_create(1, 1, 0, 1, 1, ARNN_PAD_SAME, kern, NULL, NULL, &l) == ARNN_ERR_INVALID_ARGUMENT,
        "conv k 0");
  CHECK(arnn_conv1d_layer_create(1, 1, 3, 1, 1, (arnn_padding_mode)7, kern, NULL, NULL, &l) ==
            ARNN_ERR_INVALID_ARGUMENT,
        "conv bad padding");
  CHECK(arnn_conv1d_layer_create(SIZE_MAX / 2, 1, 3, 1, 1, ARNN_PAD_SAME, kern, NULL, NULL, &l) ==
            ARNN_ERR_OUT_OF_RANGE,
        "conv K overflow");
  CHECK(arnn_conv1d_layer_create(1, 1, 3, 1, SIZE_MAX / 2, ARNN_PAD_SAME, kern, NULL, NULL, &l) ==
            ARNN_ERR_OUT_OF_RANGE,
        "conv dilation overflow");
  CHECK(l == NULL, "conv failed create leaves NULL");
}

/* ------------------------------------------------------------ pooling */

static void test_pool1d(void) {
  static const size_t Ts[] = {1, 2, 5, 16, 17, 33};
  static const size_t Fs[] = {1, 3, 17};
  uint64_t seed = 4000;
  for (size_t ti = 0; ti < 6; ti++)
    for (size_t fi = 0; fi < 3; fi++)
      for (size_t pool = 1; pool <= 4; pool++)
        for (size_t stride = 1; stride <= 5; stride++)
          for (int pad = 0; pad < 2; pad++)
            for (int mode = 0; mode < 2; mode++) {
              const size_t T = Ts[ti], F = Fs[fi], B = 2;
              const arnn_padding_mode pm = pad ? ARNN_PAD_SAME : ARNN_PAD_VALID;
              const size_t To = arnn_pool1d_out_steps(T, pool, stride, pm);
              /* Keras conv_output_length with dilation 1 */
              const long len = pad ? (long)T : (long)T - (long)pool + 1;
              const long ref_len = len <= 0 ? 0 : (len + (long)stride - 1) / (long)stride;
              CHECK((long)To == ref_len, "pool out_steps T=%zu pool=%zu s=%zu pad %d: %zu", T, pool, stride, pad, To);
              uint64_t s = ++seed;
              float *x = falloc(B * T * F), *y = falloc(B * To * F + 1);
              fill(&s, x, B * T * F, -5, 5);
              arnn_pool1d_apply((arnn_pool_mode)mode, pool, stride, pm, B, T, F, x, y);
              cases++;
              long total = ((long)To - 1) * (long)stride + (long)pool - (long)T;
              if (total < 0) total = 0;
              const long pl = pad ? total / 2 : 0;
              for (size_t b = 0; b < B; b++)
                for (size_t o = 0; o < To; o++)
                  for (size_t f = 0; f < F; f++) {
                    double acc = mode ? 0 : -INFINITY, sabs = 0;
                    long n = 0;
                    for (long t = (long)(o * stride) - pl; t < (long)(o * stride) - pl + (long)pool; t++) {
                      if (t < 0 || t >= (long)T) continue;
                      const double v = x[(b * T + (size_t)t) * F + f];
                      acc = mode ? acc + v : fmax(acc, v);
                      sabs += fabs(v);
                      n++;
                    }
                    const double ref = mode ? acc / (double)n : acc;
                    const float got = y[(b * To + o) * F + f];
                    CHECK(n > 0 && close_to(got, ref, mode ? sabs / (double)n : 0),
                          "pool mode %d T=%zu pool=%zu s=%zu pad %d o=%zu: got %.9g ref %.17g", mode, T, pool, stride,
                          pad, o, got, ref);
                  }
              free(x);
              free(y);
            }
  /* hand cases (TensorFlow SAME): x = 1..5, pool 2, stride 2 -> windows
   * {0,1} {2,3} {4}: avg 1.5 3.5 5, max 2 4 5; x = 1..4, pool 3, stride 1 ->
   * pad_left 1: avg 1.5 2 3 3.5 */
  const float x[5] = {1, 2, 3, 4, 5};
  float y[5];
  arnn_pool1d_apply(ARNN_POOL_AVG, 2, 2, ARNN_PAD_SAME, 1, 5, 1, x, y);
  CHECK(y[0] == 1.5f && y[1] == 3.5f && y[2] == 5.0f, "avg same: %g %g %g", y[0], y[1], y[2]);
  arnn_pool1d_apply(ARNN_POOL_MAX, 2, 2, ARNN_PAD_SAME, 1, 5, 1, x, y);
  CHECK(y[0] == 2 && y[1] == 4 && y[2] == 5, "max same: %g %g %g", y[0], y[1], y[2]);
  arnn_pool1d_apply(ARNN_POOL_AVG, 3, 1, ARNN_PAD_SAME, 1, 4, 1, x, y);
  CHECK(y[0] == 1.5f && y[1] == 2 && y[2] == 3 && y[3] == 3.5f, "avg same pool 3: %g %g %g %g", y[0], y[1], y[2],
        y[3]);
  CHECK(arnn_pool1d_out_steps(2, 3, 1, ARNN_PAD_VALID) == 0 && arnn_pool1d_out_steps(5, 2, 0, ARNN_PAD_SAME) == 0 &&
            arnn_pool1d_out_steps(5, 2, 1, ARNN_PAD_CAUSAL) == 0,
        "pool degenerate lengths");
  const float xn[4] = {1, NAN, 3, 4};
  arnn_pool1d_apply(ARNN_POOL_MAX, 2, 2, ARNN_PAD_VALID, 1, 4, 1, xn, y);
  CHECK(isnan(y[0]) && y[1] == 4, "max pool NaN");
}

static void test_global_pool(void) {
  static const size_t Ts[] = {1, 2, 17, 40};
  static const size_t Fs[] = {1, 15, 16, 17};
  uint64_t seed = 5000;
  for (size_t ti = 0; ti < 4; ti++)
    for (size_t fi = 0; fi < 4; fi++)
      for (int mode = 0; mode < 2; mode++)
        for (int masked = 0; masked < 2; masked++) {
          const size_t T = Ts[ti], F = Fs[fi], B = 4;
          uint64_t s = ++seed;
          float *x = falloc(B * T * F), *y = falloc(B * F);
          unsigned char *mask = malloc(B * T);
          fill(&s, x, B * T * F, -3, 3);
          /* sample 0 all kept, 1 holes, 2 all masked, 3 front padded; masked
           * rows hold NaN and inf, which must not leak */
          for (size_t t = 0; t < T; t++) {
            mask[t] = 1;
            mask[T + t] = (unsigned char)(t % 3 != 1);
            mask[2 * T + t] = 0;
            mask[3 * T + t] = (unsigned char)(t >= T / 2);
          }
          if (masked)
            for (size_t i = 0; i < B * T; i++)
              if (!mask[i])
                for (size_t f = 0; f < F; f++) x[i * F + f] = f % 2 ? NAN : INFINITY;
          arnn_global_pool1d_apply((arnn_pool_mode)mode, B, T, F, x, masked ? mask : NULL, y);
          cases++;
          for (size_t b = 0; b < B; b++)
            for (size_t f = 0; f < F; f++) {
              double acc = mode ? 0 : -INFINITY, sabs = 0;
              size_t n = 0;
              for (size_t t = 0; t < T; t++) {
                if (masked && !mask[b * T + t]) continue;
                const double v = x[(b * T + t) * F + f];
                acc = mode ? acc + v : fmax(acc, v);
                sabs += fabs(v);
                n++;
              }
              const double ref = n == 0 ? 0.0 : mode ? acc / (double)n : acc;
              CHECK(close_to(y[b * F + f], ref, n ? sabs / (double)n : 0),
                    "global pool mode %d masked %d T=%zu F=%zu b=%zu f=%zu: got %.9g ref %.17g", mode, masked, T, F, b,
                    f, y[b * F + f], ref);
            }
          free(x);
          free(y);
          free(mask);
        }
}

/* ------------------------------------------------------------ normalisation */

static void test_norm(void) {
  static const size_t Fs[] = {1, 15, 16, 17, 33, 300};
  uint64_t seed = 6000;
  for (size_t fi = 0; fi < 6; fi++)
    for (int variant = 0; variant < 4; variant++) {
      const size_t F = Fs[fi], rows = 7;
      const int layer = variant >= 2, no_affine = variant % 2;
      uint64_t s = ++seed;
      float *g = falloc(F), *bt = falloc(F), *mean = falloc(F), *var = falloc(F);
      float *x = falloc(rows * F), *y = falloc(rows * F);
      fill(&s, g, F, -2, 2);
      fill(&s, bt, F, -1, 1);
      fill(&s, mean, F, -3, 3);
      fill(&s, var, F, 0, 4);
      fill(&s, x, rows * F, -3, 3);
      /* row 1: large mean, small spread; row 2: constant (zero variance) */
      for (size_t f = 0; f < F; f++) {
        x[F + f] = 1000.0f + test_rand_uniform(&s, -0.01f, 0.01f);
        x[2 * F + f] = 2.5f;
      }
      const float eps = layer ? 1e-5f : 1e-3f;
      arnn_norm_layer *l;
      arnn_status st = layer ? arnn_layer_norm_create(F, no_affine ? NULL : g, no_affine ? NULL : bt, eps, &l)
                             : arnn_batch_norm_create(F, no_affine ? NULL : g, no_affine ? NULL : bt, mean, var, eps, &l);
      CHECK(st == ARNN_OK, "norm create %d", (int)st);
      if (st != ARNN_OK) continue;
      /* in place on the second half of the call */
      memcpy(y, x, rows * F * sizeof(float));
      arnn_norm_layer_apply(l, 3, x, y);
      arnn_norm_layer_apply(l, rows - 3, y + 3 * F, y + 3 * F);
      cases++;
      for (size_t r = 0; r < rows; r++) {
        double mu = 0, v = 0;
        if (layer) {
          for (size_t f = 0; f < F; f++) mu += x[r * F + f];
          mu /= (double)F;
          for (size_t f = 0; f < F; f++) v += ((double)x[r * F + f] - mu) * ((double)x[r * F + f] - mu);
          v /= (double)F;
        }
        for (size_t f = 0; f < F; f++) {
          const double gg = no_affine ? 1 : g[f], bb = no_affine ? 0 : bt[f];
          const double m = layer ? mu : mean[f], vv = layer ? v : var[f];
          const double inv = gg / sqrt(vv + eps);
          const double ref = ((double)x[r * F + f] - m) * inv + bb;
          const double scale = layer ? 1e-2 * fabs(inv) + fabs(bb) : (fabs(x[r * F + f]) + fabs(m)) * fabs(inv) + fabs(bb);
          CHECK(close_to(y[r * F + f], ref, scale), "%s norm F=%zu row %zu f %zu: got %.9g ref %.17g",
                layer ? "layer" : "batch", F, r, f, y[r * F + f], ref);
        }
      }
      arnn_norm_layer_destroy(l);
      free(g), free(bt), free(mean), free(var), free(x), free(y);
    }
  arnn_norm_layer *l = NULL;
  const float one = 1;
  CHECK(arnn_batch_norm_create(1, &one, &one, NULL, &one, 1e-3f, &l) == ARNN_ERR_INVALID_ARGUMENT && l == NULL,
        "batch norm NULL mean");
  CHECK(arnn_batch_norm_create(0, &one, &one, &one, &one, 1e-3f, &l) == ARNN_ERR_INVALID_ARGUMENT, "batch norm F 0");
  CHECK(arnn_layer_norm_create(1, &one, &one, -1.0f, &l) == ARNN_ERR_INVALID_ARGUMENT, "layer norm eps < 0");
  CHECK(arnn_layer_norm_create(1, &one, &one, 1e-3f, NULL) == ARNN_ERR_INVALID_ARGUMENT, "layer norm NULL out");
  arnn_norm_layer_destroy(NULL);
}

/* ------------------------------------------------------------ merges */

static void test_merges(void) {
  uint64_t s = 7000;
  static const size_t counts[] = {1, 17, 100};
  for (size_t ci = 0; ci < 3; ci++)
    for (int mode = 0; mode <= ARNN_MERGE_MINIMUM; mode++)
      for (size_t n = 2; n <= 3; n++) {
        if (mode == ARNN_MERGE_SUBTRACT && n != 2) continue;
        const size_t count = counts[ci];
        float *in[3], *y = falloc(count);
        for (size_t j = 0; j < n; j++) {
          in[j] = falloc(count);
          fill(&s, in[j], count, -4, 4);
        }
        if (count > 5) {
          in[0][3] = NAN;
          in[n - 1][4] = NAN;
        }
        arnn_merge_elementwise((arnn_merge_mode)mode, n, (const float *const *)in, count, y);
        cases++;
        for (size_t i = 0; i < count; i++) {
          double ref = in[0][i], sabs = fabs(in[0][i]);
          for (size_t j = 1; j < n; j++) {
            const double v = in[j][i];
            sabs = mode == ARNN_MERGE_MULTIPLY ? sabs * fabs(v) : sabs + fabs(v);
            switch (mode) {
              case ARNN_MERGE_ADD:
              case ARNN_MERGE_AVERAGE: ref += v; break;
              case ARNN_MERGE_SUBTRACT: ref -= v; break;
              case ARNN_MERGE_MULTIPLY: ref *= v; break;
              case ARNN_MERGE_MAXIMUM: ref = isnan(ref) || isnan(v) ? NAN : fmax(ref, v); break;
              case ARNN_MERGE_MINIMUM: ref = isnan(ref) || isnan(v) ? NAN : fmin(ref, v); break;
            }
          }
          if (mode == ARNN_MERGE_AVERAGE) ref /= (double)n, sabs /= (double)n;
          CHECK(close_to(y[i], ref, sabs), "merge mode %d n=%zu i=%zu: got %.9g ref %.17g", mode, n, i, y[i], ref);
        }
        for (size_t j = 0; j < n; j++) free(in[j]);
        free(y);
      }
  /* in place into the first or the last input */
  float a[3] = {1, 2, 3}, b[3] = {10, 20, 30};
  const float *ab[2] = {a, b};
  arnn_merge_elementwise(ARNN_MERGE_AVERAGE, 2, ab, 3, a);
  CHECK(a[0] == 5.5f && a[1] == 11 && a[2] == 16.5f, "average in place");
  arnn_merge_elementwise(ARNN_MERGE_SUBTRACT, 2, ab, 3, b);
  CHECK(b[0] == -4.5f && b[1] == -9 && b[2] == -13.5f, "subtract into the second input");

  /* concat: axis 1 of [2][1], [2][3]; axis 0 of [1][2], [2][2]; B = 2 */
  {
    const float p[4] = {1, 2, 3, 4}, q[12] = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const float *xs[2] = {p, q};
    const size_t rows1[2] = {2, 2}, cols1[2] = {1, 3};
    float y[16];
    arnn_concat(2, 2, xs, rows1, cols1, 1, y);
    const float e1[16] = {1, 5, 6, 7, 2, 8, 9, 10, 3, 11, 12, 13, 4, 14, 15, 16};
    CHECK(memcmp(y, e1, sizeof e1) == 0, "concat axis 1");
    const size_t rows0[2] = {1, 2}, cols0[2] = {2, 2};
    const float q0[8] = {5, 6, 7, 8, 9, 10, 11, 12};
    const float *xs0[2] = {p, q0};
    arnn_concat(2, 2, xs0, rows0, cols0, 0, y);
    const float e0[12] = {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12};
    CHECK(memcmp(y, e0, sizeof e0) == 0, "concat axis 0");
    cases += 2;
  }
  /* transpose [2][3] -> [3][2], B = 2; repeat_vector */
  {
    const float x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    float y[12];
    arnn_transpose(2, 2, 3, x, y);
    const float e[12] = {1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12};
    CHECK(memcmp(y, e, sizeof e) == 0, "transpose");
    arnn_repeat_vector(2, 2, 3, x, y);
    const float r[12] = {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4};
    CHECK(memcmp(y, r, sizeof r) == 0, "repeat_vector");
    cases += 2;
  }
}

static void test_dot(void) {
  static const size_t dims[][4] = {{1, 17, 1, 17}, {5, 17, 7, 17}, {17, 5, 17, 7}, {3, 16, 16, 4},
                                   {16, 3, 4, 16}, {1, 33, 33, 1}, {1, 1, 1, 1}, {7, 15, 7, 31}};
  uint64_t seed = 8000;
  for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
    for (int axa = 0; axa < 2; axa++)
      for (int axb = 0; axb < 2; axb++)
        for (int normalize = 0; normalize < 2; normalize++) {
          const size_t ra = dims[di][0], ca = dims[di][1], rb = dims[di][2], cb = dims[di][3];
          const size_t K = axa ? ca : ra;
          if ((axb ? cb : rb) != K) continue;
          const size_t I = axa ? ra : ca, J = axb ? rb : cb, B = 3;
          uint64_t s = ++seed;
          float *a = falloc(B * ra * ca), *b = falloc(B * rb * cb), *y = falloc(B * I * J);
          fill(&s, a, B * ra * ca, -2, 2);
          fill(&s, b, B * rb * cb, -2, 2);
          /* sample 2's a is zero: normalize must keep it zero, not NaN */
          for (size_t i = 0; i < ra * ca; i++) a[2 * ra * ca + i] = 0;
          const size_t sf = arnn_dot_scratch_floats(B, ra, ca, rb, cb);
          float *scratch = falloc(sf);
          arnn_dot(B, ra, ca, a, axa, rb, cb, b, axb, normalize, y, normalize ? scratch : NULL);
          cases++;
          for (size_t smp = 0; smp < B; smp++) {
            const float *as = a + smp * ra * ca, *bs = b + smp * rb * cb;
            double na[64], nb[64];
            /* Keras 3 normalize: x / max(||x||, 1e-7) along the contracted axis */
            for (size_t i = 0; i < I; i++) {
              double ss = 0;
              for (size_t k = 0; k < K; k++) {
                const double v = axa ? as[i * ca + k] : as[k * ca + i];
                ss += v * v;
              }
              na[i] = normalize ? 1.0 / fmax(sqrt(ss), 1e-7) : 1.0;
            }
            for (size_t j = 0; j < J; j++) {
              double ss = 0;
              for (size_t k = 0; k < K; k++) {
                const double v = axb ? bs[j * cb + k] : bs[k * cb + j];
                ss += v * v;
              }
              nb[j] = normalize ? 1.0 / fmax(sqrt(ss), 1e-7) : 1.0;
            }
            for (size_t i = 0; i < I; i++)
              for (size_t j = 0; j < J; j++) {
                double acc = 0, sabs = 0;
                for (size_t k = 0; k < K; k++) {
                  const double va = (axa ? as[i * ca + k] : as[k * ca + i]) * na[i];
                  const double vb = (axb ? bs[j * cb + k] : bs[k * cb + j]) * nb[j];
                  acc += va * vb;
                  sabs += fabs(va * vb);
                }
                const float got = y[(smp * I + i) * J + j];
                CHECK(close_to(got, acc, sabs), "dot %zux%zu . %zux%zu axes (%d,%d) norm %d s=%zu (%zu,%zu): got %.9g ref %.17g",
                      ra, ca, rb, cb, axa, axb, normalize, smp, i, j, got, acc);
              }
          }
          free(a), free(b), free(y), free(scratch);
        }
  /* cosine of two rank-1 vectors ([1][F], axis 1): parallel -> 1 */
  const float u[3] = {1, 2, 2}, v[3] = {2, 4, 4};
  float y, scratch[6];
  arnn_dot(1, 1, 3, u, 1, 1, 3, v, 1, 1, &y, scratch);
  CHECK(fabsf(y - 1.0f) < 1e-6f, "cosine parallel: %g", y);
  arnn_dot(1, 1, 3, u, 1, 1, 3, v, 1, 0, &y, NULL);
  CHECK(y == 18.0f, "dot rank 1: %g", y);
}

int main(void) {
  printf("layers-test: active ISA %s, GEMM %s\n", arnn_isa(), arnn_kernel_name("gemm"));
  test_activations();
  test_softmax();
  test_dense();
  test_conv1d();
  test_pool1d();
  test_global_pool();
  test_norm();
  test_merges();
  test_dot();
  printf("layers-test: %zu cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
