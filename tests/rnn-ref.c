#include "rnn-ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double ract(int kind, double x) {
  if (kind == 0) return 1.0 / (1.0 + exp(-x));
  const double y = kind == 1 ? 0.2 * x + 0.5 : x / 6.0 + 0.5;
  return y < 0.0 ? 0.0 : y > 1.0 ? 1.0 : y;
}

/* One direction over one sequence: Keras K.rnn with go_backwards = d, outputs
 * re-reversed into their original time positions. */
static void run_direction(const ref_rnn *r, int d, size_t T, const float *x, const unsigned char *mask, double *y,
                          size_t ystride) {
  const size_t E = r->E, H = r->H, G = r->lstm ? 4 : 3, GH = G * H;
  const float *K = r->kernel[d], *R = r->recurrent[d], *b = r->bias[d];
  double *h = calloc(H, sizeof *h), *c = calloc(H, sizeof *c), *z = calloc(GH, sizeof *z);
  double *xz = calloc(GH, sizeof *xz), *hz = calloc(GH, sizeof *hz), *hn = calloc(H, sizeof *hn);
  for (size_t i = 0; i < T; i++) {
    const size_t t = d ? T - 1 - i : i;
    double *out = y + t * ystride;
    if (mask && !mask[t]) {
      for (size_t u = 0; u < H; u++) out[u] = r->masked_zero ? 0.0 : h[u];
      continue;
    }
    for (size_t n = 0; n < GH; n++) {
      double s = 0.0, q = 0.0;
      for (size_t e = 0; e < E; e++) s += (double)x[t * E + e] * K[e * GH + n];
      for (size_t k = 0; k < H; k++) q += h[k] * R[k * GH + n];
      xz[n] = s + (b ? b[n] : 0.0);
      hz[n] = q + (b && !r->lstm && r->reset_after ? b[GH + n] : 0.0);
    }
    if (r->lstm) {
      for (size_t u = 0; u < H; u++) {
        const double ig = ract(r->ract, xz[u] + hz[u]), fg = ract(r->ract, xz[H + u] + hz[H + u]);
        const double gg = tanh(xz[2 * H + u] + hz[2 * H + u]), og = ract(r->ract, xz[3 * H + u] + hz[3 * H + u]);
        c[u] = fg * c[u] + ig * gg;
        hn[u] = og * tanh(c[u]);
      }
    } else {
      for (size_t u = 0; u < H; u++) {
        const double zg = ract(r->ract, xz[u] + hz[u]), rg = ract(r->ract, xz[H + u] + hz[H + u]);
        z[u] = zg;
        z[H + u] = rg;
      }
      for (size_t u = 0; u < H; u++) {
        double hh;
        if (r->reset_after) {
          hh = tanh(xz[2 * H + u] + z[H + u] * hz[2 * H + u]);
        } else {
          double q = 0.0;
          for (size_t k = 0; k < H; k++) q += z[H + k] * h[k] * R[k * GH + 2 * H + u];
          hh = tanh(xz[2 * H + u] + q);
        }
        hn[u] = z[u] * h[u] + (1.0 - z[u]) * hh;
      }
    }
    memcpy(h, hn, H * sizeof *h);
    for (size_t u = 0; u < H; u++) out[u] = h[u];
  }
  free(h);
  free(c);
  free(z);
  free(xz);
  free(hz);
  free(hn);
}

void ref_rnn_forward(const ref_rnn *r, size_t B, size_t T, const float *x, const unsigned char *mask, double *y) {
  const size_t D = r->bidirectional ? 2 : 1;
  for (size_t bi = 0; bi < B; bi++)
    for (size_t d = 0; d < D; d++)
      run_direction(r, (int)d, T, x + bi * T * r->E, mask ? mask + bi * T : NULL, y + bi * T * D * r->H + d * r->H,
                    D * r->H);
}
