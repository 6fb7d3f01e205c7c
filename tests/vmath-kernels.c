/* Every elementwise kernel, called by name on every ISA this CPU runs (under
 * the ARNN_ISA cap), against its scalar twin (bit for bit) and a double libm
 * reference (<= 2 ULP): sizes 0..80 (every tail around the 8- and 16-lane
 * widths and the 2x unrolled loops) and large; unaligned pointers; in place;
 * guard pages on both sides of x and y (nothing read or written outside
 * [0, n)); special values and saturating magnitudes; FTZ/DAZ off and on. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test-util.h"

static int failures;
#include "check.h"

static double reference(const char *op, double x) {
  if (!strcmp(op, "vtanh")) return tanh(x);
  if (!strcmp(op, "vexp")) return exp(x);
  return 1.0 / (1.0 + exp(-x));
}

static const test_vunary_kernel *scalar_twin(const char *op) {
  for (size_t k = 0; k < test_vunary_kernel_count; k++)
    if (!strcmp(test_vunary_kernels[k].op, op) && !strcmp(test_vunary_kernels[k].isa, "scalar"))
      return &test_vunary_kernels[k];
  return NULL;
}

static int same_bits_or_both_nan(float a, float b) {
  if (isnan(a) && isnan(b)) return 1;
  return memcmp(&a, &b, sizeof a) == 0;
}

/* <= 2 ULP where the correctly rounded result is normal; below FLT_MIN a
 * flush to zero is allowed. */
/* Flush-to-zero modes may flush any result whose exact value is below
 * FLT_MIN even when it rounds up to FLT_MIN: AArch64 FZ detects tininess
 * before rounding (tanh(FLT_MIN) is FLT_MIN (1 - FLT_MIN^2/3)); x86 FTZ after. */
static int within_contract_mode(float y, double r, int ftz) {
  if (isnan(r)) return isnan(y);
  const float rf = (float)r;
  if (isinf(rf)) return y == rf;
  if (isnan(y) || isinf(y)) return 0;
  if (ftz && fabs(r) <= FLT_MIN && y == 0.0f) return 1; /* <=: the double reference of tanh(FLT_MIN) rounds to FLT_MIN */
  if (fabsf(rf) < FLT_MIN) return y == 0.0f || fabs((double)y - r) <= 2 * 0x1p-149;
  int e;
  frexp((double)fabsf(rf), &e);
  return fabs((double)y - r) <= 2.0 * ldexp(1.0, e - 24);
}

static int within_contract(float y, double r) { return within_contract_mode(y, r, 0); }

static float random_input(const char *op, uint64_t *rng) {
  /* mostly the interesting range, sometimes any bit pattern */
  if ((test_rand_u64(rng) & 7) == 0) {
    uint32_t b = (uint32_t)test_rand_u64(rng);
    float v;
    memcpy(&v, &b, 4);
    return v;
  }
  const float span = !strcmp(op, "vexp") ? 100.0f : 20.0f;
  return test_rand_uniform(rng, -span, span);
}

static void check_against_twin(const test_vunary_kernel *k, const test_vunary_kernel *twin, const float *x,
                               const float *y, size_t n, const char *what) {
  float *ys = malloc((n ? n : 1) * sizeof(float));
  twin->fn(x, ys, n);
  for (size_t i = 0; i < n; i++) {
    CHECK(same_bits_or_both_nan(y[i], ys[i]), "%s %s n=%zu i=%zu x=%a: %a vs scalar %a", k->name, what, n, i,
          (double)x[i], (double)y[i], (double)ys[i]);
    CHECK(within_contract(y[i], reference(k->op, x[i])), "%s %s x=%a: y=%a ref=%a", k->name, what, (double)x[i],
          (double)y[i], reference(k->op, x[i]));
  }
  free(ys);
}

static void test_sizes_alignment_inplace(const test_vunary_kernel *k, const test_vunary_kernel *twin) {
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  enum { MAXN = 4099, PAD = 16 };
  float *xbuf = malloc((MAXN + PAD) * sizeof(float)), *ybuf = malloc((MAXN + PAD) * sizeof(float));
  float *zbuf = malloc((MAXN + PAD) * sizeof(float));
  for (size_t n = 0; n <= MAXN; n = n < 80 ? n + 1 : n * 2 + 1) {
    for (size_t xoff = 0; xoff < 4; xoff++) {
      const size_t yoff = (xoff * 3 + 1) % 5; /* x and y misaligned differently */
      float *x = xbuf + xoff, *y = ybuf + yoff;
      for (size_t i = 0; i < n; i++) x[i] = random_input(k->op, &rng);
      k->fn(x, y, n);
      check_against_twin(k, twin, x, y, n, "out of place");
      /* in place: y == x gives the same bits */
      float *z = zbuf + xoff;
      memcpy(z, x, n * sizeof(float));
      k->fn(z, z, n);
      for (size_t i = 0; i < n; i++)
        CHECK(same_bits_or_both_nan(z[i], y[i]), "%s in place n=%zu i=%zu", k->name, n, i);
    }
  }
  free(xbuf);
  free(ybuf);
  free(zbuf);
}

/* x and y each end exactly at a PROT_NONE page and start right after one:
 * any read or write outside [0, n) faults. */
static void test_guard_pages(const test_vunary_kernel *k, const test_vunary_kernel *twin) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  uint64_t rng = 42;
  for (size_t n = 0; n <= 70; n++) {
    for (int at_end = 0; at_end < 2; at_end++) {
      unsigned char *mx = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      unsigned char *my = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mx == MAP_FAILED || my == MAP_FAILED) {
        CHECK(0, "mmap failed");
        return;
      }
      mprotect(mx, page, PROT_NONE);
      mprotect(mx + 2 * page, page, PROT_NONE);
      mprotect(my, page, PROT_NONE);
      mprotect(my + 2 * page, page, PROT_NONE);
      float *x = at_end ? (float *)(mx + 2 * page) - n : (float *)(mx + page);
      float *y = at_end ? (float *)(my + 2 * page) - n : (float *)(my + page);
      for (size_t i = 0; i < n; i++) x[i] = random_input(k->op, &rng);
      k->fn(x, y, n);
      check_against_twin(k, twin, x, y, n, "guard pages");
      munmap(mx, 3 * page);
      munmap(my, 3 * page);
    }
  }
}

static float f_from_bits(uint32_t b) {
  float v;
  memcpy(&v, &b, 4);
  return v;
}

static int sign_bit(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  return (int)(b >> 31);
}

static void test_special_values(const test_vunary_kernel *k, const test_vunary_kernel *twin, int ftz) {
  const float specials[] = {
      NAN, -NAN, f_from_bits(0x7f800001u) /* signalling */, f_from_bits(0xffc12345u), INFINITY, -INFINITY, 0.0f,
      -0.0f, f_from_bits(1) /* min subnormal */, -f_from_bits(1), f_from_bits(0x007fffffu) /* max subnormal */,
      -f_from_bits(0x007fffffu), FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX, FLT_EPSILON, 1e-20f, -1e-20f, 0.5f, -0.5f,
      1.0f, -1.0f, 9.0f, -9.0f, 9.0109f, 9.1f, -9.1f, 10.0f, -10.0f, 20.0f, -20.0f, 16.6f, -16.6f, 17.0f, -17.0f,
      87.33654f, -87.33654f, -87.33655f, -87.4f, 88.72283f, 88.72284f, 88.8f, 89.0f, -100.0f, -103.28f, -103.98f,
      -104.0f, -104.5f, 1000.0f, -1000.0f, 1e30f, -1e30f};
  const size_t n = sizeof specials / sizeof specials[0];
  float y[sizeof specials / sizeof specials[0]];
  test_set_ftz(ftz);
  k->fn(specials, y, n);
  test_set_ftz(0);
  for (size_t i = 0; i < n; i++) {
    const float x = specials[i];
    const double xin = (ftz && fabsf(x) < FLT_MIN && x != 0.0f) ? copysign(0.0, x) : (double)x;
    CHECK(within_contract_mode(y[i], reference(k->op, xin), ftz), "%s%s special x=%a: y=%a", k->name, ftz ? " (FTZ)" : "",
          (double)x, (double)y[i]);
    if (isnan(x)) CHECK(isnan(y[i]), "%s: NaN -> %a", k->name, (double)y[i]);
    if (!strcmp(k->op, "vtanh")) {
      if (!isnan(x)) CHECK(fabsf(y[i]) <= 1.0f && sign_bit(y[i]) == sign_bit(x), "%s: tanh(%a) = %a", k->name, (double)x, (double)y[i]);
      if (isinf(x)) CHECK(y[i] == (x > 0 ? 1.0f : -1.0f), "%s: tanh(inf)", k->name);
      if (x == 0.0f) CHECK(y[i] == 0.0f && sign_bit(y[i]) == sign_bit(x), "%s: tanh(+-0) keeps the sign", k->name);
      if (fabsf(x) >= 9.02f && !isnan(x)) CHECK(fabsf(y[i]) == 1.0f, "%s: tanh saturates at %a", k->name, (double)x);
      if (!ftz && x != 0.0f && fabsf(x) < FLT_MIN) CHECK(y[i] == x, "%s: tanh(subnormal) = x", k->name);
    } else if (!strcmp(k->op, "vexp")) {
      if (x == -INFINITY) CHECK(y[i] == 0.0f, "%s: exp(-inf) = 0", k->name);
      if (x > 88.7228394f) CHECK(y[i] == INFINITY, "%s: exp(%a) overflows", k->name, (double)x);
      if (x == 0.0f) CHECK(y[i] == 1.0f, "%s: exp(0) = 1", k->name);
      if (!isnan(x)) CHECK(y[i] >= 0.0f, "%s: exp >= 0", k->name);
    } else {
      if (!isnan(x)) CHECK(y[i] >= 0.0f && y[i] <= 1.0f, "%s: sigmoid(%a) = %a out of [0,1]", k->name, (double)x, (double)y[i]);
      if (x == -INFINITY) CHECK(y[i] == 0.0f, "%s: sigmoid(-inf) = 0", k->name);
      if (x == INFINITY) CHECK(y[i] == 1.0f, "%s: sigmoid(+inf) = 1", k->name);
      if (x == 0.0f) CHECK(y[i] == 0.5f, "%s: sigmoid(+-0) = 0.5", k->name);
    }
  }
  /* the same bits as the scalar twin in the same FP mode */
  float ys[sizeof specials / sizeof specials[0]];
  test_set_ftz(ftz);
  twin->fn(specials, ys, n);
  test_set_ftz(0);
  for (size_t i = 0; i < n; i++)
    CHECK(same_bits_or_both_nan(y[i], ys[i]), "%s%s special x=%a: %a vs scalar %a", k->name, ftz ? " (FTZ)" : "",
          (double)specials[i], (double)y[i], (double)ys[i]);
}

int main(void) {
  int tested = 0;
  for (size_t i = 0; i < test_vunary_kernel_count; i++) {
    const test_vunary_kernel *k = &test_vunary_kernels[i];
    if (!test_isa_available(k->isa)) {
      printf("skip %s (ISA not available here)\n", k->name);
      continue;
    }
    const test_vunary_kernel *twin = scalar_twin(k->op);
    const int before = failures;
    test_sizes_alignment_inplace(k, twin);
    test_guard_pages(k, twin);
    test_special_values(k, twin, 0);
    if (test_ftz_supported()) test_special_values(k, twin, 1);
    printf("%s %s\n", failures == before ? "ok  " : "FAIL", k->name);
    tested++;
  }
  if (tested == 0) failures++;
  printf("%d kernels tested, %d failures\n", tested, failures);
  return failures != 0;
}
