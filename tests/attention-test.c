/* Fused attention pooling and dense head: every kernel by name on every ISA
 * this CPU runs (under the ARNN_ISA cap), against its scalar twin (bit for
 * bit) and a float64 reference, then the public API and its argument checks.
 *
 * Attention cases: T in {1, 2, 400, 1000} x F in {1, 2, 15, 16, 17, 64, 128,
 * 192, 256, 1000} (64..256: the AVX-512 register path),
 * B = 1..5 (cycling), each batch row with its own mask pattern (none masked,
 * holes, all masked, front padded, end padded; masked rows of x hold NaN,
 * which must never reach the outputs), both forms (eps = 1e-7 and exact
 * softmax), bias present / absent, moderate and large activations
 * (|x . w| >> 1, tanh saturated), unaligned pointers (offset by one float),
 * weights output present / absent (same context bits either way), guard
 * values after every output, and every array flush against a PROT_NONE page
 * (nothing read or written outside it, masked tails included).
 *
 * Tolerances against float64 (u = 2^-24, bounds derived from the operation
 * order, not tuned):
 *   score:   |ds_t| <= (F/16 + 6) u (sum_k |x_tk w_k| + |b_t|)
 *   weight:  rel. error of u_t = exp(tanh(s_t)):
 *            r_t <= ds_t max|tanh'| over [|s_t| - ds_t, |s_t|] + 6u
 *            (tanh and exp are <= 2 ULP each), rho = max_t r_t
 *   context: |c_f - ref| <= 2 (sum_t u_t |x_tf| / d) (2 rho + (2T + 4) u)
 *   weights: |a_t - ref| <= 2 (u_t / d) (2 rho + (T + 4) u)
 *   sum_t a_t within sum_t (weight bounds) + T u of S / (S + eps).
 * Dense: |dz| <= (F/16 + 6) u (sum_k |x_k K_kc| + |b_c|); sigmoid error
 * <= dz max sigma' over [z - dz, z + dz] + 4u y; softmax relative error
 * <= 2 (2 max_c dz_c + 4u) + (C + 4) u; every probability finite and in
 * [0, 1], softmax rows sum to 1 within (C + 4) u. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arnn/arnn.h"
#include "kernels/attention/attention.h"
#include "kernels/dense/dense.h"
#include "test-util.h"

static int failures;
#include "check.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ARNN_TEST_HAS_SANITIZER 1
#endif
#endif
#ifndef ARNN_TEST_HAS_SANITIZER
#define ARNN_TEST_HAS_SANITIZER 0
#endif

#define U 0x1p-24

typedef struct {
  const char *name, *isa;
  arnn_f32_attention_pool_fn fn;
} pool_kernel;
#define ARNN_KERNEL(op, isa, arch) {"arnn_f32_" #op "__" #isa, #isa, arnn_f32_##op##__##isa},
static const pool_kernel pool_kernels[] = {
#include "kernels/attention/f32-attention-pool.inc"
};
#undef ARNN_KERNEL

typedef struct {
  const char *name, *isa;
  arnn_f32_dense_head_fn fn;
} dense_kernel;
#define ARNN_KERNEL(op, isa, arch) {"arnn_f32_" #op "__" #isa, #isa, arnn_f32_##op##__##isa},
static const dense_kernel dense_kernels[] = {
#include "kernels/dense/f32-dense-head.inc"
};
#undef ARNN_KERNEL

#define NPOOL (sizeof pool_kernels / sizeof pool_kernels[0])
#define NDENSE (sizeof dense_kernels / sizeof dense_kernels[0])
#define GUARD 8
static const float guard_value = -12345.0f;

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* ---------------------------------------------------------------- attention */

typedef struct {
  double c_err_scale; /* 2 rho + (2T + 4) u */
  double a_err_scale; /* 2 rho + (T + 4) u */
  double S, d;
} pool_ref_info;

/* float64 reference of one sequence; cabs[f] = sum_t u_t |x_tf| / d. */
static pool_ref_info pool_reference(size_t T, size_t F, const float *x, const float *w, const float *bias,
                                    const uint8_t *mask, double eps, double *c, double *cabs, double *a) {
  double S = 0.0, rho = 0.0;
  for (size_t f = 0; f < F; f++) c[f] = cabs[f] = 0.0;
  for (size_t t = 0; t < T; t++) {
    a[t] = 0.0;
    if (mask != NULL && mask[t] == 0) continue;
    const float *xt = x + t * F;
    double s = 0.0, mag = 0.0;
    for (size_t k = 0; k < F; k++) {
      s += (double)xt[k] * w[k];
      mag += fabs((double)xt[k] * w[k]);
    }
    if (bias != NULL) {
      s += bias[t];
      mag += fabs(bias[t]);
    }
    const double ds = ((double)(F / 16) + 6.0) * U * mag;
    const double lo = fabs(s) - ds;
    const double sens = lo > 0 ? 1.0 - tanh(lo) * tanh(lo) : 1.0;
    const double r = ds * sens + 6.0 * U;
    if (r > rho) rho = r;
    const double ut = exp(tanh(s));
    a[t] = ut;
    S += ut;
    for (size_t f = 0; f < F; f++) {
      c[f] += ut * xt[f];
      cabs[f] += ut * fabs((double)xt[f]);
    }
  }
  const double d = S + eps;
  for (size_t f = 0; f < F; f++) {
    c[f] = d > 0 ? c[f] / d : 0.0;
    cabs[f] = d > 0 ? cabs[f] / d : 0.0;
  }
  for (size_t t = 0; t < T; t++) a[t] = d > 0 ? a[t] / d : 0.0;
  return (pool_ref_info){2 * rho + (2.0 * T + 4) * U, 2 * rho + ((double)T + 4) * U, S, d};
}

enum { MASK_NONE, MASK_HOLES, MASK_ALL, MASK_FRONT, MASK_END, MASK_MODES };

static void fill_mask(uint8_t *m, size_t T, int mode, uint64_t *rng) {
  for (size_t t = 0; t < T; t++) {
    switch (mode) {
      case MASK_NONE: m[t] = 1; break;
      case MASK_HOLES: m[t] = (test_rand_u64(rng) % 3 == 0) ? 0 : (uint8_t)(1 + test_rand_u64(rng) % 255); break;
      case MASK_ALL: m[t] = 0; break;
      case MASK_FRONT: m[t] = t >= T / 2; break;
      default: m[t] = t < (T + 1) / 2; break;
    }
  }
}

static size_t cases_run;

/* One batch for one (T, F, variant): every ISA against scalar and the reference. */
static void pool_case(size_t T, size_t F, size_t B, int use_mask, int softmax, int use_bias, int large,
                      int unaligned, uint64_t seed) {
  uint64_t rng = seed;
  const size_t off = unaligned ? 1 : 0;
  float *xbuf = malloc((B * T * F + off) * sizeof(float)), *x = xbuf + off;
  float *wbuf = malloc((F + off) * sizeof(float)), *w = wbuf + off;
  float *bbuf = malloc((T + off) * sizeof(float)), *bias = use_bias ? bbuf + off : NULL;
  uint8_t *mbuf = malloc(B * T + off), *mask = use_mask ? mbuf + off : NULL;
  const size_t csz = B * F + GUARD + off, asz = B * T + GUARD + off;
  float *cs = malloc(csz * sizeof(float)), *as = malloc(asz * sizeof(float));
  float *cv = malloc(csz * sizeof(float)), *av = malloc(asz * sizeof(float)), *cn = malloc(csz * sizeof(float));
  double *rc = malloc(F * sizeof(double)), *rabs = malloc(F * sizeof(double)), *ra = malloc(T * sizeof(double));
  const float eps = softmax ? 0.0f : 1e-7f;

  /* x like BiRNN outputs in (-1, 1); large: w scaled so |x . w| is ~10-100 */
  const float wscale = large ? 40.0f / sqrtf((float)F) * 3.0f : 1.0f / sqrtf((float)F);
  for (size_t i = 0; i < B * T * F; i++) x[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  for (size_t k = 0; k < F; k++) w[k] = test_rand_uniform(&rng, -wscale, wscale);
  if (large && F < 16)
    for (size_t k = 0; k < F; k++) w[k] = w[k] < 0 ? -50.0f : 50.0f;
  for (size_t t = 0; t < T; t++) bbuf[t + off] = test_rand_uniform(&rng, -0.5f, 0.5f);
  for (size_t b = 0; b < B; b++) {
    fill_mask(mbuf + off + b * T, T, use_mask ? (int)((b + seed) % MASK_MODES) : MASK_NONE, &rng);
    if (use_mask)
      for (size_t t = 0; t < T; t++)
        if (mask[b * T + t] == 0)
          for (size_t f = 0; f < F; f++) x[(b * T + t) * F + f] = NAN;
  }

  const pool_kernel *scalar = &pool_kernels[NPOOL - 1];
  for (size_t i = 0; i < csz; i++) cs[i] = cv[i] = cn[i] = guard_value;
  for (size_t i = 0; i < asz; i++) as[i] = av[i] = guard_value;
  float *c_s = cs + off, *a_s = as + off;
  for (size_t b = 0; b < B; b++)
    scalar->fn(T, F, x + b * T * F, w, bias, mask ? mask + b * T : NULL, eps, c_s + b * F, a_s + b * T);

  char what[200];
  snprintf(what, sizeof what, "T=%zu F=%zu B=%zu mask=%d softmax=%d bias=%d large=%d unaligned=%d seed=%llu", T, F,
           B, use_mask, softmax, use_bias, large, unaligned, (unsigned long long)seed);

  /* the scalar kernel against float64 */
  for (size_t b = 0; b < B; b++) {
    const uint8_t *mb = mask ? mask + b * T : NULL;
    const pool_ref_info ri = pool_reference(T, F, x + b * T * F, w, bias, mb, eps, rc, rabs, ra);
    int all_masked = 1;
    for (size_t t = 0; t < T; t++) all_masked &= (mb != NULL && mb[t] == 0);
    for (size_t f = 0; f < F; f++) {
      const float y = c_s[b * F + f];
      const double tol = 2.0 * rabs[f] * ri.c_err_scale + 1e-37;
      CHECK(fabs((double)y - rc[f]) <= tol, "%s b=%zu f=%zu: c=%.9g ref=%.9g tol=%.3g", what, b, f, (double)y, rc[f],
            tol);
      if (all_masked) CHECK(y == 0.0f, "%s b=%zu all masked: c[%zu]=%g", what, b, f, (double)y);
    }
    double sum_a = 0.0, sum_tol = T * U;
    for (size_t t = 0; t < T; t++) {
      const float y = a_s[b * T + t];
      const double tol = 2.0 * ra[t] * ri.a_err_scale + 1e-37;
      sum_a += y;
      sum_tol += tol;
      CHECK(fabs((double)y - ra[t]) <= tol, "%s b=%zu t=%zu: a=%.9g ref=%.9g tol=%.3g", what, b, t, (double)y, ra[t],
            tol);
      if (mb != NULL && mb[t] == 0) CHECK(y == 0.0f, "%s b=%zu t=%zu masked: a=%g", what, b, t, (double)y);
    }
    const double want = ri.d > 0 ? ri.S / ri.d : 0.0;
    CHECK(fabs(sum_a - want) <= sum_tol, "%s b=%zu: sum a=%.12g want %.12g", what, b, sum_a, want);
  }
  for (size_t g = 0; g < GUARD; g++) {
    CHECK(c_s[B * F + g] == guard_value, "%s: scalar wrote past c", what);
    CHECK(a_s[B * T + g] == guard_value, "%s: scalar wrote past a", what);
  }
  if (off) CHECK(cs[0] == guard_value && as[0] == guard_value, "%s: scalar wrote before c/a", what);

  /* every SIMD kernel against the scalar twin, bit for bit; weights output
   * present and absent must give the same context */
  for (size_t k = 0; k + 1 < NPOOL; k++) {
    const pool_kernel *pk = &pool_kernels[k];
    if (!test_isa_available(pk->isa)) continue;
    for (size_t i = 0; i < csz; i++) cv[i] = cn[i] = guard_value;
    for (size_t i = 0; i < asz; i++) av[i] = guard_value;
    for (size_t b = 0; b < B; b++) {
      pk->fn(T, F, x + b * T * F, w, bias, mask ? mask + b * T : NULL, eps, cv + off + b * F, av + off + b * T);
      pk->fn(T, F, x + b * T * F, w, bias, mask ? mask + b * T : NULL, eps, cn + off + b * F, NULL);
    }
    CHECK(same_bits(cv, cs, csz), "%s %s: context differs from scalar", pk->name, what);
    CHECK(same_bits(av, as, asz), "%s %s: weights differ from scalar", pk->name, what);
    CHECK(same_bits(cn, cs, csz), "%s %s: context (weights=NULL) differs from scalar", pk->name, what);
  }
  cases_run++;
  free(xbuf), free(wbuf), free(bbuf), free(mbuf), free(cs), free(as), free(cv), free(av), free(cn);
  free(rc), free(rabs), free(ra);
}

static void test_pool_kernels(void) {
  static const size_t Ts[] = {1, 2, 400, 1000};
  static const size_t Fs[] = {1, 2, 15, 16, 17, 64, 128, 192, 256, 1000};
  uint64_t seed = 1;
  size_t batch = 0;
  for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++)
    for (size_t j = 0; j < sizeof Fs / sizeof Fs[0]; j++)
      for (int variant = 0; variant < 8; variant++) {
        const int softmax = variant & 1, use_bias = variant >> 1 & 1, large = variant >> 2 & 1;
        const int use_mask = (variant + (int)j) % 4 != 0;
        /* the biggest shapes once per form only, to keep the test fast */
        if (Ts[i] * Fs[j] >= 400000 && (variant & 6) != 0 && variant != 6) continue;
        pool_case(Ts[i], Fs[j], batch % 5 + 1, use_mask, softmax, use_bias, large, (int)(seed & 1), seed);
        seed++;
        batch++;
      }
  /* T around the 8-step block: 3..17 with holes and all-masked rows */
  for (size_t T = 3; T <= 17; T++) pool_case(T, 33, 5, 1, (int)(T & 1), 1, 0, (int)(T & 1), 1000 + T);
  /* the register path (F = 64 NK) defers each entirely kept 16-step block
   * and applies it in two halves over the next two blocks: T = 1..56 covers
   * every state (nothing, one or two blocks pending) at the end and at the
   * blocks with holes, all-masked blocks and partial last blocks */
  for (size_t T = 1; T <= 56; T++)
    pool_case(T, 64 * (T % 4 + 1), 5, 1, (int)(T & 1), (int)(T >> 1 & 1), 0, (int)(T >> 2 & 1), 2000 + T);
}

static float *pack_dense(size_t F, size_t C, const float *K, size_t *ldw);

/* Every array placed flush against a PROT_NONE page (after it, then before
 * it): a kernel that reads or writes one float too far faults. */
typedef struct {
  unsigned char *base;
  size_t bytes;
} guarded;

static void *guard_place(guarded *g, size_t bytes, int at_end) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t span = (bytes + page - 1) / page * page;
  g->bytes = span + 2 * page;
  g->base = mmap(NULL, g->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->base == MAP_FAILED) return NULL;
  mprotect(g->base, page, PROT_NONE);
  mprotect(g->base + page + span, page, PROT_NONE);
  return at_end ? g->base + page + span - bytes : g->base + page;
}

static void test_guard_pages(void) {
  static const size_t shapes[][2] = {{1, 1}, {3, 17}, {17, 15}, {9, 65}, {33, 63}, {20, 256}, {33, 64}, {32, 128}};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (int at_end = 0; at_end < 2; at_end++) {
      const size_t T = shapes[si][0], F = shapes[si][1];
      guarded gx, gw, gb, gm, gc, ga;
      float *x = guard_place(&gx, T * F * sizeof(float), at_end), *w = guard_place(&gw, F * sizeof(float), at_end);
      float *bias = guard_place(&gb, T * sizeof(float), at_end);
      uint8_t *mask = guard_place(&gm, T, at_end);
      float *c = guard_place(&gc, F * sizeof(float), at_end), *a = guard_place(&ga, T * sizeof(float), at_end);
      if (!x || !w || !bias || !mask || !c || !a) {
        CHECK(0, "mmap failed");
        return;
      }
      uint64_t rng = 99 + si;
      for (size_t i = 0; i < T * F; i++) x[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
      for (size_t i = 0; i < F; i++) w[i] = test_rand_uniform(&rng, -0.3f, 0.3f);
      for (size_t t = 0; t < T; t++) bias[t] = 0.01f * (float)t, mask[t] = (t % 5) != 2;
      float ref_c[256], ref_a[33];
      pool_kernels[NPOOL - 1].fn(T, F, x, w, bias, mask, 1e-7f, ref_c, ref_a);
      for (size_t k = 0; k < NPOOL; k++) {
        if (!test_isa_available(pool_kernels[k].isa)) continue;
        pool_kernels[k].fn(T, F, x, w, bias, mask, 1e-7f, c, a);
        CHECK(same_bits(c, ref_c, F) && same_bits(a, ref_a, T), "%s guard pages T=%zu F=%zu at_end=%d: differs",
              pool_kernels[k].name, T, F, at_end);
      }
      /* dense head over the same x as [T][F] rows, C = 3 */
      size_t ldw;
      float K[256 * 3];
      for (size_t i = 0; i < F * 3; i++) K[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
      float *wt = pack_dense(F, 3, K, &ldw);
      guarded gy;
      float *y = guard_place(&gy, T * 3 * sizeof(float), at_end), ref_y[33 * 3];
      dense_kernels[NDENSE - 1].fn(T, F, 3, x, wt, ldw, NULL, ARNN_DENSE_ACT_SOFTMAX, ref_y);
      for (size_t k = 0; k < NDENSE; k++) {
        if (!test_isa_available(dense_kernels[k].isa)) continue;
        dense_kernels[k].fn(T, F, 3, x, wt, ldw, NULL, ARNN_DENSE_ACT_SOFTMAX, y);
        CHECK(same_bits(y, ref_y, T * 3), "%s guard pages T=%zu F=%zu: differs", dense_kernels[k].name, T, F);
      }
      free(wt);
      munmap(gx.base, gx.bytes), munmap(gw.base, gw.bytes), munmap(gb.base, gb.bytes), munmap(gm.base, gm.bytes);
      munmap(gc.base, gc.bytes), munmap(ga.base, ga.bytes), munmap(gy.base, gy.bytes);
      cases_run++;
    }
}

/* -------------------------------------------------------------------- dense */

static float *pack_dense(size_t F, size_t C, const float *K, size_t *ldw) {
  *ldw = (F + 15) & ~(size_t)15;
  float *wt = aligned_alloc(64, C * *ldw * sizeof(float));
  for (size_t c = 0; c < C; c++)
    for (size_t k = 0; k < *ldw; k++) wt[c * *ldw + k] = k < F ? K[k * C + c] : 0.0f;
  return wt;
}

static double sigmoid_d(double z) { return 1.0 / (1.0 + exp(-z)); }

static void dense_case(size_t B, size_t F, size_t C, int act, int use_bias, float zscale, int unaligned,
                       uint64_t seed) {
  uint64_t rng = seed;
  const size_t off = unaligned ? 1 : 0;
  float *xbuf = malloc((B * F + off) * sizeof(float)), *x = xbuf + off;
  float *K = malloc(F * C * sizeof(float)), *bias = malloc(C * sizeof(float));
  const size_t ysz = B * C + GUARD + off;
  float *ys = malloc(ysz * sizeof(float)), *yv = malloc(ysz * sizeof(float));
  double *z = malloc(C * sizeof(double)), *dz = malloc(C * sizeof(double));
  for (size_t i = 0; i < B * F; i++) x[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  const float ws = zscale / sqrtf((float)F);
  for (size_t i = 0; i < F * C; i++) K[i] = test_rand_uniform(&rng, -ws, ws);
  for (size_t c = 0; c < C; c++) bias[c] = test_rand_uniform(&rng, -zscale * 0.5f, zscale * 0.5f);
  const float *b = use_bias ? bias : NULL;
  size_t ldw;
  float *wt = pack_dense(F, C, K, &ldw);
  char what[160];
  snprintf(what, sizeof what, "B=%zu F=%zu C=%zu act=%d bias=%d zscale=%g unaligned=%d seed=%llu", B, F, C, act,
           use_bias, (double)zscale, unaligned, (unsigned long long)seed);

  for (size_t i = 0; i < ysz; i++) ys[i] = guard_value;
  dense_kernels[NDENSE - 1].fn(B, F, C, x, wt, ldw, b, act, ys + off);
  for (size_t r = 0; r < B; r++) {
    double zmax = -INFINITY, dzmax = 0.0;
    for (size_t c = 0; c < C; c++) {
      double s = 0.0, mag = 0.0;
      for (size_t k = 0; k < F; k++) {
        s += (double)x[r * F + k] * K[k * C + c];
        mag += fabs((double)x[r * F + k] * K[k * C + c]);
      }
      if (b) s += b[c], mag += fabs(b[c]);
      z[c] = s;
      dz[c] = ((double)(F / 16) + 6.0) * U * mag;
      if (s > zmax) zmax = s;
      if (dz[c] > dzmax) dzmax = dz[c];
    }
    double S = 0.0, ysum = 0.0;
    for (size_t c = 0; c < C; c++) S += exp(z[c] - zmax);
    for (size_t c = 0; c < C; c++) {
      const float y = ys[off + r * C + c];
      double ref, tol;
      if (act == ARNN_DENSE_ACT_LINEAR) {
        ref = z[c];
        tol = dz[c] + 1e-37;
      } else if (act == ARNN_DENSE_ACT_SIGMOID) {
        ref = sigmoid_d(z[c]);
        const double near = fabs(z[c]) > dz[c] ? fabs(z[c]) - dz[c] : 0.0;
        tol = dz[c] * sigmoid_d(near) * sigmoid_d(-near) + 4 * U * ref + 1e-37;
      } else {
        ref = exp(z[c] - zmax) / S;
        tol = ref * (2 * (2 * dzmax + 4 * U) + ((double)C + 4) * U) + 1e-37;
      }
      ysum += y;
      CHECK(isfinite(y), "%s r=%zu c=%zu: y=%g not finite", what, r, c, (double)y);
      if (act != ARNN_DENSE_ACT_LINEAR) CHECK(y >= 0.0f && y <= 1.0f, "%s r=%zu c=%zu: y=%g", what, r, c, (double)y);
      CHECK(fabs((double)y - ref) <= tol, "%s r=%zu c=%zu: y=%.9g ref=%.9g tol=%.3g", what, r, c, (double)y, ref, tol);
    }
    if (act == ARNN_DENSE_ACT_SOFTMAX)
      CHECK(fabs(ysum - 1.0) <= ((double)C + 4) * U, "%s r=%zu: softmax sums to %.12g", what, r, ysum);
  }
  for (size_t g = 0; g < GUARD; g++) CHECK(ys[off + B * C + g] == guard_value, "%s: scalar wrote past y", what);

  for (size_t k = 0; k + 1 < NDENSE; k++) {
    const dense_kernel *dk = &dense_kernels[k];
    if (!test_isa_available(dk->isa)) continue;
    for (size_t i = 0; i < ysz; i++) yv[i] = guard_value;
    dk->fn(B, F, C, x, wt, ldw, b, act, yv + off);
    CHECK(same_bits(yv, ys, ysz), "%s %s: differs from scalar", dk->name, what);
  }
  cases_run++;
  free(xbuf), free(K), free(bias), free(ys), free(yv), free(z), free(dz), free(wt);
}

static void test_dense_kernels(void) {
  static const size_t Cs[] = {1, 2, 3, 17, 40};
  static const size_t Fs[] = {1, 2, 15, 16, 17, 256, 1000};
  static const float scales[] = {1.0f, 30.0f, 3000.0f}; /* logits ~1, ~30, ~3000 */
  uint64_t seed = 77;
  for (size_t i = 0; i < sizeof Cs / sizeof Cs[0]; i++)
    for (size_t j = 0; j < sizeof Fs / sizeof Fs[0]; j++)
      for (int act = 0; act < 3; act++)
        for (size_t s = 0; s < 3; s++) {
          dense_case(seed % 5 + 1, Fs[j], Cs[i], act, (int)(seed & 1), scales[s], (int)(seed >> 1 & 1), seed);
          seed++;
        }
  /* larger batches: several row tiles (C < 8 tiles over rows), ragged ends */
  static const size_t Bs[] = {8, 9, 19, 33};
  for (size_t i = 0; i < sizeof Bs / sizeof Bs[0]; i++)
    for (size_t c = 1; c <= 9; c++) {
      dense_case(Bs[i], c * 7 + i, c, (int)(c % 3), (int)(c & 1), 3.0f, (int)(i & 1), seed);
      seed++;
    }
}

/* --------------------------------------------------------------- public API */

static void test_public_api(void) {
  enum { B = 3, T = 21, F = 19, C = 3 };
  uint64_t rng = 5;
  static float x[B * T * F], w[F], bias[T], c[B * F], a[B * T], c2[B * F], a2[B * T];
  static unsigned char mask[B * T];
  for (size_t i = 0; i < B * T * F; i++) x[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  for (size_t i = 0; i < F; i++) w[i] = test_rand_uniform(&rng, -0.5f, 0.5f);
  for (size_t i = 0; i < T; i++) bias[i] = test_rand_uniform(&rng, -0.1f, 0.1f);
  for (size_t i = 0; i < B * T; i++) mask[i] = (i % 7 != 3) && (i / T != 1); /* row 1 all masked */

  const arnn_f32_attention_pool_fn scalar = pool_kernels[NPOOL - 1].fn;
  /* default options = epsilon form, 1e-7; softmax form = eps 0 */
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, bias, mask, NULL, c, a) == ARNN_OK, "pool ok");
  test_set_ftz(1);
  for (size_t b = 0; b < B; b++) scalar(T, F, x + b * T * F, w, bias, mask + b * T, 1e-7f, c2 + b * F, a2 + b * T);
  test_set_ftz(0);
  CHECK(same_bits(c, c2, B * F) && same_bits(a, a2, B * T), "public pool (default options) != scalar kernel");
  for (size_t f = 0; f < F; f++) CHECK(c[F + f] == 0.0f, "all-masked row: c=%g", (double)c[F + f]);
  const arnn_attention_options sm = {sizeof sm, ARNN_ATTENTION_SOFTMAX, 123.0f};
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, mask, &sm, c, NULL) == ARNN_OK, "pool softmax ok");
  test_set_ftz(1);
  for (size_t b = 0; b < B; b++) scalar(T, F, x + b * T * F, w, NULL, mask + b * T, 0.0f, c2 + b * F, NULL);
  test_set_ftz(0);
  CHECK(same_bits(c, c2, B * F), "public pool (softmax) != scalar kernel");
  for (size_t f = 0; f < F; f++) CHECK(c[F + f] == 0.0f && !isnan(c[F + f]), "softmax all-masked: c=%g", (double)c[F + f]);

  /* bad arguments: status, and nothing written */
  const arnn_attention_options neg = {sizeof neg, ARNN_ATTENTION_EPSILON, -1.0f},
                               nan_eps = {sizeof nan_eps, ARNN_ATTENTION_EPSILON, NAN};
  const arnn_attention_options inf_eps = {sizeof inf_eps, ARNN_ATTENTION_EPSILON, INFINITY},
                               bad_form = {sizeof bad_form, (arnn_attention_form)7, 0};
  for (size_t i = 0; i < B * F; i++) c[i] = guard_value;
  CHECK(arnn_attention_pool_f32(B, T, F, NULL, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "x NULL");
  CHECK(arnn_attention_pool_f32(B, T, F, x, NULL, NULL, NULL, NULL, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "w NULL");
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, NULL, NULL, a) == ARNN_ERR_INVALID_ARGUMENT, "c NULL");
  CHECK(arnn_attention_pool_f32(0, T, F, x, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "B=0");
  CHECK(arnn_attention_pool_f32(B, 0, F, x, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "T=0");
  CHECK(arnn_attention_pool_f32(B, T, 0, x, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "F=0");
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, &neg, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "eps<0");
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, &nan_eps, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "eps NaN");
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, &inf_eps, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "eps inf");
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, &bad_form, c, NULL) == ARNN_ERR_INVALID_ARGUMENT, "form");
  /* struct_size: below the first version's size is refused; a struct from a
   * newer header is read when the fields this library does not know are zero */
  arnn_attention_options small;
  arnn_attention_options_init(&small);
  small.struct_size = offsetof(arnn_attention_options, epsilon);
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, &small, c, NULL) == ARNN_ERR_INVALID_ARGUMENT,
        "struct_size too small");
  struct {
    arnn_attention_options known;
    uint32_t newer_field;
  } newer;
  memset(&newer, 0, sizeof newer);
  arnn_attention_options_init(&newer.known);
  newer.known.struct_size = sizeof newer;
  newer.newer_field = 1;
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, NULL, NULL, &newer.known, c, NULL) == ARNN_ERR_UNSUPPORTED,
        "unknown nonzero field");
  CHECK(arnn_attention_pool_f32(SIZE_MAX / 2, 4, 4, x, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_OUT_OF_RANGE,
        "B*T*F overflow");
  CHECK(arnn_attention_pool_f32(1, SIZE_MAX / 8, 16, x, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_OUT_OF_RANGE,
        "T*F overflow");
  CHECK(arnn_attention_pool_f32(3, 1, SIZE_MAX / 8, x, w, NULL, NULL, NULL, c, NULL) == ARNN_ERR_OUT_OF_RANGE,
        "bytes overflow");
  for (size_t i = 0; i < B * F; i++) CHECK(c[i] == guard_value, "pool wrote on error");
  newer.newer_field = 0;
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, bias, mask, &newer.known, c2, a2) == ARNN_OK, "newer struct, zero tail");
  arnn_attention_options defaults;
  arnn_attention_options_init(&defaults);
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, bias, mask, &defaults, c, a) == ARNN_OK, "init options");
  CHECK(same_bits(c, c2, B * F) && same_bits(a, a2, B * T), "newer struct read as the defaults");
  CHECK(arnn_attention_pool_f32(B, T, F, x, w, bias, mask, NULL, c2, a2) == ARNN_OK, "NULL options");
  CHECK(same_bits(c, c2, B * F) && same_bits(a, a2, B * T), "arnn_attention_options_init != NULL options");

  /* dense head: create / apply / free through the API equals the kernel */
  static float K[F * C], db[C], y[B * C], y2[B * C];
  for (size_t i = 0; i < F * C; i++) K[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  for (size_t i = 0; i < C; i++) db[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  arnn_dense_head *h = NULL;
  CHECK(arnn_dense_head_create(F, C, K, db, ARNN_DENSE_SOFTMAX, &h) == ARNN_OK && h != NULL, "head create");
  CHECK(arnn_dense_head_features(h) == F && arnn_dense_head_classes(h) == C, "head sizes");
  CHECK(arnn_dense_head_apply(h, B, x, y) == ARNN_OK, "head apply");
  size_t ldw;
  float *wt = pack_dense(F, C, K, &ldw);
  test_set_ftz(1);
  dense_kernels[NDENSE - 1].fn(B, F, C, x, wt, ldw, db, ARNN_DENSE_ACT_SOFTMAX, y2);
  test_set_ftz(0);
  free(wt);
  CHECK(same_bits(y, y2, B * C), "public dense head != scalar kernel");
  CHECK(arnn_dense_head_apply(NULL, B, x, y) == ARNN_ERR_INVALID_ARGUMENT, "apply NULL head");
  CHECK(arnn_dense_head_apply(h, B, NULL, y) == ARNN_ERR_INVALID_ARGUMENT, "apply NULL x");
  CHECK(arnn_dense_head_apply(h, B, x, NULL) == ARNN_ERR_INVALID_ARGUMENT, "apply NULL y");
  CHECK(arnn_dense_head_apply(h, 0, x, y) == ARNN_ERR_INVALID_ARGUMENT, "apply B=0");
  CHECK(arnn_dense_head_apply(h, SIZE_MAX / 4, x, y) == ARNN_ERR_OUT_OF_RANGE, "apply overflow");
  arnn_dense_head_free(h);
  arnn_dense_head_free(NULL);

  arnn_dense_head *bad = (arnn_dense_head *)&rng;
  CHECK(arnn_dense_head_create(F, C, NULL, db, ARNN_DENSE_SIGMOID, &bad) == ARNN_ERR_INVALID_ARGUMENT && bad == NULL,
        "create NULL kernel");
  CHECK(arnn_dense_head_create(F, C, K, db, ARNN_DENSE_SIGMOID, NULL) == ARNN_ERR_INVALID_ARGUMENT, "create NULL out");
  CHECK(arnn_dense_head_create(0, C, K, db, ARNN_DENSE_SIGMOID, &bad) == ARNN_ERR_INVALID_ARGUMENT, "create F=0");
  CHECK(arnn_dense_head_create(F, 0, K, db, ARNN_DENSE_SIGMOID, &bad) == ARNN_ERR_INVALID_ARGUMENT, "create C=0");
  CHECK(arnn_dense_head_create(F, C, K, db, (arnn_dense_activation)9, &bad) == ARNN_ERR_INVALID_ARGUMENT,
        "create bad activation");
  CHECK(arnn_dense_head_create(SIZE_MAX - 3, 2, K, db, ARNN_DENSE_SIGMOID, &bad) == ARNN_ERR_OUT_OF_RANGE,
        "create F overflow");
  CHECK(arnn_dense_head_create(1u << 20, SIZE_MAX / 1024, K, db, ARNN_DENSE_SIGMOID, &bad) == ARNN_ERR_OUT_OF_RANGE,
        "create F*C overflow");
  CHECK(arnn_dense_head_features(NULL) == 0 && arnn_dense_head_classes(NULL) == 0, "NULL head sizes");
  /* ARNN_ERR_OUT_OF_MEMORY: 2^46 features of one class are 256 TiB of packed
   * weights, within the size limits but beyond any 64-bit process's address
   * space, so the allocation fails whatever the overcommit policy. The
   * sanitizers' allocators abort on such a request instead of returning NULL. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !ARNN_TEST_HAS_SANITIZER
  if (sizeof(size_t) >= 8) {
    bad = (arnn_dense_head *)K;
    CHECK(arnn_dense_head_create((size_t)1 << 46, 1, K, NULL, ARNN_DENSE_SIGMOID, &bad) == ARNN_ERR_OUT_OF_MEMORY &&
              bad == NULL,
          "create beyond the address space");
  }
#endif

  CHECK(arnn_kernel_name("attention_pool") != NULL && arnn_kernel_name("dense_head") != NULL, "kernel names");
  /* The dispatcher picks the kernel of the active ISA when the list has one
   * (the first available one in list order is the best), else scalar. */
  const char *want_pool = "scalar", *want_dense = "scalar";
  for (size_t i = 0; i < NPOOL; i++)
    if (!strcmp(pool_kernels[i].isa, arnn_isa())) want_pool = arnn_isa();
  for (size_t i = 0; i < NDENSE; i++)
    if (!strcmp(dense_kernels[i].isa, arnn_isa())) want_dense = arnn_isa();
  CHECK(strstr(arnn_kernel_name("attention_pool"), want_pool) != NULL, "attention kernel %s, expected the %s one",
        arnn_kernel_name("attention_pool"), want_pool);
  CHECK(strstr(arnn_kernel_name("dense_head"), want_dense) != NULL, "dense kernel %s, expected the %s one",
        arnn_kernel_name("dense_head"), want_dense);
}

int main(void) {
  printf("attention-test: active ISA %s; kernels:", arnn_isa());
  for (size_t k = 0; k < NPOOL; k++)
    printf(" %s%s", pool_kernels[k].name, test_isa_available(pool_kernels[k].isa) ? "" : "(skipped)");
  for (size_t k = 0; k < NDENSE; k++)
    printf(" %s%s", dense_kernels[k].name, test_isa_available(dense_kernels[k].isa) ? "" : "(skipped)");
  printf("\n");
  test_pool_kernels();
  test_dense_kernels();
  test_guard_pages();
  test_public_api();
  printf("attention-test: %zu cases, %d failures (seeds are printed with each failure)\n", cases_run, failures);
  return failures ? 1 : 0;
}
