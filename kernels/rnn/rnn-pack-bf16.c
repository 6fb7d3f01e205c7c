/* The packer of the bf16 recurrent weights the bf16 step kernels read
 * (layout in rnn-step.h): per 16-unit block j, pair of rows p = k/2 and gate
 * g, one 32-element line in which element 2l + e is lane l of row 2p + e:
 *
 *   w16[((j*Kp + p)*ng + g)*32 + 2l + e] = bf16(R[2p+e][(g0+g)*H + 16j + l])
 *
 * Kp = ceil(H/2); zero where 2p+e >= H or 16j+l >= H. The same streaming
 * order as the float32 packing (block, k, gate) in half the bytes; a kernel
 * widens a line into the rows k and k+1 with one shift and one AND (exact).
 * Rounding: nearest, ties to even (../common/bf16-inl.h). */
#include <assert.h>

#include "../common/bf16-inl.h"
#include "rnn-step.h"

void arnn_rnn_pack_recurrent_bf16(const float *R, size_t H, size_t G, size_t g0, size_t ng, uint16_t *w16) {
  assert(R != NULL && w16 != NULL && H >= 1 && ng >= 1 && g0 + ng <= G);
  const size_t Hp = (H + 15) / 16 * 16, Kp = (H + 1) / 2;
  for (size_t j = 0; j < Hp / 16; j++)
    for (size_t p = 0; p < Kp; p++)
      for (size_t g = 0; g < ng; g++)
        for (size_t l = 0; l < 16; l++)
          for (size_t e = 0; e < 2; e++) {
            const size_t k = 2 * p + e, u = j * 16 + l;
            w16[((j * Kp + p) * ng + g) * 32 + 2 * l + e] =
                k < H && u < H ? arnn_bf16_from_f32(R[k * G * H + (g0 + g) * H + u]) : 0;
          }
}
