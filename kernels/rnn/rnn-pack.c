/* The packer of the recurrent weights the fused step kernels read (layout in
 * rnn-step.h): gate-interleaved, K-major per block of 16 hidden units, zero
 * for the padded units. */
#include <assert.h>

#include "rnn-step.h"

void arnn_rnn_pack_recurrent(const float *R, size_t H, size_t G, size_t g0, size_t ng, float *w) {
  assert(R != NULL && w != NULL && H >= 1 && ng >= 1 && g0 + ng <= G);
  const size_t Hp = (H + 15) / 16 * 16;
  for (size_t j = 0; j < Hp / 16; j++)
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < ng; g++)
        for (size_t lane = 0; lane < 16; lane++) {
          const size_t u = j * 16 + lane;
          w[((j * H + k) * ng + g) * 16 + lane] = u < H ? R[k * G * H + (g0 + g) * H + u] : 0.0f;
        }
}

void arnn_rnn_pack_grouped(const float *w, size_t H, size_t Hp, size_t G, float *w1) {
  assert(w != NULL && w1 != NULL && H >= 1 && Hp % 16 == 0 && G >= 1);
  const size_t row = G * 16; /* floats of one block's k-row */
  for (size_t j = 0; j < Hp / 16; j++) {
    size_t base, kstep;
    arnn_rnn_grouped_tile(H, Hp, G, j, &base, &kstep);
    for (size_t k = 0; k < H; k++)
      for (size_t i = 0; i < row; i++) w1[base + k * kstep + i] = w[(j * H + k) * row + i];
  }
}
