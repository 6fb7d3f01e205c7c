/* Accuracy of every elementwise kernel on every ISA this CPU runs, against a
 * double-precision libm reference, and bit-equality of each SIMD kernel with
 * its scalar twin.
 *
 *   vmath-accuracy                 every 16th float bit pattern (2^28 inputs per
 *                                  function), as the default ctest case
 *   vmath-accuracy --exhaustive    all 2^32 inputs (minutes on 2 cores)
 *   vmath-accuracy --stride K      every K-th bit pattern
 *   add --op vtanh|vexp|vsigmoid to check one function only;
 *   add --ftz to run with the x86 FTZ/DAZ bits set (the contract must hold).
 *
 * ULP error is |y - ref| / ulp(ref), with ulp taken at the correctly rounded
 * float result. Contract (include/arnn/arnn.h): <= 2 ULP wherever the correctly
 * rounded result is a normal float; a result below FLT_MIN may be flushed to
 * zero (else it must still be within 2 subnormal ULP). Exit status is non-zero
 * on any violation or any SIMD/scalar bit difference. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#define CHUNK 65536
#define MAX_ULP 2.0

static double ref_tanh(double x) { return tanh(x); }
static double ref_exp(double x) { return exp(x); }
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

typedef struct {
  const char *op;
  double (*ref)(double);
} op_ref;

static const op_ref refs[] = {{"vtanh", ref_tanh}, {"vexp", ref_exp}, {"vsigmoid", ref_sigmoid}};

typedef struct {
  const test_vunary_kernel *kernels[8];
  int nkernels; /* kernels[nkernels-1] is the scalar twin */
  double (*ref)(double);
  uint64_t stride, begin, end; /* indices i: bit pattern = i * stride + offset */
  uint32_t offset;
  int ftz;
  /* results */
  double max_ulp[8];
  uint32_t worst_input[8];
  uint64_t mismatches[8], violations[8], checked;
  uint32_t first_mismatch[8], first_violation[8];
} job;

/* ulp of the float nearest to r (r finite): spacing of floats at |r|. */
static double ulp_at(double r) {
  double a = fabs(r);
  float f = (float)a;
  if (f < FLT_MIN) return ldexp(1.0, -149);
  if (isinf(f)) return ldexp(1.0, 104); /* beyond FLT_MAX */
  int e;
  frexp((double)f, &e);
  return ldexp(1.0, e - 24);
}

/* 0 if y satisfies the contract for reference r, else 1; *ulp gets the error. */
static int judge(float y, double r, int ftz, double *ulp) {
  *ulp = 0;
  if (isnan(r)) return !isnan(y);
  if (isnan(y)) {
    *ulp = INFINITY;
    return 1;
  }
  float rf = (float)r;
  if (isinf(rf)) { /* result overflows: must be inf of the same sign */
    if (y == rf) return 0;
    *ulp = INFINITY;
    return 1;
  }
  if (isinf(y)) {
    *ulp = INFINITY;
    return 1;
  }
  *ulp = fabs((double)y - r) / ulp_at(r);
  /* flush to zero is allowed below FLT_MIN; under FTZ for any exact value
   * below FLT_MIN, since AArch64 FZ detects tininess before rounding */
  if ((fabsf(rf) < FLT_MIN || (ftz && fabs(r) <= FLT_MIN)) && y == 0.0f) {
    *ulp = 0;
    return 0;
  }
  return *ulp > MAX_ULP;
}

static void *run_job(void *arg) {
  job *jb = arg;
  float *x = malloc(CHUNK * sizeof(float));
  float *y[8];
  for (int k = 0; k < jb->nkernels; k++) y[k] = malloc(CHUNK * sizeof(float));
  test_set_ftz(jb->ftz);
  for (int k = 0; k < jb->nkernels; k++) jb->max_ulp[k] = 0;
  for (uint64_t i0 = jb->begin; i0 < jb->end; i0 += CHUNK) {
    size_t m = (size_t)((jb->end - i0) < CHUNK ? (jb->end - i0) : CHUNK);
    for (size_t j = 0; j < m; j++) {
      uint32_t bits = (uint32_t)((i0 + j) * jb->stride + jb->offset);
      memcpy(&x[j], &bits, 4);
    }
    for (int k = 0; k < jb->nkernels; k++) jb->kernels[k]->fn(x, y[k], m);
    const float *ys = y[jb->nkernels - 1];
    for (size_t j = 0; j < m; j++) {
      double xin = (double)x[j];
      if (jb->ftz && fabsf(x[j]) < FLT_MIN) xin = copysign(0.0, xin); /* DAZ sees 0 */
      double r = jb->ref(xin);
      for (int k = 0; k < jb->nkernels; k++) {
        double u;
        uint32_t xb;
        memcpy(&xb, &x[j], 4);
        if (judge(y[k][j], r, jb->ftz, &u)) {
          if (jb->violations[k]++ == 0) jb->first_violation[k] = xb;
        }
        if (u > jb->max_ulp[k]) {
          jb->max_ulp[k] = u;
          jb->worst_input[k] = xb;
        }
        if (memcmp(&y[k][j], &ys[j], 4) != 0 && jb->mismatches[k]++ == 0) jb->first_mismatch[k] = xb;
      }
    }
    jb->checked += m;
  }
  test_set_ftz(0);
  for (int k = 0; k < jb->nkernels; k++) free(y[k]);
  free(x);
  return NULL;
}

int main(int argc, char **argv) {
  uint64_t stride = 16;
  int ftz = 0, nthreads = 2;
  const char *only_op = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--exhaustive")) stride = 1;
    else if (!strcmp(argv[i], "--stride") && i + 1 < argc) stride = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--ftz")) ftz = 1;
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) nthreads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--op") && i + 1 < argc) only_op = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--exhaustive | --stride K] [--ftz] [--threads N] [--op vtanh|vexp|vsigmoid]\n",
              argv[0]);
      return 2;
    }
  }
  if (stride == 0 || nthreads < 1 || nthreads > 64) return 2;
  if (only_op) {
    int known = 0;
    for (size_t o = 0; o < sizeof refs / sizeof refs[0]; o++) known |= !strcmp(only_op, refs[o].op);
    if (!known) {
      fprintf(stderr, "unknown --op %s (vtanh, vexp or vsigmoid)\n", only_op);
      return 2;
    }
  }
  if (ftz && !test_ftz_supported()) {
    printf("SKIP: FTZ/DAZ not available on this architecture\n");
    return 0;
  }
  /* Odd strides hit every residue class; for even strides an offset of
   * stride/2 - 1 avoids sampling only patterns with trailing zero bits. */
  uint32_t offset = stride > 1 ? (uint32_t)(stride / 2 - 1) : 0;
  uint64_t count = ((UINT64_C(1) << 32) - offset + stride - 1) / stride;
  int failed = 0;
  printf("inputs per function: %" PRIu64 " (stride %" PRIu64 ")%s\n", count, stride, ftz ? ", FTZ+DAZ" : "");
  for (size_t o = 0; o < sizeof refs / sizeof refs[0]; o++) {
    if (only_op && strcmp(only_op, refs[o].op)) continue;
    job proto;
    memset(&proto, 0, sizeof proto);
    for (size_t k = 0; k < test_vunary_kernel_count; k++) {
      const test_vunary_kernel *kern = &test_vunary_kernels[k];
      if (strcmp(kern->op, refs[o].op) || !test_isa_available(kern->isa)) continue;
      proto.kernels[proto.nkernels++] = kern; /* list order ends with scalar */
    }
    proto.ref = refs[o].ref;
    proto.stride = stride;
    proto.offset = offset;
    proto.ftz = ftz;
    job *jobs = calloc((size_t)nthreads, sizeof(job));
    pthread_t *th = calloc((size_t)nthreads, sizeof(pthread_t));
    for (int t = 0; t < nthreads; t++) {
      jobs[t] = proto;
      jobs[t].begin = count * (uint64_t)t / (uint64_t)nthreads;
      jobs[t].end = count * (uint64_t)(t + 1) / (uint64_t)nthreads;
      pthread_create(&th[t], NULL, run_job, &jobs[t]);
    }
    for (int t = 0; t < nthreads; t++) pthread_join(th[t], NULL);
    for (int k = 0; k < proto.nkernels; k++) {
      double mu = 0;
      uint32_t worst = 0, fv = 0, fm = 0;
      uint64_t viol = 0, mism = 0;
      for (int t = 0; t < nthreads; t++) {
        if (jobs[t].max_ulp[k] > mu) mu = jobs[t].max_ulp[k], worst = jobs[t].worst_input[k];
        if (jobs[t].violations[k] && !viol) fv = jobs[t].first_violation[k];
        if (jobs[t].mismatches[k] && !mism) fm = jobs[t].first_mismatch[k];
        viol += jobs[t].violations[k];
        mism += jobs[t].mismatches[k];
      }
      float wx;
      memcpy(&wx, &worst, 4);
      printf("%-26s max %.3f ULP at %a (0x%08" PRIx32 ")  violations %" PRIu64 "  differs-from-scalar %" PRIu64 "\n",
             proto.kernels[k]->name, mu, (double)wx, worst, viol, mism);
      if (viol) printf("  first violation at input 0x%08" PRIx32 "\n", fv), failed = 1;
      if (mism) printf("  first scalar mismatch at input 0x%08" PRIx32 "\n", fm), failed = 1;
    }
    free(jobs);
    free(th);
  }
  printf(failed ? "FAIL\n" : "PASS\n");
  return failed;
}
