/* Fused attention (kernels/sdpa): every kernel by name on every ISA this CPU
 * runs (under the ARNN_ISA cap) and the dispatched one, against the scalar
 * kernel bit for bit and the scalar kernel against a float64 reference.
 *
 * The reference is the plain two-pass Keras computation (keras/src/layers/
 * attention/attention.py, Attention._apply_scores): scores in double, masked
 * scores lowered by 1e9, softmax over the keys with the exact max, weights @
 * values. A row without any visible key therefore gets uniform weights 1/Tv
 * over all keys (the test keeps |s| < 32 there, the condition in sdpa.h).
 *
 * Cases: both score modes; D, Dv in {1, 3, 15, 16, 17, 31, 33, 64, 100};
 * Tq, Tv in {1, 2, 15, 16, 17, 40, 41}; masks NULL / all ones / random holes /
 * all masked / first key only / last key only; causal (also Tq != Tv); probs
 * NULL and not (same out bits either way); row strides larger than the
 * widths (the gaps must stay untouched); pointers offset by one float; large
 * scores (|s| ~ 80, so the running max and the rescaling matter); NaN in the
 * k and v rows of masked keys whenever every row has a visible key (they must
 * never reach out or probs); every array flush against a PROT_NONE page.
 *
 * Tolerances (u = 2^-24), from the operation order:
 *   score: |ds_j| <= (D/16 + 6) u sum_d |scale q_d k_d|           (dot)
 *          |ds_j| <= (D/16 + 6) u sum_d |w_d t_d| + 4 u sum_d |w_d|  (additive)
 *   weight: |p - ref| <= ref (4 max_j ds_j + (Tv + 4 nb + 16) u)
 *   out:    |o - ref| <= (sum_j ref_j |v_je|) (4 max ds + (2 Tv + 4 nb + 16) u)
 * where nb = number of 16-key blocks (each may rescale once). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arnn/arnn.h"
#include "dispatch/dispatch.h"
#include "kernels/sdpa/sdpa.h"
#include "test-util.h"

static int failures;
#include "check.h"

#define U 0x1p-24

typedef struct {
  const char *name, *isa;
  arnn_f32_sdpa_fn fn;
} sdpa_kernel;
#define ARNN_KERNEL(op, isa, arch) {"arnn_f32_" #op "__" #isa, #isa, arnn_f32_##op##__##isa},
static const sdpa_kernel kernels[] = {
#include "kernels/sdpa/f32-sdpa.inc"
};
#undef ARNN_KERNEL
#define NK (sizeof kernels / sizeof kernels[0])

static const float guard_value = -12345.0f;
static size_t cases_run;

static int visible(const arnn_sdpa_args *a, size_t i, size_t j) {
  return (a->kmask == NULL || a->kmask[j] != 0) && (!a->causal || j <= i);
}

static int same_bits(const float *x, const float *y, size_t n) { return memcmp(x, y, n * sizeof(float)) == 0; }

/* float64 reference of row i: ref_out[Dv], ref_abs[Dv] = sum_j p_j |v_je|,
 * ref_p[Tv]; returns the error scale of the weights (relative) and of out
 * (relative to ref_abs) through *wtol, *otol. */
static void reference_row(const arnn_sdpa_args *a, size_t i, double *ref_out, double *ref_abs, double *ref_p,
                          double *s, double *wtol, double *otol) {
  const float *qi = a->q + i * a->ldq;
  double dsmax = 0.0, m = -INFINITY;
  int any = 0;
  for (size_t j = 0; j < a->Tv; j++) {
    const float *kj = a->k + j * a->ldk;
    double sum = 0.0, mag = 0.0, wmag = 0.0;
    if (visible(a, i, j)) {
      for (size_t d = 0; d < a->D; d++) {
        if (a->score_mode == ARNN_SDPA_DOT) {
          const double t = (double)a->scale * qi[d] * kj[d];
          sum += t, mag += fabs(t);
        } else {
          const double t = (double)a->w[d] * tanh((double)a->scale * ((double)qi[d] + kj[d]));
          sum += t, mag += fabs(t), wmag += fabs((double)a->w[d]);
        }
      }
      const double ds = ((double)(a->D / 16) + 6.0) * U * mag + 4.0 * U * wmag;
      if (ds > dsmax) dsmax = ds;
      any = 1;
    }
    s[j] = visible(a, i, j) ? sum : sum - 1e9; /* Keras' padding rule */
    if (s[j] > m) m = s[j];
  }
  /* No visible key: Keras' scores all round to -1e9 in float32 (|s| < 32 in
   * these tests), so they tie exactly: uniform weights. */
  if (!any)
    for (size_t j = 0; j < a->Tv; j++) s[j] = 0.0, m = 0.0;
  double l = 0.0;
  for (size_t j = 0; j < a->Tv; j++) l += (ref_p[j] = exp(s[j] - m));
  for (size_t j = 0; j < a->Tv; j++) ref_p[j] /= l;
  for (size_t e = 0; e < a->Dv; e++) ref_out[e] = ref_abs[e] = 0.0;
  for (size_t j = 0; j < a->Tv; j++) {
    if (ref_p[j] == 0.0) continue; /* masked: the Keras weight underflows to 0 */
    const float *vj = a->v + j * a->ldv;
    for (size_t e = 0; e < a->Dv; e++) ref_out[e] += ref_p[j] * vj[e], ref_abs[e] += ref_p[j] * fabs((double)vj[e]);
  }
  const double nb = (double)((a->Tv + 15) / 16);
  *wtol = 4.0 * dsmax + ((double)a->Tv + 4.0 * nb + 16.0) * U;
  *otol = 4.0 * dsmax + (2.0 * (double)a->Tv + 4.0 * nb + 16.0) * U;
}

enum { MK_NULL, MK_ONES, MK_HOLES, MK_ALL, MK_FIRST, MK_LAST, MK_MODES };

typedef struct {
  int mode, mask, causal, with_probs, stride, unaligned, large;
} variant;

/* Runs every kernel on one problem; checks the scalar kernel against the
 * reference and every other kernel (and the dispatched one) bit for bit. */
static void run_case(size_t Tq, size_t Tv, size_t D, size_t Dv, variant vr, uint64_t seed) {
  uint64_t rng = seed;
  const size_t off = vr.unaligned ? 1 : 0, pad = vr.stride ? 5 : 0;
  arnn_sdpa_args a;
  memset(&a, 0, sizeof a);
  a.Tq = Tq, a.Tv = Tv, a.D = D, a.Dv = Dv;
  a.ldq = D + pad, a.ldk = D + 2 * pad, a.ldv = Dv + 3 * pad, a.ldo = Dv + pad, a.ldp = Tv + 2 * pad;
  a.score_mode = vr.mode, a.causal = vr.causal;
  float *qb = malloc((Tq * a.ldq + off) * sizeof(float)), *kb = malloc((Tv * a.ldk + off) * sizeof(float));
  float *vb = malloc((Tv * a.ldv + off) * sizeof(float)), *wb = malloc((D + off) * sizeof(float));
  unsigned char *mb = malloc(Tv + off);
  float *q = qb + off, *k = kb + off, *v = vb + off, *w = wb + off;
  unsigned char *km = mb + off;
  /* q, k like projected activations; scale as Keras' 1/sqrt(D) (dot) or 1;
   * large: |s| ~ 80 */
  for (size_t i = 0; i < Tq * a.ldq; i++) q[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  for (size_t i = 0; i < Tv * a.ldk; i++) k[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
  for (size_t i = 0; i < Tv * a.ldv; i++) v[i] = test_rand_uniform(&rng, -2.0f, 2.0f);
  const float sd = sqrtf((float)D);
  if (vr.mode == ARNN_SDPA_DOT) {
    a.scale = vr.large ? 240.0f / sd : 1.0f / sd;
  } else {
    a.scale = test_rand_uniform(&rng, 0.5f, 1.5f);
    const float wl = vr.large ? 200.0f / sd : 1.0f / sd;
    for (size_t d = 0; d < D; d++) w[d] = test_rand_uniform(&rng, -wl, wl);
    a.w = w;
  }
  for (size_t j = 0; j < Tv; j++) {
    switch (vr.mask) {
      case MK_HOLES: km[j] = (test_rand_u64(&rng) % 3 == 0) ? 0 : (unsigned char)(1 + test_rand_u64(&rng) % 255); break;
      case MK_ALL: km[j] = 0; break;
      case MK_FIRST: km[j] = j == 0; break;
      case MK_LAST: km[j] = j == Tv - 1; break;
      default: km[j] = 1; break;
    }
  }
  a.kmask = vr.mask == MK_NULL ? NULL : km;
  size_t first = Tv;
  for (size_t j = 0; j < Tv && first == Tv; j++)
    if (a.kmask == NULL || km[j]) first = j;
  const int every_row_visible = first < Tv && (!vr.causal || first == 0);
  /* rows without a visible key are only meaningful for |s| < 32 */
  if (!every_row_visible && vr.large) a.scale = vr.mode == ARNN_SDPA_DOT ? 1.0f / sd : 1.0f;
  if (!every_row_visible && vr.mode == ARNN_SDPA_ADDITIVE)
    for (size_t d = 0; d < D; d++) w[d] = test_rand_uniform(&rng, -1.0f, 1.0f) / sd;
  if (every_row_visible && a.kmask != NULL)
    for (size_t j = 0; j < Tv; j++)
      if (!km[j]) {
        for (size_t d = 0; d < D; d++) k[j * a.ldk + d] = NAN;
        for (size_t e = 0; e < Dv; e++) v[j * a.ldv + e] = NAN;
      }
  a.q = q, a.k = k, a.v = v;

  const size_t osz = Tq * a.ldo + off + 8, psz = Tq * a.ldp + off + 8;
  float *os = malloc(osz * sizeof(float)), *ps = malloc(psz * sizeof(float));
  float *ov = malloc(osz * sizeof(float)), *pv = malloc(psz * sizeof(float));
  for (size_t i = 0; i < osz; i++) os[i] = guard_value;
  for (size_t i = 0; i < psz; i++) ps[i] = guard_value;
  a.out = os + off, a.probs = vr.with_probs ? ps + off : NULL;
  kernels[NK - 1].fn(&a);

  char what[200];
  snprintf(what, sizeof what, "mode=%d Tq=%zu Tv=%zu D=%zu Dv=%zu mask=%d causal=%d probs=%d stride=%d unal=%d large=%d seed=%llu",
           vr.mode, Tq, Tv, D, Dv, vr.mask, vr.causal, vr.with_probs, vr.stride, vr.unaligned, vr.large,
           (unsigned long long)seed);

  double *ro = malloc(Dv * sizeof(double)), *ra = malloc(Dv * sizeof(double)), *rp = malloc(Tv * sizeof(double));
  double *sc = malloc(Tv * sizeof(double));
  for (size_t i = 0; i < Tq; i++) {
    double wtol, otol;
    reference_row(&a, i, ro, ra, rp, sc, &wtol, &otol);
    for (size_t e = 0; e < Dv; e++) {
      const float y = a.out[i * a.ldo + e];
      const double tol = ra[e] * otol + 1e-30;
      CHECK(fabs((double)y - ro[e]) <= tol, "%s i=%zu e=%zu: out=%.9g ref=%.9g tol=%.3g", what, i, e, (double)y,
            ro[e], tol);
    }
    if (a.probs != NULL)
      for (size_t j = 0; j < Tv; j++) {
        const float y = a.probs[i * a.ldp + j];
        const double tol = rp[j] * wtol + 1e-30;
        CHECK(fabs((double)y - rp[j]) <= tol, "%s i=%zu j=%zu: p=%.9g ref=%.9g tol=%.3g", what, i, j, (double)y,
              rp[j], tol);
        if (rp[j] == 0.0) CHECK(y == 0.0f && !signbit(y), "%s i=%zu j=%zu: invisible key p=%g", what, i, j, (double)y);
      }
  }
  /* nothing outside the rows: gaps, before, after */
  for (size_t i = 0; i < osz; i++) {
    const size_t r = i - off;
    const int inside = i >= off && r < Tq * a.ldo && r % a.ldo < Dv;
    if (!inside) CHECK(os[i] == guard_value, "%s: scalar wrote out[%zd]", what, (ptrdiff_t)r);
  }
  for (size_t i = 0; i < psz; i++) {
    const size_t r = i - off;
    const int inside = vr.with_probs && i >= off && r < Tq * a.ldp && r % a.ldp < Tv;
    if (!inside) CHECK(ps[i] == guard_value, "%s: scalar wrote probs[%zd]", what, (ptrdiff_t)r);
  }

  /* every other kernel, and the dispatched one, bit for bit; probs present
   * or absent gives the same out */
  for (size_t kk = 0; kk <= NK; kk++) {
    const int dispatched = kk == NK;
    if (!dispatched && (kk == NK - 1 || !test_isa_available(kernels[kk].isa))) continue;
    const arnn_f32_sdpa_fn fn = dispatched ? arnn_dispatch()->sdpa.fn : kernels[kk].fn;
    const char *name = dispatched ? arnn_dispatch()->sdpa.name : kernels[kk].name;
    for (int pass = 0; pass < 2; pass++) {
      for (size_t i = 0; i < osz; i++) ov[i] = guard_value;
      for (size_t i = 0; i < psz; i++) pv[i] = guard_value;
      arnn_sdpa_args b = a;
      b.out = ov + off;
      /* pass 0 as the scalar run, pass 1 with probs the other way round */
      const int want_probs = pass == 0 ? vr.with_probs : !vr.with_probs;
      b.probs = want_probs ? pv + off : NULL;
      fn(&b);
      CHECK(same_bits(ov, os, osz), "%s %s (probs %s): out differs from scalar", name, what, b.probs ? "on" : "off");
      if (pass == 0) CHECK(same_bits(pv, ps, psz), "%s %s: probs differ from scalar", name, what);
    }
  }
  cases_run++;
  free(qb), free(kb), free(vb), free(wb), free(mb), free(os), free(ps), free(ov), free(pv);
  free(ro), free(ra), free(rp), free(sc);
}

static void test_grid(void) {
  static const size_t Ds[] = {1, 3, 15, 16, 17, 31, 33, 64, 100};
  static const size_t Ts[] = {1, 2, 15, 16, 17, 40, 41};
  const size_t nd = sizeof Ds / sizeof Ds[0], nt = sizeof Ts / sizeof Ts[0];
  uint64_t seed = 1;
  for (int mode = 0; mode < 2; mode++)
    for (size_t di = 0; di < nd; di++)
      for (size_t qi = 0; qi < nt; qi++)
        for (size_t ti = 0; ti < nt; ti++) {
          const size_t c = seed;
          variant vr = {mode, (int)(c % MK_MODES), (int)(c / 3 % 2), (int)(c / 2 % 2), (int)(c / 5 % 2),
                        (int)(c / 7 % 2), (int)(c / 11 % 3 == 0)};
          run_case(Ts[qi], Ts[ti], Ds[di], Ds[(di + qi + ti) % nd], vr, seed);
          seed++;
        }
  /* every mask form with and without causal, large scores, probs */
  for (int mode = 0; mode < 2; mode++)
    for (int mask = 0; mask < MK_MODES; mask++)
      for (int causal = 0; causal < 2; causal++)
        for (int large = 0; large < 2; large++) {
          variant vr = {mode, mask, causal, 1, 1, mask & 1, large};
          run_case(41, 40, 33, 17, vr, seed++);
          run_case(17, 41, 64, 64, vr, seed++);
          run_case(40, 16, 100, 31, vr, seed++);
        }
  /* the performance shapes (several row tiles and key blocks) */
  static const size_t big[][4] = {{100, 100, 64, 64}, {57, 83, 128, 128}, {40, 40, 256, 256}, {33, 130, 96, 80}};
  for (size_t b = 0; b < sizeof big / sizeof big[0]; b++)
    for (int v = 0; v < 8; v++) {
      variant vr = {v & 1 ? ARNN_SDPA_ADDITIVE : ARNN_SDPA_DOT, v >> 1 & 1 ? MK_HOLES : MK_NULL, v >> 2 & 1, v & 1,
                    (int)(b & 1), (int)(b >> 1 & 1), v % 3 == 0};
      if (vr.mode == ARNN_SDPA_ADDITIVE && b == 2 && v != 1) continue;
      run_case(big[b][0], big[b][1], big[b][2], big[b][3], vr, seed++);
    }
}

/* Every array flush against a PROT_NONE page (after it, then before it),
 * rows packed (stride = width), so one float too far faults. */
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
  static const size_t shapes[][4] = {{1, 1, 1, 1}, {3, 17, 15, 3}, {17, 15, 33, 17}, {9, 33, 64, 100}, {5, 40, 100, 64}};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (int at_end = 0; at_end < 2; at_end++)
      for (int mode = 0; mode < 2; mode++) {
        const size_t Tq = shapes[si][0], Tv = shapes[si][1], D = shapes[si][2], Dv = shapes[si][3];
        guarded gq, gk, gv, gw, gm, go, gp;
        float *q = guard_place(&gq, Tq * D * 4, at_end), *k = guard_place(&gk, Tv * D * 4, at_end);
        float *v = guard_place(&gv, Tv * Dv * 4, at_end), *w = guard_place(&gw, D * 4, at_end);
        unsigned char *km = guard_place(&gm, Tv, at_end);
        float *o = guard_place(&go, Tq * Dv * 4, at_end), *p = guard_place(&gp, Tq * Tv * 4, at_end);
        if (!q || !k || !v || !w || !km || !o || !p) {
          CHECK(0, "mmap failed");
          return;
        }
        uint64_t rng = 500 + si;
        for (size_t i = 0; i < Tq * D; i++) q[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
        for (size_t i = 0; i < Tv * D; i++) k[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
        for (size_t i = 0; i < Tv * Dv; i++) v[i] = test_rand_uniform(&rng, -1.0f, 1.0f);
        for (size_t i = 0; i < D; i++) w[i] = test_rand_uniform(&rng, -0.5f, 0.5f);
        for (size_t j = 0; j < Tv; j++) km[j] = j % 4 != 1;
        arnn_sdpa_args a = {Tq, Tv, D, Dv, q, D, k, D, v, Dv, mode, 0.3f, w, km, (int)(si & 1), o, Dv, p, Tv};
        float *ro = malloc(Tq * Dv * 4), *rp = malloc(Tq * Tv * 4);
        arnn_sdpa_args r = a;
        r.out = ro, r.probs = rp;
        kernels[NK - 1].fn(&r);
        for (size_t kk = 0; kk < NK; kk++) {
          if (!test_isa_available(kernels[kk].isa)) continue;
          kernels[kk].fn(&a);
          CHECK(same_bits(o, ro, Tq * Dv) && same_bits(p, rp, Tq * Tv), "%s guard pages shape %zu at_end=%d mode=%d",
                kernels[kk].name, si, at_end, mode);
          a.kmask = NULL; /* and once without mask */
          kernels[kk].fn(&a);
          a.kmask = km;
        }
        free(ro), free(rp);
        munmap(gq.base, gq.bytes), munmap(gk.base, gk.bytes), munmap(gv.base, gv.bytes), munmap(gw.base, gw.bytes);
        munmap(gm.base, gm.bytes), munmap(go.base, go.bytes), munmap(gp.base, gp.bytes);
        cases_run++;
      }
}

static void test_dispatch_name(void) {
  const char *want = "scalar";
  for (size_t i = 0; i < NK; i++)
    if (!strcmp(kernels[i].isa, arnn_isa())) want = arnn_isa();
  const char *name = arnn_kernel_name("sdpa");
  CHECK(name != NULL && strstr(name, want) != NULL, "sdpa kernel %s, expected the %s one", name ? name : "(null)",
        want);
  CHECK(name != NULL && !strcmp(name, arnn_dispatch()->sdpa.name), "kernel_name and table disagree");
}

int main(void) {
  printf("sdpa-test: active ISA %s; dispatched %s; kernels:", arnn_isa(), arnn_kernel_name("sdpa"));
  for (size_t k = 0; k < NK; k++)
    printf(" %s%s", kernels[k].name, test_isa_available(kernels[k].isa) ? "" : "(skipped)");
  printf("\n");
  test_dispatch_name();
  test_grid();
  test_guard_pages();
  printf("sdpa-test: %zu cases, %d failures (seeds are printed with each failure)\n", cases_run, failures);
  return failures ? 1 : 0;
}
